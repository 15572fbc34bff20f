import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  watch,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { RunningService, startService } from './support/test-app';

/**
 * `npm start` on a machine with no database server: the service runs its own PostgreSQL under
 * DATA_DIR, keeps its data across restarts, and leaves no process behind, even after a SIGKILL.
 * The folder is a fresh mkdtemp one (0700): as root, PostgreSQL runs as another user who must
 * still reach it.
 */
describe('embedded database (no DATABASE_URL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'session-embedded-'));
  const clusterDir = join(dataDir, 'postgres');
  const env = { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' };
  const credentials = { email: 'persisted@example.com', password: 'correct horse battery' };
  let service: RunningService | undefined;
  let accessToken: string;
  let keyDigest: string;

  afterAll(async () => {
    await service?.stop('SIGKILL');
    await stopPostgres(clusterDir);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts from an empty 0700 folder and answers /health and /health/ready within 60 s', async () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const started = Date.now();
    service = await startService(env);
    await request(service.url).get('/health').expect(200);
    await request(service.url).get('/health/ready').expect(200);
    expect(Date.now() - started).toBeLessThan(60_000);
    await request(service.url).get('/docs').expect(200);

    expect(existsSync(join(clusterDir, 'PG_VERSION'))).toBe(true);
    expect(postgresProcesses(clusterDir).length).toBeGreaterThan(0);
    keyDigest = digestFolder(join(dataDir, 'keys'));
  });

  it('keeps what it is given', async () => {
    const registered = await request(service!.url).post('/auth/register').send(credentials);
    expect(registered.status).toBe(201);
    accessToken = registered.body.accessToken;
    await withDatabase(dataDir, async (db) => {
      await db.query('CREATE TABLE persistence_probe (value text)');
      await db.query(`INSERT INTO persistence_probe VALUES ('written before the restart')`);
    });
  });

  it('on SIGTERM exits 0 within 10 s and leaves no PostgreSQL process', async () => {
    const started = Date.now();
    expect(await service!.stop('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(postgresProcesses(clusterDir)).toEqual([]);
    expect(existsSync(join(clusterDir, 'postmaster.pid'))).toBe(false);
  });

  it('starts again on the same folder and finds its data and keys', async () => {
    service = await startService(env);
    await request(service.url).get('/health/ready').expect(200);
    await expectDataKept();
    await service.stop('SIGTERM');
  });

  it('after a SIGKILL of the service, stops the orphaned PostgreSQL and starts again', async () => {
    service = await startService(env);
    await request(service.url).get('/health/ready').expect(200);
    const postmaster = readPostmasterPid(clusterDir);
    expect(await service.stop('SIGKILL')).toBeNull();
    // The server outlives its parent: this is the situation the next start must handle.
    expect(postgresProcesses(clusterDir)).toContain(postmaster);

    service = await startService(env);
    await request(service.url).get('/health/ready').expect(200);
    expect(readPostmasterPid(clusterDir)).not.toBe(postmaster);
    expect(processAlive(postmaster)).toBe(false);
    await expectDataKept();

    expect(await service.stop('SIGTERM')).toBe(0);
    expect(postgresProcesses(clusterDir)).toEqual([]);
  });

  async function expectDataKept(): Promise<void> {
    await withDatabase(dataDir, async (db) => {
      const probe = await db.query('SELECT value FROM persistence_probe');
      expect(probe.rows).toEqual([{ value: 'written before the restart' }]);
      const migrations = await db.query('SELECT name FROM migrations');
      expect(migrations.rows.length).toBeGreaterThan(0);
    });
    expect(digestFolder(join(dataDir, 'keys'))).toBe(keyDigest);
    // The same keys: a token issued before the restart still verifies, the account still signs in.
    await request(service!.url).get('/auth/me').auth(accessToken, { type: 'bearer' }).expect(200);
    await request(service!.url).post('/auth/login').send(credentials).expect(200);
  }
});

/**
 * initdb takes the superuser password from a file. No other local user may read it at any moment:
 * it must not sit in the shared temporary folder, and wherever it sits, only the owner may enter.
 */
describe('embedded database: the superuser password during initdb', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'session-initdb-'));
  const sharedTmp = mkdtempSync(join(tmpdir(), 'session-shared-tmp-'));
  afterAll(async () => {
    await stopPostgres(join(dataDir, 'postgres'));
    for (const dir of [dataDir, sharedTmp]) rmSync(dir, { recursive: true, force: true });
  });

  it('is never in the temporary folder, and only in a folder no other user can enter', async () => {
    chmodSync(sharedTmp, 0o1777);
    const inSharedTmp = new Set<string>();
    const watcher = watch(sharedTmp, (_event, name) => name && inSharedTmp.add(String(name)));
    const privateFolders = new Map<string, number>();
    let watching = true;
    const poll = (async () => {
      while (watching) {
        for (const name of readdirSync(dataDir)) {
          if (!name.startsWith('.initdb-')) continue;
          try {
            privateFolders.set(name, statSync(join(dataDir, name)).mode & 0o777);
          } catch {
            // removed between the listing and the stat
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    let service: RunningService | undefined;
    try {
      service = await startService({
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        TMPDIR: sharedTmp,
      });
      await request(service.url).get('/health/ready').expect(200);
    } finally {
      watching = false;
      await poll;
      watcher.close();
      await service?.stop('SIGTERM');
    }
    expect([...inSharedTmp].filter((name) => name.startsWith('pg-password'))).toEqual([]);
    expect(privateFolders.size).toBeGreaterThan(0);
    expect([...new Set(privateFolders.values())]).toEqual([0o700]);
    // Gone once initdb is done.
    expect(readdirSync(dataDir).filter((name) => name.startsWith('.initdb-'))).toEqual([]);
  });
});

/** Connects as the service does, with the password and port it keeps under DATA_DIR. */
async function withDatabase(dataDir: string, use: (db: Client) => Promise<void>): Promise<void> {
  const password = readFileSync(join(dataDir, 'postgres.password'), 'utf8').trim();
  const port = Number(
    readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[3],
  );
  const db = new Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'sessions',
  });
  await db.connect();
  try {
    await use(db);
  } finally {
    await db.end();
  }
}

function readPostmasterPid(clusterDir: string): number {
  return Number(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

/** Every process of this cluster: the postmaster names the folder, its children work in it. */
function postgresProcesses(clusterDir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        if (command.includes(clusterDir)) return true;
        return readlinkSync(`/proc/${pid}/cwd`) === clusterDir;
      } catch {
        return false;
      }
    });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function digestFolder(folder: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(folder).sort()) {
    hash.update(name).update(readFileSync(join(folder, name)));
  }
  return hash.digest('hex');
}

/** Cleanup whatever a failed test left running: SIGINT is PostgreSQL's fast shutdown. */
async function stopPostgres(clusterDir: string): Promise<void> {
  for (const pid of postgresProcesses(clusterDir)) {
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  }
  for (let waited = 0; waited < 10_000 && postgresProcesses(clusterDir).length; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
