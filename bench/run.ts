/* eslint-disable no-console -- a command-line tool: its output is for the operator */
/**
 * `npm run bench [-- --quick] [-- --duration=10 --connections=50 --login-connections=16 --no-build]`
 *
 * Builds and starts the service (on DATABASE_URL when set, in a schema of its own; else on an
 * embedded PostgreSQL in a temporary folder), seeds users and sessions through the API (and in
 * SQL: the 50,000 users of `GET /auth/me`, and with `--scale=N` a database in use), drives it with
 * autocannon from a separate process, measures the machine's own limits in the same run, and
 * prints one table, also written to bench/results/latest.json and bench/results/latest.svg
 * (latest-scale.* with --scale).
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { closeAgent, mapLimit, requestJson } from './lib/http';
import { defaultThreadPoolSize } from '../src/config/thread-pool';
import { DriverProcess, runOnce } from './lib/driver-process';
import {
  FeedConsumersResult,
  HttpJob,
  HttpScenario,
  LoadResult,
  percentiles,
  RevocationResult,
  SqlJob,
} from './lib/jobs';
import { fixed, formatTable, renderSvg, Row, Target } from './lib/report';
import { ROTATION_STATEMENTS } from './lib/rotation-sql';
import { productionRuntime } from './lib/production';
import { postgresCpuSeconds, RESOURCE_SERVER, ServiceProcess } from './lib/service';
import { AccessTokenMinter } from './lib/access-tokens';
import { DeletionWatch } from './lib/deletion-watch';
import {
  countEnded,
  countLive,
  LiveSession,
  liveSessionsOfDistinctUsers,
  OldSchemaError,
  Population,
  requireSessionTokenSchema,
  seedPopulation,
  SESSIONS_PER_USER,
  TableSize,
  tableSizes,
} from './lib/population';

const ROOT = resolve(__dirname, '..');
const RESULTS = join(ROOT, 'bench', 'results');
/** The service's database pool size (src/database/data-source-options.ts). */
const SERVICE_POOL_SIZE = 20;
/** Idle revocation-feed streams held open on the service in the `feeds` part. */
const FEED_CONSUMERS = 100;
/** The service's JWT_ISSUER: the origin of the PUBLIC_URL every instance gets. */
const PUBLIC_URL = 'http://localhost:3000';
/**
 * Distinct users (one live session and access token each) of `GET /auth/me (50,000 users)`: five
 * times the 10,000 verified tokens the service remembers (VERIFIED_ACCESS_TOKENS in
 * libs/session-auth/src/domain/tokens/access-tokens.ts), so that nearly every request is verified
 * afresh.
 */
const MANY_USERS = 50_000;
/** Refresh slices of the housekeeping part: the loads run in slices, as in the rounds. */
const HOUSEKEEPING_SLICE_S = 1;
/** Keycloak's high-availability CPU sizing: per vCPU, refreshes/s and password sign-ins/s. */
const KEYCLOAK_PER_VCPU = { refresh: 120, login: 15 };

interface Settings {
  quick: boolean;
  duration: number;
  warmup: number;
  /** Each scenario's measured time is cut into this many slices, interleaved with the others'. */
  slices: number;
  /** Seconds of idleness before each memory reading: V8 and malloc hand memory back once idle. */
  settle: number;
  connections: number;
  loginConnections: number;
  users: number;
  revocationTrials: number;
  build: boolean;
  /** Parts to run (see PARTS); all by default. */
  only: Set<Part>;
  /** Folder for `node --cpu-prof` profiles of every service process, when asked. */
  cpuProfDir: string | null;
  /** `--scale=N`: N live and N ended sessions seeded in SQL before round 1. */
  scale: number | null;
  /** `--compare=<json>`: an empty database's run, for the --scale targets instead of round 0. */
  compare: string | null;
}

const PARTS = [
  'health',
  'me',
  'refresh',
  'login',
  'round2',
  'revocation',
  'sql',
  'argon2',
  'cluster',
  'feeds',
  'rs',
  'rs-revocation',
  'me-many',
  'housekeeping',
] as const;
type Part = (typeof PARTS)[number];

