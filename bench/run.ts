/* eslint-disable no-console -- a command-line tool: its output is for the operator */
/**
 * `npm run bench [-- --quick] [-- --duration=10 --connections=50 --login-connections=16 --no-build]`
 *
 * Builds and starts the service (on DATABASE_URL when set, in a schema of its own; else on an
 * embedded PostgreSQL in a temporary folder), seeds users and sessions through the API, drives it
 * with autocannon from a separate process, measures the machine's own limits in the same run, and
 * prints one table, also written to bench/results/latest.json and bench/results/latest.svg.
 */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { closeAgent, mapLimit, requestJson } from './lib/http';
import {
  Argon2Job,
  HttpJob,
  HttpScenario,
  Job,
  LoadResult,
  RevocationJob,
  RevocationResult,
  SqlJob,
} from './lib/jobs';
import { fixed, formatTable, renderSvg, Row, Target } from './lib/report';
import { ROTATION_STATEMENTS } from './lib/rotation-sql';
import { postgresCpuSeconds, ServiceProcess } from './lib/service';

const ROOT = resolve(__dirname, '..');
const RESULTS = join(ROOT, 'bench', 'results');
/** The service's database pool size (src/database/data-source-options.ts). */
const SERVICE_POOL_SIZE = 20;

interface Settings {
  quick: boolean;
  duration: number;
  warmup: number;
  connections: number;
  loginConnections: number;
  users: number;
  revocationTrials: number;
  build: boolean;
  /** Parts to run (see PARTS); all by default. */
  only: Set<Part>;
  /** Folder for `node --cpu-prof` profiles of every service process, when asked. */
  cpuProfDir: string | null;
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
  const number = (name: string, fallback: number) => {
    const value = flags.has(name) ? Number(flags.get(name)) : fallback;
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} takes a positive number`);
    return value;
  };
  return {
    quick,
    duration: number('duration', quick ? 2 : 10),
    warmup: number('warmup', quick ? 0.5 : 2),
    connections: number('connections', 50),
    loginConnections: number('login-connections', 16),
    users: number('users', quick ? 60 : 200),
    revocationTrials: number('trials', quick ? 10 : 50),
    build: !flags.has('no-build'),
    only: parseParts(flags.get('only')),
    cpuProfDir: flags.has('cpu-prof') ? resolve(ROOT, 'bench/results/profiles') : null,
  };
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

// ---------------------------------------------------------------- the driver process

let jobNumber = 0;

/** Runs one job in a fresh driver process (see driver.ts) and returns its result. */
async function drive<T extends LoadResult | RevocationResult>(
  job: Job,
  workDir: string,
  env: Record<string, string> = {},
): Promise<T> {
  const id = ++jobNumber;
  const jobFile = join(workDir, `job-${id}.json`);
  const resultFile = join(workDir, `result-${id}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(ROOT, 'bench/driver.ts'), jobFile, resultFile],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`The driver failed on ${job.kind} (exit ${code})`);
  return JSON.parse(readFileSync(resultFile, 'utf8')) as T;
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
        `WITH new_session AS (
           INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at,
                                 absolute_expires_at, current_token_id, user_agent, ip)
           VALUES ($1, $2, now(), now(), now() + interval '7 days', now() + interval '30 days',
                   $3, 'bench', '127.0.0.1')
         )
         INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, issued_at, expires_at)
         VALUES ($3, $1, $4, NULL, now(), now() + interval '7 days')
         RETURNING session_id, id AS token_id`,
        [randomUUID(), userIds[i % userIds.length], randomUUID(), randomBytes(32)],
      );
      sessions.push({
        sessionId: row.rows[0].session_id,
        userId: userIds[i % userIds.length],
        tokenId: row.rows[0].token_id,
        tokenHash: randomBytes(32).toString('hex'),
      });
    }
    return sessions;
  });
}

// ---------------------------------------------------------------- the run

interface ScenarioRun {
  key: string;
  scenario: HttpScenario;
  workers: number;
  round: number;
  result: LoadResult;
  serviceCpuPct: number;
  serviceCpuUsPerRequest: number;
  databaseCpuUsPerRequest: number;
}

const LABELS: Record<HttpScenario, string> = {
  health: 'GET /health',
  me: 'GET /auth/me (200 users)',
  refresh: 'POST /auth/refresh (chained)',
  login: 'POST /auth/login',
};

