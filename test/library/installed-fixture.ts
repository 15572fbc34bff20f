import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'];

/** The committed fixture: a fresh Nest app's sources, package.json and lockfile. */
export const FIXTURE_SOURCE = resolve(process.cwd(), 'test/library/fixture');
/** An app that only verifies tokens: no typeorm, pg, argon2 or ioredis in its package.json. */
export const RESOURCE_SERVER_FIXTURE_SOURCE = resolve(
  process.cwd(),
  'test/library/resource-server-fixture',
);

/** The fixture installed outside this repository, with the library from its tarball. */
export interface InstalledFixture {
  dir: string;
  /**
   * The app once compiled: `PLATFORM`, `APP`, `PORT`, `DATABASE_URL`, keys, and optionally
   * `ROUTE_PREFIX`, `GLOBAL_PREFIX`, `GLOBAL_PREFIX_EXCLUDE` and `DEFAULT_VERSION` from the
   * environment (see src/settings.ts).
   */
  main: string;
  remove(): void;
}

/** Runs a command; when it fails, the error carries what it printed (tsc prints to stdout). */
async function run(file: string, args: string[], options: { cwd?: string } = {}) {
  try {
    return await execFileAsync(file, args, { ...options, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${[file, ...args].join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`, {
      cause: error,
    });
  }
}

/** `npm run pack:lib`: the tarball's absolute path, the last line it prints. */
export async function packLibrary(): Promise<string> {
  const { stdout } = await run(npm, ['run', '-s', 'pack:lib']);
  return stdout.trim().split('\n').pop()!;
}

/**
 * Copies the fixture (or another one, `source`) to a fresh folder outside the repository and
 * installs its dependencies and the tarball there with npm: a real install, nothing links back
 * into this repository.
 */
export async function installFixture(
  tarball: string,
  source = FIXTURE_SOURCE,
): Promise<InstalledFixture> {
  const cache = await installedDependencies(source);
  const dir = mkdtempSync(join(tmpdir(), 'session-auth-fixture-run-'));
  try {
    await run('cp', ['-a', `${cache}/.`, dir]);
    cpSync(source, dir, {
      recursive: true,
      filter: (path) => !['node_modules', 'dist'].includes(basename(path)),
    });
    await run(npm, ['install', '--no-save', ...NPM_FLAGS, tarball], { cwd: dir });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    dir,
    main: join(dir, 'dist/main.js'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Compiles the installed fixture against the library's declarations, as its users' builds do. */
export async function compileFixture(fixture: InstalledFixture): Promise<void> {
  await run(process.execPath, [join(fixture.dir, 'node_modules/typescript/bin/tsc'), '-p', '.'], {
    cwd: fixture.dir,
  });
}

/**
 * The fixture's dependencies as `npm ci` installs them, kept in the temp folder under the
 * lockfile's hash: argon2 compiles from source on Node 20, so a cold install takes a while, and a
 * changed lockfile gets a folder of its own. Built beside the cache and renamed into place, so an
 * interrupted install never leaves half a cache behind.
 */
async function installedDependencies(source: string): Promise<string> {
  const lockfile = readFileSync(join(source, 'package-lock.json'));
  const hash = createHash('sha256').update(lockfile).digest('hex');
  const cache = join(tmpdir(), `session-auth-fixture-${hash}`);
  if (existsSync(cache)) return cache;
  const partial = mkdtempSync(`${cache}.partial-`);
  try {
    for (const file of ['package.json', 'package-lock.json']) {
      cpSync(join(source, file), join(partial, file));
    }
    await run(npm, ['ci', ...NPM_FLAGS], { cwd: partial });
    // Another run may have finished the same cache meanwhile: then its copy is as good as ours.
    if (!existsSync(cache)) renameSync(partial, cache);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return cache;
}
