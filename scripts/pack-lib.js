#!/usr/bin/env node
/**
 * `npm run pack:lib`: builds the library and writes its npm tarball to dist/pack/, the only .tgz
 * there; its path is the last line printed, for scripts and tests to pick up. Fails when an entry
 * point is missing from it.
 */
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, readdirSync, rmSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const destination = join(root, 'dist', 'pack');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

execFileSync(npm, ['run', '-s', 'build:lib'], { cwd: root, stdio: 'inherit' });
removeStaleOutput(join(root, 'libs/session-auth/dist'), join(root, 'libs/session-auth/src'));
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
assertEntryPoints(packed[0].files.map((file) => file.path));
console.log(join(destination, packed[0].filename));

/** Each entry point of package.json's `exports` must be in the tarball, or installs break on use. */
function assertEntryPoints(files) {
  const missing = ['dist/index.js', 'dist/resource-server/index.js'].filter(
    (entry) => !files.includes(entry),
  );
  if (missing.length) {
    throw new Error(`The tarball lacks ${missing.map((entry) => `package/${entry}`).join(', ')}`);
  }
}

/**
 * `tsc -b` never deletes the output of a source that was moved or removed: such files would ship.
 * Deletes only those (not the whole folder, which a running service may be reading).
 */
function removeStaleOutput(dist, src) {
  for (const entry of readdirSync(dist, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const match = /^(.*)\.(js|js\.map|d\.ts|d\.ts\.map)$/.exec(entry.name);
    if (!match) continue;
    const folder = entry.parentPath ?? entry.path;
    const source = join(src, folder.slice(dist.length), `${match[1]}.ts`);
    if (!existsSync(source)) rmSync(join(folder, entry.name));
  }
}