async function main(): Promise<void> {
  const settings = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const loadAtStart = roundedLoad();
  const log = (message: string) =>
    console.error(
      `[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(3)}s] ${message}`,
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
  try {
    // Every instance shares the keys, as the instances of one deployment do.
    const privateKeyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const refreshSecret = randomBytes(48).toString('base64url');
    const threadPool = process.env.UV_THREADPOOL_SIZE;
    const serviceEnv = (workers: number): Record<string, string> => ({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PUBLIC_URL: 'http://localhost:3000',
      DATABASE_URL: database.url,
      DATA_DIR: join(workDir, 'service'),
      JWT_PRIVATE_KEY: privateKeyPem,
      REFRESH_TOKEN_SECRET: refreshSecret,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      AUTH_RATE_LIMIT: '999999/1m',
      LOGIN_MAX_FAILURES: '1000',
      WEB_CONCURRENCY: String(workers),
      ...(threadPool ? { UV_THREADPOOL_SIZE: threadPool } : {}),
    });
    const start = async (name: string, workers: number) => {
      const profile = settings.cpuProfDir
        ? ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfDir}`]
        : [];
      // For other profilers, e.g. BENCH_SERVICE_NODE_OPTIONS=--perf-basic-prof for perf(1).
      profile.push(...(process.env.BENCH_SERVICE_NODE_OPTIONS ?? '').split(' ').filter(Boolean));
      const service = await ServiceProcess.start(name, serviceEnv(workers), profile);
      services.push(service);
      return service;
    };
    const stop = async (service: ServiceProcess) => {
      const code = await service.stop();
      services.splice(services.indexOf(service), 1);
      if (code !== 0) throw service.failure(`stopped with exit code ${code}`);
    };
    const only = settings.only;

    log('starting the service, 1 worker');
    const single = await start('service A', 1);
    const rss = { idle: single.rssMb(), round1: NaN, round2: NaN, end: NaN };
    log(`seeding ${settings.users} users through POST /auth/register`);
    const seeded = await seed(single.url, settings.users);
    let refreshTokens = seeded.refreshTokens;

    const runs: ScenarioRun[] = [];
    const runScenario = async (
      service: ServiceProcess,
      scenario: HttpScenario,
      workers: number,
      round: number,
    ) => {
      const job: HttpJob = {
        kind: 'http',
        scenario,
        url: service.url,
        duration: settings.duration,
        warmup: settings.warmup,
        connections: scenario === 'login' ? settings.loginConnections : settings.connections,
        accessTokens: scenario === 'me' ? seeded.accessTokens : undefined,
        refreshTokens: scenario === 'refresh' ? refreshTokens : undefined,
        credentials: scenario === 'login' ? seeded.credentials : undefined,
      };
      const cpuBefore = service.cpuSeconds();
      const dbBefore = database.cpuSeconds();
      const wallBefore = performance.now();
      const result = await drive<LoadResult>(job, workDir);
      const cpuUsed = service.cpuSeconds() - cpuBefore;
      const served = result.servedInAll ?? result.ok;
      const serviceCpuPct = (cpuUsed / ((performance.now() - wallBefore) / 1000)) * 100;
      const serviceCpuUsPerRequest = (cpuUsed * 1e6) / served;
      const databaseCpuUsPerRequest = ((database.cpuSeconds() - dbBefore) * 1e6) / served;
      if (result.refreshTokens) {
        const lost = Object.keys(refreshTokens).length - Object.keys(result.refreshTokens).length;
        if (lost > 0) log(`refresh: ${lost} session chain(s) lost`);
        refreshTokens = result.refreshTokens;
      }
      log(
        `${LABELS[scenario]}, ${workers} worker(s), round ${round}: ${fixed(result.rps, 0)} req/s, ` +
          `p99 ${fixed(result.latencyMs.p99, 1)} ms, failed ${result.failed}`,
      );
      runs.push({
        key: `${scenario}@${workers}`,
        scenario,
        workers,
        round,
        result,
        serviceCpuPct,
        serviceCpuUsPerRequest,
        databaseCpuUsPerRequest,
      });
    };
    const scenarios = (['health', 'me', 'refresh', 'login'] as const).filter((s) => only.has(s));

    // Two identical rounds on one instance: the first gives the figures, the second the memory trend.
    for (const scenario of scenarios) await runScenario(single, scenario, 1, 1);
    rss.round1 = single.rssMb();
    if (only.has('round2')) {
      for (const scenario of scenarios) await runScenario(single, scenario, 1, 2);
      rss.round2 = single.rssMb();
    }

    let revocation: RevocationResult | null = null;
    if (only.has('revocation')) {
      log(`revocation: ${settings.revocationTrials} logouts on A, polled on B`);
      const second = await start('service B', 1);
      revocation = await drive<RevocationResult>(
        {
          kind: 'revocation',
          urlA: single.url,
          urlB: second.url,
          accessTokens: await loginSessions(single.url, seeded, settings.revocationTrials),
          timeoutMs: 5_000,
        } satisfies RevocationJob,
        workDir,
      );
      await stop(second);
    }
    rss.end = single.rssMb();
    await stop(single);

    let sql: LoadResult | null = null;
    let sqlDatabaseUs = NaN;
    if (only.has('sql')) {
      log(
        `limit: the rotation's SQL through pg, ${settings.connections} loops, pool ${SERVICE_POOL_SIZE}`,
      );
      const sessions = await seedRawSessions(database.url, seeded.userIds, settings.connections);
      const dbBefore = database.cpuSeconds();
      sql = await drive<LoadResult>(
        {
          kind: 'sql',
          databaseUrl: database.url,
          poolSize: SERVICE_POOL_SIZE,
          connections: settings.connections,
          duration: settings.duration,
          warmup: settings.warmup,
          sessions,
        } satisfies SqlJob,
        workDir,
      );
      sqlDatabaseUs = ((database.cpuSeconds() - dbBefore) * 1e6) / (sql.servedInAll ?? sql.ok);
    }
    let argon2: LoadResult | null = null;
    if (only.has('argon2')) {
      log(`limit: argon2id verify, ${settings.loginConnections} in flight`);
      argon2 = await drive<LoadResult>(
        {
          kind: 'argon2',
          connections: settings.loginConnections,
          duration: settings.duration,
          warmup: settings.warmup,
          password: seeded.credentials[0].password,
        } satisfies Argon2Job,
        workDir,
        threadPool ? { UV_THREADPOOL_SIZE: threadPool } : {},
      );
    }

    if (only.has('cluster') && scenarios.length > 0) {
      log('starting the service, 2 workers');
      const pair = await start('service C', 2);
      for (const scenario of scenarios) await runScenario(pair, scenario, 2, 1);
      await stop(pair);
    }

    const report = buildReport(settings, runs, sql, argon2, revocation, rss, {
      sqlDatabaseUs,
      database: database.description,
      loadAtStart,
    });
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(report.json, null, 2) + '\n');
    writeFileSync(join(RESULTS, 'latest.svg'), report.svg);
    console.log(report.text);
    log('wrote bench/results/latest.json and bench/results/latest.svg');
    if (settings.cpuProfDir) log(`CPU profiles in ${settings.cpuProfDir}`);
  } finally {
    for (const service of [...services]) await service.stop().catch(() => undefined);
    await database.close().catch((error: unknown) => log(`database: ${String(error)}`));
    closeAgent();
    rmSync(workDir, { recursive: true, force: true });
  }
}

