/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * Builds the demo page served at `/` into dist/public: the page's script and the client library,
 * compiled by tsc to ES modules (dist/public/js), and the static files of public/ copied as they are.
 * No bundler, no CDN: the browser loads the modules from the service itself.
 */
const { execFileSync } = require('node:child_process');
const { cpSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'dist/public');

function buildPublic() {
  rmSync(OUT, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.public.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  cpSync(join(ROOT, 'public'), OUT, { recursive: true, filter: (path) => !path.endsWith('.ts') });
}

module.exports = { buildPublic };

if (require.main === module) buildPublic();
