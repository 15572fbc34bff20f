import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createTestSchema, directUrlFor, dropTestSchema } from './test-database';

/**
 * The e2e tests run the service exactly as `npm start` does: `node dist/main.js` (built once by
 * the global setup), whose `createApp()` is the one in src/app.setup.ts, in a process of its own,
 * driven over HTTP.
 */
export const MAIN = resolve(process.cwd(), 'dist/main.js');

/** Keys are shared by every test app, as by the instances of one deployment. */
export const TEST_DATA_DIR = join(tmpdir(), 'session-service-test-keys');

/** A running `node dist/main.js`, as `startService()` gives it. */
export interface RunningService {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Every line the process wrote, stdout and stderr, parsed where it is JSON. */
  logs: string[];
  process: ChildProcess;
  /** Sends a signal and resolves with the exit code once the process has ended. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface TestApp extends RunningService {
  /** The database URL the app uses (a schema of its own). */
  databaseUrl: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Reuse the schema of another app: several instances on one database. */
  databaseUrl?: string;
  /** DATABASE_DIRECT_URL; through a pooler, by default PostgreSQL itself for `databaseUrl`. */
  databaseDirectUrl?: string;
}

const BASE_ENV = {
  NODE_ENV: 'test',
  DATA_DIR: TEST_DATA_DIR,
  LOG_LEVEL: 'info',
  PORT: '0',
  HOST: '127.0.0.1',
  PUBLIC_URL: 'http://localhost:3000',
  // Every test app signs in from 127.0.0.1: only the tests about rate limits set a real one.
  AUTH_RATE_LIMIT: '100000/1m',
};

/** Starts the real service on a fresh schema (or a given database URL) and a free port. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  mkdirSync(TEST_DATA_DIR, { recursive: true });
  const schema = options.databaseUrl ? null : await createTestSchema();
  const databaseUrl = options.databaseUrl ?? schema!.url;
  const databaseDirectUrl = options.databaseDirectUrl ?? directUrlFor(databaseUrl);
  const service = await startService({
    ...BASE_ENV,
    ...options.env,
    DATABASE_URL: databaseUrl,
    ...(databaseDirectUrl ? { DATABASE_DIRECT_URL: databaseDirectUrl } : {}),
  });
  return {
    ...service,
    databaseUrl,
    close: async () => {
      await service.stop();
      if (schema) await dropTestSchema(schema.schema);
    },
  };
}

/**
 * Spawns `node dist/main.js` (or another app's `script` that prints the same `Listening on` line)
 * with exactly this environment (plus PATH and HOME) and waits until it listens: for tests of the
 * process itself (the embedded database, signals), where createTestApp's defaults are in the way.
 * Give it `PORT: '0'` for a free port.
 */
export async function startService(
  env: Record<string, string | undefined>,
  script = MAIN,
): Promise<RunningService> {
  const child = spawnService(env, script);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const logs = collectLines(child);
  const port = await waitForListening(child, logs);
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return { url: `http://127.0.0.1:${port}`, port, logs, process: child, stop };
}

/** Runs `node dist/main.js` (or `script`) with exactly this environment (plus PATH and HOME). */
export function spawnService(env: Record<string, string | undefined>, script = MAIN): ChildProcess {
  return spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function collectLines(child: ChildProcess): string[] {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', (line) => lines.push(line));
  }
  return lines;
}

async function waitForListening(child: ChildProcess, logs: string[]): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    for (const line of logs) {
      const port = listeningPort(line);
      if (port) return port;
    }
    if (child.exitCode !== null) {
      throw new Error(`The service exited with ${child.exitCode}:\n${logs.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`The service did not start within 60 s:\n${logs.join('\n')}`);
}

function listeningPort(line: string): number | null {
  if (!line.includes('Listening on')) return null;
  try {
    const port = (JSON.parse(line) as { port?: unknown }).port;
    return typeof port === 'number' ? port : null;
  } catch {
    return null;
  }
}

/** The JSON log lines of a test app, parsed. */
export function jsonLogs(app: Pick<TestApp, 'logs'>): Record<string, unknown>[] {
  return app.logs.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}