function buildReport(
  settings: Settings,
  runs: ScenarioRun[],
  sql: LoadResult | null,
  argon2: LoadResult | null,
  revocation: RevocationResult | null,
  rss: { idle: number; round1: number; round2: number; end: number },
  context: { database: string; loadAtStart: number[]; sqlDatabaseUs: number },
): { text: string; json: unknown; svg: string } {
  const rpsOf = (scenario: HttpScenario) =>
    runs.find((run) => run.scenario === scenario && run.workers === 1 && run.round === 1)?.result
      .rps ?? NaN;
  const row = (run: ScenarioRun): Row => ({
    key: `${run.scenario}@${run.workers}${run.round > 1 ? `#${run.round}` : ''}`,
    label: LABELS[run.scenario] + (run.round > 1 ? `, round ${run.round}` : ''),
    workers: run.workers,
    connections: run.scenario === 'login' ? settings.loginConnections : settings.connections,
    rps: run.result.rps,
    p50: run.result.latencyMs.p50,
    p99: run.result.latencyMs.p99,
    failed: run.result.failed,
    driverCpuPct: run.result.driverCpuPct,
    serviceCpuPct: run.serviceCpuPct,
    serviceCpuUsPerRequest: run.serviceCpuUsPerRequest,
    databaseCpuUsPerRequest: run.databaseCpuUsPerRequest,
  });
  const limit = (
    key: string,
    label: string,
    result: LoadResult,
    connections: number,
    databaseUs: number | null = null,
  ): Row => ({
    key,
    label,
    workers: null,
    connections,
    rps: result.rps,
    p50: result.latencyMs.p50,
    p99: result.latencyMs.p99,
    failed: result.failed,
    driverCpuPct: result.driverCpuPct,
    serviceCpuPct: null,
    serviceCpuUsPerRequest: null,
    databaseCpuUsPerRequest: databaseUs,
  });
  const rows: Row[] = [
    ...runs.filter((run) => run.workers === 1 && run.round === 1).map(row),
    ...runs.filter((run) => run.workers === 2).map(row),
    ...runs.filter((run) => run.round === 2).map(row),
    ...(sql
      ? [
          limit(
            'sql',
            'limit: rotation SQL via pg',
            sql,
            settings.connections,
            context.sqlDatabaseUs,
          ),
        ]
      : []),
    ...(argon2
      ? [limit('argon2', 'limit: argon2id verify', argon2, settings.loginConnections)]
      : []),
  ];

  const guarded = rpsOf('me') / rpsOf('health');
  const refresh = rpsOf('refresh') / (sql?.rps ?? NaN);
  const login = rpsOf('login') / (argon2?.rps ?? NaN);
  const growth = (rss.round2 - rss.round1) / rss.round1;
  const percent = (value: number) => `${value >= 0 ? '+' : ''}${fixed(value * 100, 1)}%`;
  const targets: Target[] = [
    {
      name: 'guarded / unguarded (GET /auth/me ÷ GET /health)',
      value: fixed(guarded, 2),
      goal: '≥ 0.80',
      met: guarded >= 0.8,
    },
    {
      name: 'refresh ÷ raw rotation SQL',
      value: fixed(refresh, 2),
      goal: '≥ 0.50',
      met: refresh >= 0.5,
    },
    {
      name: 'login ÷ raw argon2id verify',
      value: fixed(login, 2),
      goal: '≥ 0.85',
      met: login >= 0.85,
    },
    {
      name: revocation
        ? `revocation A→B, p50 / p99 (${revocation.trials} trials, ${revocation.failures} failed)`
        : 'revocation A→B',
      value: revocation
        ? `${fixed(revocation.latencyMs.p50, 1)} / ${fixed(revocation.latencyMs.p99, 1)} ms`
        : '-',
      goal: 'p99 < 100 ms',
      met: !!revocation && revocation.failures === 0 && revocation.latencyMs.p99 < 100,
    },
    {
      name: 'RSS after the run (1 worker)',
      value: `${fixed(rss.end, 0)} MB`,
      goal: '< 200 MB',
      met: rss.end < 200,
    },
    {
      name: 'RSS growth, round 1 → round 2',
      value: `${fixed(rss.round1, 0)} → ${fixed(rss.round2, 0)} MB (${percent(growth)})`,
      goal: '< 10%',
      met: growth < 0.1,
    },
  ];
  const machine = {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAverageAtStart: context.loadAtStart,
    loadAverageAtEnd: roundedLoad(),
    database: context.database,
  };
  const extra = [
    `RSS of the 1-worker service: ${fixed(rss.idle, 0)} MB idle after start, ` +
      `${fixed(rss.round1, 0)} MB after round 1, ${fixed(rss.round2, 0)} MB after round 2, ` +
      `${fixed(rss.end, 0)} MB at the end.`,
    `Raw rotation SQL, as the service issues it: ${ROTATION_STATEMENTS.join('; ')}.`,
    `${machine.nproc} CPUs (${machine.cpu}), ${machine.memoryGb} GB, Node ${machine.node}, ` +
      `${context.database}; ${settings.duration} s per scenario after ${settings.warmup} s of ` +
      `warm-up; load average ${machine.loadAverageAtStart[0]} at the start, ` +
      `${machine.loadAverageAtEnd[0]} at the end.`,
  ];
  const failures = rows.filter((r) => r.failed > 0);
  if (failures.length) {
    extra.push(`WARNING: failed requests in ${failures.map((r) => r.label).join(', ')}.`);
  }
  if (machine.loadAverageAtStart[0] > machine.nproc * 0.5) {
    extra.push(
      `WARNING: the machine was busy before the run (load ${machine.loadAverageAtStart[0]} on ` +
        `${machine.nproc} CPUs): figures are depressed and noisy.`,
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
      ratios: { guarded, refresh, login },
      revocation,
      rssMb: rss,
      raw: { sql, argon2 },
      scenarios: runs.map((run) => ({
        ...run,
        result: { ...run.result, refreshTokens: undefined },
      })),
    },
  };
}

function roundedLoad(): number[] {
  return loadavg().map((value) => Math.round(value * 100) / 100);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