function parseArgs(argv: string[]): Settings {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`Unknown argument ${arg}`);
    flags.set(match[1], match[2] ?? 'true');
  }
  const quick = flags.has('quick');
  if (flags.has('compare') && !flags.has('scale')) {
    throw new Error('--compare goes with --scale: it compares a scaled run with an empty one');
  }
  const number = (name: string, fallback: number) => {
    const value = flags.has(name) ? Number(flags.get(name)) : fallback;
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} takes a positive number`);
    return value;
  };
  return {
    quick,
    duration: number('duration', quick ? 2 : 10),
    warmup: number('warmup', quick ? 0.5 : 2),
    slices: number('slices', quick ? 2 : 5),
    settle: number('settle', quick ? 2 : 5),
    connections: number('connections', 50),
    loginConnections: number('login-connections', 16),
    users: number('users', quick ? 60 : 200),
    revocationTrials: number('trials', quick ? 10 : 50),
    build: !flags.has('no-build'),
    only: parseParts(flags.get('only')),
    cpuProfDir: flags.has('cpu-prof') ? resolve(ROOT, 'bench/results/profiles') : null,
    scale: flags.has('scale') ? wholeNumber('scale', number('scale', 0)) : null,
    compare: flags.has('compare') ? resolve(process.cwd(), flags.get('compare')!) : null,
  };
}

function wholeNumber(name: string, value: number): number {
  if (!Number.isSafeInteger(value)) throw new Error(`--${name} takes a whole number`);
  return value;
}

function parseParts(list: string | undefined): Set<Part> {
  if (!list) return new Set(PARTS);
  const parts = list.split(',').map((part) => part.trim());
  for (const part of parts) {
    if (!(PARTS as readonly string[]).includes(part)) {
      throw new Error(`--only takes a list of ${PARTS.join(', ')}`);
    }
  }
  return new Set(parts as Part[]);
}

// ---------------------------------------------------------------- the database

interface Database {
  url: string;
  description: string;
  /** CPU seconds the server has used so far; NaN when it is not the bench's own. */
  cpuSeconds(): number;
  close(): Promise<void>;
}

async function openDatabase(workDir: string): Promise<Database> {
  const given = process.env.DATABASE_URL;
  if (given) {
    const schema = `bench_${randomBytes(5).toString('hex')}`;
    await withClient(given, (client) => client.query(`CREATE SCHEMA ${schema}`));
    const url = new URL(given);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return {
      url: url.toString(),
      description: `DATABASE_URL, schema ${schema}`,
      cpuSeconds: () => NaN,
      close: async () => {
        await withClient(given, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
      },
    };
  }
  // Built JavaScript, not the TypeScript source: the same code the service runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Logger } = require('@nestjs/common') as typeof import('@nestjs/common');
  Logger.overrideLogger(['error', 'warn']);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EmbeddedPostgres } = require(join(ROOT, 'dist/database/embedded-postgres')) as {
    EmbeddedPostgres: { start(dir: string): Promise<{ url: string; stop(): Promise<void> }> };
  };
  const embedded = await EmbeddedPostgres.start(join(workDir, 'data'));
  const version = await withClient(embedded.url, (client) => client.query('SHOW server_version'));
  return {
    url: embedded.url,
    description: `embedded PostgreSQL ${version.rows[0].server_version} (temporary folder)`,
    cpuSeconds: () => postgresCpuSeconds(join(workDir, 'data', 'postgres')),
    close: () => embedded.stop(),
  };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- seeding, through the API

interface Seed {
  credentials: { email: string; password: string }[];
  accessTokens: string[];
  /** session id → live refresh token, chained across runs. */
  refreshTokens: Record<string, string>;
  userIds: string[];
}

async function seed(url: string, users: number): Promise<Seed> {
  const run = randomBytes(3).toString('hex');
  const credentials = Array.from({ length: users }, (_, i) => ({
    email: `bench-${run}-${i}@example.com`,
    password: `Bench ${run} pass ${i} ${randomBytes(6).toString('hex')}`,
  }));
  const registered = await mapLimit(credentials, 4, async (credential) => {
    const { status, body } = await requestJson<{
      accessToken: string;
      refreshToken: string;
      sessionId: string;
      user: { id: string };
    }>(`${url}/auth/register`, { method: 'POST', body: credential });
    if (status !== 201) throw new Error(`register answered ${status}: ${JSON.stringify(body)}`);
    return body;
  });
  return {
    credentials,
    accessTokens: registered.map((r) => r.accessToken),
    refreshTokens: Object.fromEntries(registered.map((r) => [r.sessionId, r.refreshToken])),
    userIds: registered.map((r) => r.user.id),
  };
}

/** Fresh sessions by login, each for one revocation trial. */
async function loginSessions(url: string, seeded: Seed, count: number): Promise<string[]> {
  return mapLimit(Array.from({ length: count }), 4, async (_, i) => {
    const { status, body } = await requestJson<{ accessToken: string }>(`${url}/auth/login`, {
      method: 'POST',
      body: seeded.credentials[i % seeded.credentials.length],
    });
    if (status !== 200) throw new Error(`login answered ${status}`);
    return body.accessToken;
  });
}

/** Sessions for the raw SQL loops, inserted as the service inserts them (one per loop). */
async function seedRawSessions(databaseUrl: string, userIds: string[], count: number) {
  return withClient(databaseUrl, async (client) => {
    const sessions: SqlJob['sessions'] = [];
    for (let i = 0; i < count; i++) {
      const row = await client.query<{ session_id: string; token_id: string }>(
        `INSERT INTO sessions (id, user_id, created_at, last_used_at, auth_time, expires_at,
                               absolute_expires_at, current_token_id, current_issued_at,
                               user_agent, ip)
         VALUES ($1, $2, now(), now(), now(), now() + interval '7 days',
                 now() + interval '30 days', $3, now(), 'bench', '127.0.0.1')
         RETURNING id AS session_id, current_token_id AS token_id`,
        [randomUUID(), userIds[i % userIds.length], randomUUID()],
      );
      sessions.push({
        sessionId: row.rows[0].session_id,
        userId: userIds[i % userIds.length],
        tokenId: row.rows[0].token_id,
      });
    }
    return sessions;
  });
}

// ---------------------------------------------------------------- seeding, in SQL

/** The database `--scale` made: what was seeded, and what it takes on disk. */
interface ScaleSeed {
  population: Population;
  /** Live sessions in the database after seeding (the registered users' included). */
  liveSessions: number;
  /** Sessions housekeeping would delete. */
  endedSessions: number;
  sizes: TableSize[];
}

/** `--scale=N`: N live and N ended sessions, SESSIONS_PER_USER of each per user; sizes after. */
async function seedScale(
  url: string,
  sessions: number,
  log: (message: string) => void,
): Promise<ScaleSeed> {
  return withClient(url, async (client) => {
    await requireSessionTokenSchema(client);
    const population = await seedPopulation(
      client,
      {
        tag: `scale-${randomBytes(3).toString('hex')}`,
        users: Math.ceil(sessions / SESSIONS_PER_USER),
        sessions,
        withEnded: true,
        perUser: SESSIONS_PER_USER,
      },
      log,
    );
    return {
      population,
      liveSessions: (await countLive(client)).sessions,
      endedSessions: await countEnded(client),
      sizes: await tableSizes(client),
    };
  });
}

/**
 * MANY_USERS live sessions of distinct users, for minted access tokens: those of `--scale`, with
 * users of one session each seeded in SQL for any that are missing.
 */
async function manyUsersSessions(
  url: string,
  log: (message: string) => void,
): Promise<LiveSession[]> {
  return withClient(url, async (client) => {
    const missing = MANY_USERS - (await countLive(client)).users;
    if (missing > 0) {
      await requireSessionTokenSchema(client);
      const population = await seedPopulation(
        client,
        {
          tag: `many-${randomBytes(3).toString('hex')}`,
          users: missing,
          sessions: missing,
          withEnded: false,
          perUser: 1,
        },
        () => undefined,
      );
      log(
        `  seeded ${missing} users with a live session each in SQL in ` +
          `${fixed(population.seconds, 1)} s`,
      );
    }
    return liveSessionsOfDistinctUsers(client, MANY_USERS);
  });
}

/** Stops unless the service accepts a minted token as the session's own. */
async function checkMinted(url: string, minter: AccessTokenMinter, session: LiveSession) {
  const [token] = minter.mint([session]);
  const { status, body } = await requestJson<{ id?: string; sessionId?: string }>(
    `${url}/auth/me`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  if (status !== 200 || body.id !== session.userId || body.sessionId !== session.sessionId) {
    throw new Error(
      `a minted access token: GET /auth/me answered ${status} ${JSON.stringify(body)}`,
    );
  }
}

// ---------------------------------------------------------------- interleaved rounds

/**
 * `me-feeds`: `me` again while FEED_CONSUMERS idle feed streams are open on the service;
 * `me-many`: `me` with the access tokens of MANY_USERS users, more than the service remembers.
 */
type Scenario = HttpScenario | 'me-feeds' | 'me-many' | 'sql' | 'argon2';

const LABELS: Record<Scenario, string> = {
  health: 'GET /health',
  me: 'GET /auth/me (200 users)',
  'me-many': `GET /auth/me (${MANY_USERS.toLocaleString('en-US')} users)`,
  'me-feeds': `GET /auth/me, ${FEED_CONSUMERS} idle feed streams`,
  refresh: 'POST /auth/refresh (chained)',
  login: 'POST /auth/login',
  sql: 'limit: rotation SQL via pg',
  argon2: 'limit: argon2id verify',
  'rs-health': 'resource server: GET /health',
  'rs-me': 'resource server: GET /me (200 users)',
};

/** The scenarios of the interleaved round, in order, and the `--only` parts that ask for each. */
const ROUND: [Scenario, Part[]][] = [
  ['health', ['health']],
  ['me', ['me', 'feeds']],
  ['me-many', ['me-many']],
  ['me-feeds', ['feeds']],
  ['refresh', ['refresh']],
  ['sql', ['sql']],
  ['login', ['login']],
  ['argon2', ['argon2']],
  ['rs-health', ['rs']],
  ['rs-me', ['rs']],
];

/** Scenarios measured without the service: the machine's limits. */
const isLimit = (scenario: Scenario) => scenario === 'sql' || scenario === 'argon2';

/** One scenario's driver in a round, and what the service and the database spent on it. */
interface Slot {
  scenario: Scenario;
  driver: DriverProcess;
  /** Feed consumers whose streams are open during this slot's slices only. */
  consumers: DriverProcess<FeedConsumersResult> | null;
  /** The server under load (the service or the resource server); null for the limits. */
  service: ServiceProcess | null;
  serviceCpuS: number;
  databaseCpuS: number;
  measuredServiceCpuS: number;
  /** Successful operations, warm-up included: what the CPU above was spent on. */
  served: number;
}

interface Measured {
  scenario: Scenario;
  workers: number | null;
  round: number;
  connections: number;
  result: LoadResult;
  /** Percent of one core over the measured slices. */
  serviceCpuPct: number | null;
  serviceCpuUsPerRequest: number | null;
  databaseCpuUsPerRequest: number | null;
  /** me-feeds: what the feed consumers saw over the round. */
  feedStreams?: FeedConsumersResult;
}

/**
 * Runs every slot's warm-up, then `slices` rounds of one slice per slot in turn, so that each
 * scenario meets the same conditions (other work on the machine comes and goes in seconds), and
 * charges the service's and the database's CPU during each slice to that slot.
 */
async function interleave(
  slots: Slot[],
  settings: Settings,
  database: Database,
  log: (message: string) => void,
): Promise<Map<Scenario, Omit<Measured, 'workers' | 'round' | 'connections'>>> {
  const sliceSeconds = settings.duration / settings.slices;
  const runSlot = async (slot: Slot, seconds: number, measure: boolean) => {
    // Opened before the CPU readings: the slice measures streams held open, not their opening.
    const streams = await slot.consumers?.open();
    if (streams !== undefined && streams !== FEED_CONSUMERS) {
      throw new Error(`feed consumers: ${streams} of ${FEED_CONSUMERS} streams opened`);
    }
    const serviceBefore = slot.service?.cpuSeconds() ?? 0;
    const databaseBefore = database.cpuSeconds();
    slot.served += await slot.driver.run(seconds, measure);
    const serviceCpu = (slot.service?.cpuSeconds() ?? 0) - serviceBefore;
    slot.serviceCpuS += serviceCpu;
    if (measure) slot.measuredServiceCpuS += serviceCpu;
    slot.databaseCpuS += database.cpuSeconds() - databaseBefore;
    await slot.consumers?.close();
  };
  for (const slot of slots) await runSlot(slot, settings.warmup, false);
  for (let slice = 1; slice <= settings.slices; slice++) {
    for (const slot of slots) await runSlot(slot, sliceSeconds, true);
    log(`  slice ${slice}/${settings.slices} of ${slots.map((s) => s.scenario).join(', ')}`);
  }
  const measured = new Map<Scenario, Omit<Measured, 'workers' | 'round' | 'connections'>>();
  for (const slot of slots) {
    const result = await slot.driver.finish();
    const feedStreams = await slot.consumers?.finish();
    measured.set(slot.scenario, {
      scenario: slot.scenario,
      result,
      feedStreams,
      serviceCpuPct: slot.service ? (slot.measuredServiceCpuS / result.durationS) * 100 : null,
      serviceCpuUsPerRequest: slot.service ? (slot.serviceCpuS * 1e6) / slot.served : null,
      databaseCpuUsPerRequest: Number.isNaN(database.cpuSeconds())
        ? null
        : (slot.databaseCpuS * 1e6) / slot.served,
    });
  }
  return measured;
}

// ---------------------------------------------------------------- the run

/** The service's RSS right after a load, and after `settle` seconds of idleness. */
interface RssReading {
  loaded: number;
  settled: number;
}

/** Revocation propagation: service A → service B, and service A → the resource server. */
interface Revocations {
  service: RevocationResult | null;
  resourceServer: RevocationResult | null;
}

interface Rss {
  idle: number;
  round1: RssReading | null;
  round2: RssReading | null;
  end: RssReading | null;
}

/** The housekeeping part: refresh latency before and while the ended sessions are deleted. */
interface HousekeepingResult {
  /** Ended sessions there were to delete. */
  ended: number;
  /** From the first `DELETE FROM sessions` seen running to none left; null if none was seen. */
  deletionMs: number | null;
  /** From just before the second instance was started to none left. */
  sinceStartMs: number;
  before: LoadResult;
  /**
   * The requests in flight during the deletion (`failed` and the CPU are the whole load's, from
   * before the second instance started to the end of the deletion); null if none was.
   */
  during: LoadResult | null;
}

/**
 * The requests of `result` (which has a timeline) in flight at some moment between `fromMs` and
 * `toMs` (ms since the epoch); null if there were none.
 */
function within(result: LoadResult, fromMs: number, toMs: number): LoadResult | null {
  const { answeredAtMs, latencyMs } = result.timeline!;
  const latencies = latencyMs.filter(
    (latency, i) => answeredAtMs[i] >= fromMs && answeredAtMs[i] - latency <= toMs,
  );
  if (latencies.length === 0) return null;
  return {
    ...result,
    rps: latencies.length / ((toMs - fromMs) / 1000),
    ok: latencies.length,
    latencyMs: percentiles(latencies),
    durationS: (toMs - fromMs) / 1000,
    timeline: undefined,
  };
}

/** How long the housekeeping part waits for the ended sessions to go. */
const HOUSEKEEPING_TIMEOUT_MS = 15 * 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  // Read first: a missing or foreign file stops the run before it has cost anything.
  const baseline = settings.compare ? readBaseline(settings.compare) : null;
  const startedAt = Date.now();
  const loadAtStart = roundedLoad();
  const busyAtStart = await cpuBusy(2_000);
  const log = (message: string) =>
    console.error(
      `[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(3)}s] ${message}`,
    );

  if (settings.build) {
    log('building (npm run build)');
    const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build failed');
  }

  const workDir = mkdtempSync(join(tmpdir(), 'session-bench-'));
  const database = await openDatabase(workDir);
  log(`database: ${database.description}`);
  const services: ServiceProcess[] = [];
  const drivers: DriverProcess<unknown>[] = [];
  try {
    // Every instance shares the keys, as the instances of one deployment do.
    const privateKeyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const refreshSecret = randomBytes(48).toString('base64url');
    // Every instance serves the revocation feed, as it would with resource servers deployed.
    const feedToken = randomBytes(32).toString('base64url');
    // The service runs as the production image runs it: its node flags and allocator settings
    // (an allocator variable set for the bench itself wins, for experiments). The limits get the
    // same allocator, and the argon2 limit the service's libuv pool: the one it sizes itself.
    const production = productionRuntime(ROOT);
    const runtimeEnv = Object.fromEntries(
      Object.entries(production.env).filter(([name]) => !process.env[name]),
    );
    const poolEnv = {
      ...runtimeEnv,
      UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE || String(defaultThreadPoolSize()),
    };
    const serviceEnv = (workers: number): Record<string, string> => ({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PUBLIC_URL,
      DATABASE_URL: database.url,
      DATA_DIR: join(workDir, 'service'),
      JWT_PRIVATE_KEY: privateKeyPem,
      REFRESH_TOKEN_SECRET: refreshSecret,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      AUTH_RATE_LIMIT: '999999/1m',
      LOGIN_MAX_FAILURES: '1000',
      WEB_CONCURRENCY: String(workers),
      REVOCATION_FEED_TOKENS: feedToken,
      ...poolEnv,
    });
    log(
      `service as the image runs it: node ${production.nodeFlags.join(' ')} dist/main.js` +
        Object.entries(production.env)
          .map(([name, value]) => `, ${name}=${process.env[name] ?? value}`)
          .join(''),
    );
    const nodeOptions = [...production.nodeFlags];
    if (settings.cpuProfDir) {
      nodeOptions.push('--cpu-prof', `--cpu-prof-dir=${settings.cpuProfDir}`);
    }
    // For other profilers, e.g. BENCH_SERVICE_NODE_OPTIONS=--perf-basic-prof for perf(1).
    nodeOptions.push(...(process.env.BENCH_SERVICE_NODE_OPTIONS ?? '').split(' ').filter(Boolean));
    const start = async (name: string, workers: number) => {
      const service = await ServiceProcess.start(name, serviceEnv(workers), nodeOptions);
      services.push(service);
      return service;
    };
    // The resource server runs with the service's node flags and allocator, pointed at `service`.
    const startResourceServer = async (service: ServiceProcess) => {
      const server = await ServiceProcess.start(
        'resource server',
        {
          ISSUER: new URL(PUBLIC_URL).origin,
          JWKS_URL: `${service.url}/.well-known/jwks.json`,
          FEED_URL: `${service.url}/auth/revocations`,
          FEED_TOKEN: feedToken,
          ...runtimeEnv,
        },
        nodeOptions,
        RESOURCE_SERVER,
      );
      services.push(server);
      return server;
    };
    const stop = async (service: ServiceProcess) => {
      const code = await service.stop();
      services.splice(services.indexOf(service), 1);
      if (code !== 0) throw service.failure(`stopped with exit code ${code}`);
    };
    const only = settings.only;

    log('starting the service, 1 worker');
    const single = await start('service A', 1);
    const rss: Rss = { idle: single.rssMb(), round1: null, round2: null, end: null };
    const settle = async (): Promise<RssReading> => {
      const loaded = single.rssMb();
      await sleep(settings.settle * 1000);
      return { loaded, settled: single.rssMb() };
    };
    log(`seeding ${settings.users} users through POST /auth/register`);
    const seeded = await seed(single.url, settings.users);
    let resourceServer: ServiceProcess | null = null;
    if (only.has('rs') || only.has('rs-revocation')) {
      log('starting the resource server (Fastify), on service A');
      resourceServer = await startResourceServer(single);
    }
    let scale: ScaleSeed | null = null;
    const seedTheScale = async (scaleN: number) => {
      log(`--scale: seeding ${scaleN} live and ${scaleN} ended sessions in SQL`);
      scale = await seedScale(database.url, scaleN, log).catch((error: unknown) => {
        throw error instanceof OldSchemaError ? new Error(`--scale: ${error.message}`) : error;
      });
      const { population } = scale;
      log(
        `  seeded in ${fixed(population.seconds, 1)} s: ${population.users} users, ` +
          `${population.liveSessions} live and ${population.endedSessions} ended sessions, ` +
          `${population.securityEvents} security events, ${population.loginFailures} lockout ` +
          `counters; ${fixed(storagePerLiveSession(scale), 0)} bytes per live session`,
      );
    };
    // With --scale and no --compare, the compared scenarios first run on the database as it is
    // before seeding (round 0, on this same instance): the empty database's figures of the same
    // run. With --compare they come from that file, and the seeding comes first, so that
    // GET /auth/me (50,000 users) takes its sessions from the seeded ones.
    if (settings.scale && baseline) await seedTheScale(settings.scale);
    let manySessions: LiveSession[] = [];
    let minter: AccessTokenMinter | null = null;
    if (only.has('me-many')) {
      log(`${MANY_USERS} users' live sessions for GET /auth/me, tokens minted by the bench`);
      try {
        manySessions = await manyUsersSessions(database.url, log);
        minter = new AccessTokenMinter(privateKeyPem, seeded.accessTokens[0]);
        await checkMinted(single.url, minter, manySessions[manySessions.length - 1]);
      } catch (error) {
        // Without --scale, the rest of the bench still runs on a schema the seeding cannot write.
        if (!(error instanceof OldSchemaError)) throw error;
        log(`  skipped: ${error.message}`);
        only.delete('me-many');
      }
    }
    let refreshTokens = seeded.refreshTokens;
    let rawSessions =
      only.has('sql') &&
      (await seedRawSessions(database.url, seeded.userIds, settings.connections));

    const measured: Measured[] = [];
    const connectionsOf = (scenario: Scenario) =>
      scenario === 'login' || scenario === 'argon2'
        ? settings.loginConnections
        : settings.connections;
    const driverFor = async (scenario: Scenario, service: ServiceProcess): Promise<Slot> => {
      const connections = connectionsOf(scenario);
      const target = scenario === 'rs-health' || scenario === 'rs-me' ? resourceServer! : service;
      let driver: DriverProcess;
      let consumers: DriverProcess<FeedConsumersResult> | null = null;
      if (scenario === 'sql') {
        driver = await DriverProcess.start(
          scenario,
          {
            kind: 'sql',
            databaseUrl: database.url,
            connections,
            poolSize: SERVICE_POOL_SIZE,
            sessions: rawSessions || [],
          } satisfies SqlJob,
          workDir,
          runtimeEnv,
        );
      } else if (scenario === 'argon2') {
        driver = await DriverProcess.start(
          scenario,
          { kind: 'argon2', connections, password: seeded.credentials[0].password },
          workDir,
          poolEnv,
        );
      } else {
        const http = scenario === 'me-feeds' || scenario === 'me-many' ? 'me' : scenario;
        driver = await DriverProcess.start(
          scenario,
          {
            kind: 'http',
            scenario: http,
            url: target.url,
            connections,
            // Minted afresh for each round: a round outlasts no access token.
            accessTokens:
              scenario === 'me-many'
                ? minter!.mint(manySessions)
                : http === 'me' || http === 'rs-me'
                  ? seeded.accessTokens
                  : undefined,
            refreshTokens: http === 'refresh' ? refreshTokens : undefined,
            credentials: http === 'login' ? seeded.credentials : undefined,
          } satisfies HttpJob,
          workDir,
        );
      }
      drivers.push(driver);
      if (scenario === 'me-feeds') {
        consumers = await DriverProcess.start(
          'feed consumers',
          { kind: 'feed-consumers', url: service.url, token: feedToken, streams: FEED_CONSUMERS },
          workDir,
        );
        drivers.push(consumers);
      }
      return {
        scenario,
        driver,
        consumers,
        service: isLimit(scenario) ? null : target,
        serviceCpuS: 0,
        databaseCpuS: 0,
        measuredServiceCpuS: 0,
        served: 0,
      };
    };
    const round = async (
      service: ServiceProcess,
      workers: number,
      number: number,
      scenarios: Scenario[],
    ) => {
      log(
        `round ${number}${number === 0 ? ' (before --scale seeding)' : ''}, ${workers} ` +
          `worker(s): ${scenarios.join(', ')}, interleaved`,
      );
      const slots: Slot[] = [];
      for (const scenario of scenarios) slots.push(await driverFor(scenario, service));
      const results = await interleave(slots, settings, database, log);
      drivers.length = 0;
      for (const [scenario, result] of results) {
        if (result.result.refreshTokens) {
          const lost =
            Object.keys(refreshTokens).length - Object.keys(result.result.refreshTokens).length;
          if (lost > 0) log(`refresh: ${lost} session chain(s) lost`);
          refreshTokens = result.result.refreshTokens;
        }
        if (result.result.sessions) rawSessions = result.result.sessions;
        measured.push({
          ...result,
          workers: isLimit(scenario) ? null : workers,
          round: number,
          connections: connectionsOf(scenario),
        });
        log(
          `  ${LABELS[scenario]}: ${fixed(result.result.rps, 0)}/s, ` +
            `p99 ${fixed(result.result.latencyMs.p99, 1)} ms, failed ${result.result.failed}`,
        );
        if (result.feedStreams) {
          const { opened, lost, heartbeats } = result.feedStreams;
          log(`  feed streams: ${opened} opened, ${lost} lost, ${heartbeats} heartbeats received`);
        }
      }
    };
    const roundScenarios = ROUND.filter(([, parts]) => parts.some((part) => only.has(part))).map(
      ([scenario]) => scenario,
    );

    if (settings.scale && !baseline) {
      const compared = roundScenarios.filter((scenario) => COMPARED.includes(scenario));
      if (compared.length > 0) await round(single, 1, 0, compared);
      await seedTheScale(settings.scale);
    }

    // Two identical rounds on one instance: the first gives the figures, the second the memory trend.
    await round(single, 1, 1, roundScenarios);
    rss.round1 = await settle();
    if (only.has('round2')) {
      await round(single, 1, 2, roundScenarios);
      rss.round2 = await settle();
    }

    /**
     * Chained refreshes on service A: `duration` seconds of them, then as many as it takes while a
     * second instance, started on the same database, deletes the ended sessions at its start
     * (housekeeping). Of the second load, only the requests in flight between its DELETE first seen
     * running and no ended session left count: the instance's own start comes before.
     */
    const housekeepingTrial = async (ended: number): Promise<HousekeepingResult> => {
      const refreshDriver = async (name: string, timeline: boolean) => {
        const driver = await DriverProcess.start(
          name,
          {
            kind: 'http',
            scenario: 'refresh',
            url: single.url,
            connections: settings.connections,
            refreshTokens,
            timeline,
          } satisfies HttpJob,
          workDir,
        );
        drivers.push(driver);
        await driver.run(settings.warmup, false);
        return driver;
      };
      const finish = async (driver: DriverProcess) => {
        const result = await driver.finish();
        drivers.splice(drivers.indexOf(driver), 1);
        refreshTokens = result.refreshTokens ?? {};
        return { ...result, refreshTokens: undefined };
      };
      const quiet = await refreshDriver('refresh, before housekeeping', false);
      for (let run = 0; run < settings.duration; run += HOUSEKEEPING_SLICE_S) {
        await quiet.run(HOUSEKEEPING_SLICE_S, true);
      }
      const before = await finish(quiet);

      const busy = await refreshDriver('refresh, during housekeeping', true);
      const watch = new DeletionWatch(database.url);
      await watch.start();
      const second = start('service B (housekeeping at its start)', 1);
      let failedToStart: unknown = null;
      second.catch((error: unknown) => (failedToStart = error));
      const deadline = Date.now() + HOUSEKEEPING_TIMEOUT_MS;
      try {
        do {
          if (failedToStart) throw failedToStart;
          if (Date.now() > deadline) throw new Error('housekeeping: ended sessions still there');
          await busy.run(HOUSEKEEPING_SLICE_S, true);
        } while (!watch.done);
      } finally {
        await watch.stop();
      }
      const all = await finish(busy);
      await stop(await second);
      return {
        ended,
        deletionMs: watch.deletionMs,
        sinceStartMs: watch.sinceWatchedMs!,
        before,
        during: within(all, watch.startedAtMs ?? watch.watchedFromMs, watch.doneAtMs!),
      };
    };
    let housekeeping: HousekeepingResult | null = null;
    if (scale && only.has('housekeeping')) {
      const ended = await withClient(database.url, countEnded);
      log(
        `housekeeping: chained refreshes, then the same while a second instance deletes ` +
          `${ended} ended sessions at its start`,
      );
      housekeeping = await housekeepingTrial(ended);
      log(
        `  refresh p99 ${fixed(housekeeping.before.latencyMs.p99, 1)} ms before, ` +
          `${fixed(housekeeping.during?.latencyMs.p99 ?? NaN, 1)} ms during the deletion; ` +
          `deleted in ${fixed((housekeeping.deletionMs ?? housekeeping.sinceStartMs) / 1000, 1)} s`,
      );
    }

    /** Logs out on `from`, then polls `probePath` on `to` with the same token until it is refused. */
    const propagation = async (from: ServiceProcess, to: ServiceProcess, probePath: string) => {
      const result = await runOnce(
        {
          kind: 'revocation',
          urlA: from.url,
          urlB: to.url,
          probePath,
          accessTokens: await loginSessions(from.url, seeded, settings.revocationTrials),
          timeoutMs: 5_000,
        },
        workDir,
      );
      log(
        `  p50 ${fixed(result.latencyMs.p50, 1)} ms, p99 ${fixed(result.latencyMs.p99, 1)} ms, ` +
          `${result.failures} failed`,
      );
      return result;
    };
    const revocations: Revocations = { service: null, resourceServer: null };
    if (only.has('revocation')) {
      log(`revocation: ${settings.revocationTrials} logouts on A, polled on B`);
      const second = await start('service B', 1);
      revocations.service = await propagation(single, second, '/auth/me');
      await stop(second);
    }
    if (resourceServer && only.has('rs-revocation')) {
      log(
        `revocation: ${settings.revocationTrials} logouts on A, polled on the resource server ` +
          'that follows its feed',
      );
      revocations.resourceServer = await propagation(single, resourceServer, '/me');
    }
    if (resourceServer) await stop(resourceServer);
    rss.end = await settle();
    await stop(single);

    // The cluster runs the service's own scenarios: the others measure something else than workers.
    const clusterScenarios = roundScenarios.filter((scenario) =>
      (['health', 'me', 'refresh', 'login'] as Scenario[]).includes(scenario),
    );
    if (only.has('cluster') && clusterScenarios.length > 0) {
      log('starting the service, 2 workers');
      const pair = await start('service C', 2);
      await round(pair, 2, 1, clusterScenarios);
      await stop(pair);
    }

    const report = buildReport(settings, measured, revocations, rss, {
      database: database.description,
      loadAtStart,
      busyAtStart,
      scale,
      housekeeping,
      baseline,
    });
    // A --scale run keeps its own files, so that the empty-database run it compares with stays.
    const name = settings.scale ? 'latest-scale' : 'latest';
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, `${name}.json`), JSON.stringify(report.json, null, 2) + '\n');
    writeFileSync(join(RESULTS, `${name}.svg`), report.svg);
    console.log(report.text);
    log(`wrote bench/results/${name}.json and bench/results/${name}.svg`);
    if (settings.cpuProfDir) log(`CPU profiles in ${settings.cpuProfDir}`);
  } finally {
    for (const driver of drivers) driver.kill();
    for (const service of [...services]) await service.stop().catch(() => undefined);
    await database.close().catch((error: unknown) => log(`database: ${String(error)}`));
    closeAgent();
    rmSync(workDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the report

function buildReport(
  settings: Settings,
  measured: Measured[],
  revocations: Revocations,
  rss: Rss,
  context: {
    database: string;
    loadAtStart: number[];
    busyAtStart: number;
    scale: ScaleSeed | null;
    housekeeping: HousekeepingResult | null;
    baseline: Baseline | null;
  },
): { text: string; json: unknown; svg: string } {
  const find = (scenario: Scenario, round: number, workers: number | null) =>
    measured.find((m) => m.scenario === scenario && m.round === round && m.workers === workers);
  const single = (scenario: Scenario, round = 1) =>
    find(scenario, round, isLimit(scenario) ? null : 1);
  const rps = (scenario: Scenario, round = 1) => single(scenario, round)?.result.rps ?? NaN;
  const ratios = (round: number) => ({
    guarded: rps('me', round) / rps('health', round),
    refresh: rps('refresh', round) / rps('sql', round),
    login: rps('login', round) / rps('argon2', round),
    resourceServerGuarded: rps('rs-me', round) / rps('rs-health', round),
    /** The share of `/auth/me` throughput lost while the feed streams were open. */
    feedConsumersCost: 1 - rps('me-feeds', round) / rps('me', round),
  });
  const row = (m: Measured): Row => ({
    key: `${m.scenario}@${m.workers ?? '-'}#${m.round}`,
    label:
      LABELS[m.scenario] +
      (m.round > 1 ? `, round ${m.round}` : m.round === 0 ? ', before --scale seeding' : ''),
    workers: m.workers,
    connections: m.connections,
    rps: m.result.rps,
    p50: m.result.latencyMs.p50,
    p99: m.result.latencyMs.p99,
    failed: m.result.failed,
    driverCpuPct: m.result.driverCpuPct,
    serviceCpuPct: m.serviceCpuPct,
    serviceCpuUsPerRequest: m.serviceCpuUsPerRequest,
    databaseCpuUsPerRequest: m.databaseCpuUsPerRequest,
  });
  const rows: Row[] = [
    ...measured.filter((m) => m.round === 0),
    ...measured.filter((m) => m.round === 1 && m.workers !== 2),
    ...measured.filter((m) => m.workers === 2),
    ...measured.filter((m) => m.round === 2 && m.workers === 1),
  ].map(row);
  rows.push(...housekeepingRows(context.housekeeping, settings.connections));
  const measuredEmpty = measured.some((m) => m.round === 0);
  const baseline: Baseline | null =
    context.baseline ??
    (measuredEmpty
      ? { file: null, date: new Date().toISOString(), commit: null, rows, round: 0 }
      : null);

  const first = ratios(1);
  const second = ratios(2);
  const refreshUs = single('refresh')?.serviceCpuUsPerRequest ?? NaN;
  const settled = (reading: RssReading | null) => reading?.settled ?? NaN;
  const growth = (settled(rss.round2) - settled(rss.round1)) / settled(rss.round1);
  const percent = (value: number) => `${value >= 0 ? '+' : ''}${fixed(value * 100, 1)}%`;
  const propagation = (name: string, result: RevocationResult | null): Target => ({
    name: result ? `${name}, p50 / p99 (${result.trials} trials, ${result.failures} failed)` : name,
    value: result
      ? `${fixed(result.latencyMs.p50, 1)} / ${fixed(result.latencyMs.p99, 1)} ms`
      : '-',
    goal: 'p99 < 100 ms',
    met: !!result && result.failures === 0 && result.latencyMs.p99 < 100,
  });
  const targets: Target[] = [
    {
      name: 'guarded / unguarded (GET /auth/me ÷ GET /health)',
      value: fixed(first.guarded, 2),
      goal: '≥ 0.90',
      met: first.guarded >= 0.9,
    },
    {
      name: 'resource server guarded / unguarded (GET /me ÷ GET /health)',
      value: fixed(first.resourceServerGuarded, 2),
      goal: '≥ 0.80',
      met: first.resourceServerGuarded >= 0.8,
    },
    {
      name: 'refresh ÷ raw rotation SQL',
      value: fixed(first.refresh, 2),
      goal: '≥ 0.75',
      met: first.refresh >= 0.75,
    },
    {
      name: "refresh: the service's CPU per request",
      value: `${fixed(refreshUs, 0)} µs`,
      goal: '≤ 250 µs',
      met: refreshUs <= 250,
    },
    {
      name: 'login ÷ raw argon2id verify',
      value: fixed(first.login, 2),
      goal: '≥ 0.90',
      met: first.login >= 0.9,
    },
    propagation('revocation A→B', revocations.service),
    propagation('revocation service → resource server', revocations.resourceServer),
    {
      name: `${FEED_CONSUMERS} idle feed streams: GET /auth/me req/s lost`,
      value:
        `${fixed(first.feedConsumersCost * 100, 1)}% ` +
        `(${fixed(rps('me'), 0)} → ${fixed(rps('me-feeds'), 0)}/s)`,
      goal: '< 5%',
      met: first.feedConsumersCost < 0.05,
    },
    {
      name: `RSS after the run (1 worker, after ${settings.settle} s idle)`,
      value: `${fixed(settled(rss.end), 0)} MB`,
      goal: '≤ 100 MB',
      met: settled(rss.end) <= 100,
    },
    {
      name: 'RSS growth, round 1 → round 2',
      value:
        `${fixed(settled(rss.round1), 0)} → ${fixed(settled(rss.round2), 0)} MB ` +
        `(${percent(growth)})`,
      goal: '< 10%',
      met: growth < 0.1,
    },
    ...scaleTargets(settings, context.housekeeping, baseline, measured),
  ];
  const machine = {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAverageAtStart: context.loadAtStart,
    cpuBusyBeforeStartPct: Math.round(context.busyAtStart * 100),
    loadAverageAtEnd: roundedLoad(),
    database: context.database,
    commit: currentCommit(),
  };
  const perVcpu = {
    vcpus: machine.nproc,
    refresh: rps('refresh') / machine.nproc,
    login: rps('login') / machine.nproc,
    keycloak: KEYCLOAK_PER_VCPU,
    databaseOnTheSameCores: true,
  };
  const feeds = single('me-feeds')?.feedStreams;
  const extra = [
    `Round 2 ratios (same instance, same work): guarded ${fixed(second.guarded, 2)}, ` +
      `refresh ${fixed(second.refresh, 2)}, login ${fixed(second.login, 2)}, ` +
      `resource server guarded ${fixed(second.resourceServerGuarded, 2)}, ` +
      `feed streams' cost ${fixed(second.feedConsumersCost * 100, 1)}%.`,
    `${FEED_CONSUMERS} idle feed streams, round 1: the service's CPU per GET /auth/me ` +
      `${fixed(single('me')?.serviceCpuUsPerRequest ?? NaN, 1)} → ` +
      `${fixed(single('me-feeds')?.serviceCpuUsPerRequest ?? NaN, 1)} µs with them; ` +
      (feeds
        ? `${feeds.opened} streams opened in all (${FEED_CONSUMERS} before each slice, closed ` +
          `after it), ${feeds.lost} lost, ` +
          `${feeds.heartbeats} heartbeats and ${feeds.events} events received.`
        : 'not run.'),
    `RSS of the 1-worker service, right after the load → after ${settings.settle} s idle: ` +
      `${fixed(rss.idle, 0)} MB at start, round 1 ${describe(rss.round1)}, ` +
      `round 2 ${describe(rss.round2)}, at the end ${describe(rss.end)}.`,
    `Raw rotation SQL, as the service issues it: ${ROTATION_STATEMENTS.join('; ')}.`,
    `${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGb} GB, Node ${machine.node}, ` +
      `${context.database}; each scenario ${settings.duration} s in ${settings.slices} ` +
      `interleaved slices after ${settings.warmup} s of warm-up; CPUs ` +
      `${machine.cpuBusyBeforeStartPct}% busy with other work just before the start.`,
    `Per vCPU (${perVcpu.vcpus} vCPUs; ours includes the database, on the same cores): ` +
      `${fixed(perVcpu.refresh, 0)} refreshes/s and ${fixed(perVcpu.login, 1)} password ` +
      `sign-ins/s, against ${KEYCLOAK_PER_VCPU.refresh} and ${KEYCLOAK_PER_VCPU.login} in ` +
      `Keycloak's high-availability CPU sizing (its database elsewhere).`,
    ...scaleLines(settings, context.scale, context.housekeeping, baseline, machine.commit),
  ];
  const failures = rows.filter((r) => r.failed > 0);
  if (failures.length) {
    extra.push(`WARNING: failed requests in ${failures.map((r) => r.label).join(', ')}.`);
  }
  if (feeds && feeds.lost > 0) {
    extra.push(
      `WARNING: the service dropped ${feeds.lost} idle feed stream(s) while they were held.`,
    );
  }
  if (context.busyAtStart > 0.25) {
    extra.push(
      `WARNING: other work kept ${fixed(context.busyAtStart * 100, 0)}% of the CPUs busy just ` +
        `before the run: figures are depressed and noisy.`,
    );
  }
  return {
    text: formatTable(rows, targets, extra),
    svg: renderSvg(
      rows,
      'session-service: npm run bench',
      `${new Date().toISOString().slice(0, 16)}Z · ${machine.nproc} CPUs · Node ${machine.node} · ` +
        `${settings.duration} s per scenario`,
    ),
    json: {
      date: new Date().toISOString(),
      settings: { ...settings, only: [...settings.only] },
      machine,
      rows,
      targets,
      ratios: { round1: first, round2: second },
      revocation: revocations.service,
      resourceServerRevocation: revocations.resourceServer,
      rssMb: rss,
      perVcpu,
      scale: context.scale && {
        ...context.scale,
        bytesPerLiveSession: storagePerLiveSession(context.scale),
      },
      housekeeping: context.housekeeping,
      compared: baseline && { ...baseline, rows: undefined },
      scenarios: measured.map((m) => ({
        ...m,
        result: { ...m.result, refreshTokens: undefined, sessions: undefined },
      })),
    },
  };
}

// ---------------------------------------------------------------- --scale in the report

/** The scenarios a --scale run compares with the same rows of an empty database's run. */
const COMPARED: Scenario[] = ['refresh', 'me', 'me-many', 'login'];

/**
 * The empty database's figures: an earlier run's, read from `--compare` (its round 1), or this
 * run's round 0, measured before the seeding.
 */
interface Baseline {
  /** Null for this run's round 0. */
  file: string | null;
  date: string;
  commit: string | null;
  rows: Row[];
  round: 0 | 1;
}

function readBaseline(file: string): Baseline {
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    date?: string;
    machine?: { commit?: string };
    settings?: { scale?: number | null };
    rows?: Row[];
  };
  if (!Array.isArray(json.rows)) throw new Error(`--compare: ${file} has no rows`);
  if (json.settings?.scale) {
    throw new Error(`--compare: ${file} is a --scale run, not one on an empty database`);
  }
  return {
    file,
    date: json.date ?? '?',
    commit: json.machine?.commit ?? null,
    rows: json.rows,
    round: 1,
  };
}

/** Table and index bytes of the sized tables, per live session. */
function storagePerLiveSession(scale: ScaleSeed): number {
  return scale.sizes.reduce((sum, size) => sum + size.totalBytes, 0) / scale.liveSessions;
}

/** With --scale: each compared row within 15% of the empty database's, and housekeeping's cost. */
function scaleTargets(
  settings: Settings,
  housekeeping: HousekeepingResult | null,
  baseline: Baseline | null,
  measured: Measured[],
): Target[] {
  if (!settings.scale) return [];
  const sessions = settings.scale.toLocaleString('en-US');
  const targets: Target[] = [];
  for (const scenario of COMPARED) {
    const now = measured.find((m) => m.scenario === scenario && m.round === 1 && m.workers === 1);
    if (!now) continue;
    const then = baseline?.rows.find((row) => row.key === `${scenario}@1#${baseline.round}`);
    const ratio = then ? now.result.rps / then.rps : NaN;
    targets.push({
      name: `${LABELS[scenario]}, ${sessions} sessions ÷ empty database (req/s)`,
      value: then
        ? `${fixed(ratio, 2)} (${fixed(then.rps, 0)} → ${fixed(now.result.rps, 0)}/s, ` +
          `service ${fixed(then.serviceCpuUsPerRequest ?? NaN, 0)} → ` +
          `${fixed(now.serviceCpuUsPerRequest ?? NaN, 0)} µs/req)`
        : baseline
          ? 'not in the compared run'
          : 'not measured before the seeding',
      goal: '≥ 0.85',
      met: ratio >= 0.85,
    });
  }
  if (housekeeping) {
    const { before, during } = housekeeping;
    const ratio = during ? during.latencyMs.p99 / before.latencyMs.p99 : NaN;
    targets.push({
      name: `refresh p99 while housekeeping deletes ${housekeeping.ended} sessions ÷ before`,
      value: during
        ? `${fixed(ratio, 2)} (${fixed(before.latencyMs.p99, 1)} → ` +
          `${fixed(during.latencyMs.p99, 1)} ms)`
        : `- (over in ${fixed(housekeeping.sinceStartMs, 0)} ms)`,
      goal: '≤ 1.50',
      met: ratio <= 1.5,
    });
  }
  return targets;
}

/** The housekeeping part's two refresh loads, as rows of the table. */
function housekeepingRows(housekeeping: HousekeepingResult | null, connections: number): Row[] {
  if (!housekeeping) return [];
  const loads: [string, string, LoadResult | null][] = [
    ['refresh-before-housekeeping', 'POST /auth/refresh, before housekeeping', housekeeping.before],
    [
      'refresh-during-housekeeping',
      `POST /auth/refresh, while ${housekeeping.ended} ended sessions are deleted`,
      housekeeping.during,
    ],
  ];
  return loads.flatMap(([key, label, result]) =>
    result
      ? [
          {
            key,
            label,
            workers: 1,
            connections,
            rps: result.rps,
            p50: result.latencyMs.p50,
            p99: result.latencyMs.p99,
            failed: result.failed,
            driverCpuPct: result.driverCpuPct,
            serviceCpuPct: null,
            serviceCpuUsPerRequest: null,
            databaseCpuUsPerRequest: null,
          },
        ]
      : [],
  );
}

/** What --scale seeded, what it takes on disk, how housekeeping did, and what it was compared with. */
function scaleLines(
  settings: Settings,
  scale: ScaleSeed | null,
  housekeeping: HousekeepingResult | null,
  baseline: Baseline | null,
  commit: string,
): string[] {
  if (!settings.scale || !scale) return [];
  const { population } = scale;
  const perLive = (bytes: number) => fixed(bytes / scale.liveSessions, 0);
  const lines = [
    `--scale=${settings.scale}: seeded in SQL in ${fixed(population.seconds, 1)} s ` +
      `(${population.users} users, ${population.liveSessions} live and ` +
      `${population.endedSessions} ended sessions, ${population.securityEvents} security ` +
      `events, ${population.loginFailures} lockout counters; VACUUM (ANALYZE) included).`,
    `On disk per live session (${scale.liveSessions} live, ${scale.endedSessions} ended ` +
      `still present): ${fixed(storagePerLiveSession(scale), 0)} bytes; ` +
      scale.sizes
        .map(
          (size) =>
            `${size.table} ${perLive(size.totalBytes)} (table ${perLive(size.tableBytes)}, ` +
            `indexes ${perLive(size.indexBytes)})`,
        )
        .join(', ') +
      '.',
  ];
  if (housekeeping) {
    const seconds = (housekeeping.deletionMs ?? housekeeping.sinceStartMs) / 1000;
    const { before, during } = housekeeping;
    lines.push(
      `Housekeeping deleted ${housekeeping.ended} ended sessions in ${fixed(seconds, 2)} s ` +
        `(${fixed(housekeeping.ended / seconds, 0)} rows/s), ` +
        (housekeeping.deletionMs === null
          ? 'from the second instance’s start (its DELETE was never seen running)'
          : `from its DELETE seen running; ${fixed(housekeeping.sinceStartMs / 1000, 2)} s ` +
            'from the second instance’s start') +
        `. Refresh p50 / p99: ${fixed(before.latencyMs.p50, 1)} / ` +
        `${fixed(before.latencyMs.p99, 1)} ms over ${before.ok} refreshes before, ` +
        (during
          ? `${fixed(during.latencyMs.p50, 1)} / ${fixed(during.latencyMs.p99, 1)} ms over the ` +
            `${during.ok} in flight during the deletion.`
          : 'none in flight during the deletion.'),
    );
  }
  if (baseline?.file) {
    lines.push(
      `Compared with ${baseline.file} (${baseline.date}, commit ${baseline.commit ?? 'unknown'}; ` +
        `this run ${commit}).`,
    );
    if (baseline.commit !== commit) {
      lines.push('WARNING: the empty-database run was of another build.');
    }
  } else if (baseline) {
    lines.push(
      'Compared with the rows "before --scale seeding": the same scenarios on the same instance, ' +
        'in this run, before the sessions were seeded.',
    );
  }
  return lines;
}

/** This checkout's commit, `+dirty` when tracked files differ from it. */
function currentCommit(): string {
  const git = (...args: string[]) =>
    spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const head = git('rev-parse', '--short', 'HEAD') || 'unknown';
  return git('status', '--porcelain', '--untracked-files=no') ? `${head}+dirty` : head;
}

function describe(reading: RssReading | null): string {
  return reading ? `${fixed(reading.loaded, 0)} → ${fixed(reading.settled, 0)} MB` : '-';
}

/** The share of all CPUs busy over the next `ms`, from /proc/stat: other work on the machine. */
async function cpuBusy(ms: number): Promise<number> {
  const sample = () => {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
    const ticks = fields.map(Number);
    // idle and iowait
    return { idle: ticks[3] + ticks[4], total: ticks.reduce((sum, value) => sum + value, 0) };
  };
  const before = sample();
  await sleep(ms);
  const after = sample();
  return 1 - (after.idle - before.idle) / (after.total - before.total);
}

function roundedLoad(): number[] {
  return loadavg().map((value) => Math.round(value * 100) / 100);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
