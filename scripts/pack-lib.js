#!/usr/bin/env node
/**
 * `npm run pack:lib`: builds the library and writes its npm tarball to dist/pack/, the only .tgz
 * there; its path is the last line printed, for scripts and tests to pick up.
 */
const { execFileSync } = require('node:child_process');
const { mkdirSync, readdirSync, rmSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const destination = join(root, 'dist', 'pack');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

execFileSync(npm, ['run', '-s', 'build:lib'], { cwd: root, stdio: 'inherit' });
mkdirSync(destination, { recursive: true });
for (const name of readdirSync(destination)) {
  if (name.endsWith('.tgz')) rmSync(join(destination, name));
}
const packed = JSON.parse(
  execFileSync(
    npm,
    ['pack', '--json', '--workspace', 'libs/session-auth', '--pack-destination', destination],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  ),
);
console.log(join(destination, packed[0].filename));
