/**
 * The load driver: one job per process (see lib/jobs.ts), read from the JSON file named by the
 * first argument; the result is written as JSON to the file named by the second. It runs apart
 * from the service and from the orchestrator, so that neither shares an event loop with the load.
 */
import * as argon2 from 'argon2';
import autocannon from 'autocannon';
import { readFileSync, writeFileSync } from 'node:fs';
import { Pool } from 'pg';
import {
  Argon2Job,
  HttpJob,
  Job,
  LoadResult,
  percentiles,
  RevocationJob,
  RevocationResult,
  SqlJob,
} from './lib/jobs';
import { requestJson, closeAgent } from './lib/http';
import { RawSession, rotateOnce } from './lib/rotation-sql';
import { ARGON2_OPTIONS } from '../src/users/password-hasher';

async function main(): Promise<void> {
  const [jobFile, resultFile] = process.argv.slice(2);
  const job = JSON.parse(readFileSync(jobFile, 'utf8')) as Job;
  let result: LoadResult | RevocationResult;
  switch (job.kind) {
    case 'http':
      result = await runHttp(job);
      break;
    case 'sql':
      result = await runSql(job);
      break;
    case 'argon2':
      result = await runArgon2(job);
      break;
    case 'revocation':
      result = await runRevocation(job);
      break;
  }
  writeFileSync(resultFile, JSON.stringify(result));
  closeAgent();
}

// ---------------------------------------------------------------- HTTP, through autocannon

interface Context {
  sessionId?: string;
}

type Request = {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
};

type RequestSpec = Request & {
  setupRequest?: (request: Request, context: Context) => Request;
  onResponse?: (status: number, body: string, context: Context) => void;
};

/** The state of the refresh scenario: every token is sent once, and chained to its successor. */
class RefreshChains {
  private readonly queue: string[];
  private readonly inFlight = new Map<string, string>();
  lost = 0;

  constructor(
    private readonly url: string,
    private readonly tokens: Map<string, string>,
  ) {
    this.queue = [...tokens.keys()];
  }

  take(context: Context): string {
    const sessionId = this.queue.shift();
    if (!sessionId) throw new Error('refresh: more connections than live sessions');
    const token = this.tokens.get(sessionId)!;
    this.inFlight.set(sessionId, token);
    context.sessionId = sessionId;
    return token;
  }

  answered(status: number, body: string, context: Context): void {
    const sessionId = context.sessionId;
    if (!sessionId || !this.inFlight.delete(sessionId)) return;
    if (status === 200)
      this.chain(sessionId, (JSON.parse(body) as { refreshToken: string }).refreshToken);
    else this.drop(sessionId);
  }

  /**
   * A run ends with requests in flight whose answers were thrown away: present each of those tokens
   * once more, inside the grace window, which answers with the live successor (or rotates now).
   */
  async settle(): Promise<void> {
    const pending = [...this.inFlight];
    this.inFlight.clear();
    await Promise.all(
      pending.map(async ([sessionId, token]) => {
        const { status, body } = await requestJson<{ refreshToken: string }>(
          `${this.url}/auth/refresh`,
          { method: 'POST', body: { refreshToken: token } },
        );
        if (status === 200) this.chain(sessionId, body.refreshToken);
        else this.drop(sessionId);
      }),
    );
  }

  live(): Record<string, string> {
    return Object.fromEntries(
      this.queue.map((sessionId) => [sessionId, this.tokens.get(sessionId)!]),
    );
  }

  private chain(sessionId: string, token: string): void {
    this.tokens.set(sessionId, token);
    this.queue.push(sessionId);
  }

  private drop(sessionId: string): void {
    this.tokens.delete(sessionId);
    this.lost++;
  }
}

function requestsFor(job: HttpJob, chains: RefreshChains | null): RequestSpec[] {
  switch (job.scenario) {
    case 'health':
      return [{ method: 'GET', path: '/health' }];
    case 'me': {
      const tokens = job.accessTokens ?? [];
      let next = 0;
      return [
        {
          method: 'GET',
          path: '/auth/me',
          setupRequest: (request) => ({
            ...request,
            headers: { authorization: `Bearer ${tokens[next++ % tokens.length]}` },
          }),
        },
      ];
    }
    case 'refresh':
      return [
        {
          method: 'POST',
          path: '/auth/refresh',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request, context) => ({
            ...request,
            body: JSON.stringify({ refreshToken: chains!.take(context) }),
          }),
          onResponse: (status, body, context) => chains!.answered(status, body, context),
        },
      ];
    case 'login': {
      const credentials = job.credentials ?? [];
      let next = 0;
      return [
        {
          method: 'POST',
          path: '/auth/login',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify(credentials[next++ % credentials.length]),
          }),
        },
      ];
    }
  }
}

async function runHttp(job: HttpJob): Promise<LoadResult> {
  const chains =
    job.scenario === 'refresh'
      ? new RefreshChains(job.url, new Map(Object.entries(job.refreshTokens ?? {})))
      : null;
  const cannon = (duration: number) =>
    autocannon({
      url: job.url,
      connections: job.connections,
      duration,
      timeout: 30,
      requests: requestsFor(job, chains) as autocannon.Request[],
    });

  let warmupOk = 0;
  if (job.warmup > 0) {
    warmupOk = (await cannon(job.warmup))['2xx'];
    await chains?.settle();
  }
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await cannon(job.duration);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await chains?.settle();

  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = (stats as { count: number }).count;
  }
  const ok = result['2xx'];
  return {
    rps: ok / result.duration,
    ok,
    failed: result.non2xx + result.errors + result.timeouts,
    statusCodes,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    durationS: result.duration,
    driverCpuPct: ((used.user + used.system) / 1000 / wallMs) * 100,
    servedInAll: warmupOk + ok,
    refreshTokens: chains?.live(),
  };
}

// ---------------------------------------------------------------- closed loops without HTTP

/**
 * `connections` loops each run `operation` back to back, first for the warm-up, then for the
 * measured window; every operation's latency is kept.
 */
async function closedLoops(
  job: { connections: number; duration: number; warmup: number },
  operation: (lane: number) => Promise<void>,
): Promise<Omit<LoadResult, 'statusCodes'>> {
  let measuring = false;
  let stopAt = performance.now() + job.warmup * 1000;
  const latencies: number[] = [];
  let failed = 0;
  let warmupOk = 0;
  const runLanes = () =>
    Promise.all(
      Array.from({ length: job.connections }, async (_, lane) => {
        while (performance.now() < stopAt) {
          const started = performance.now();
          try {
            await operation(lane);
            if (measuring) latencies.push(performance.now() - started);
            else warmupOk++;
          } catch (error) {
            if (measuring) failed++;
            if (failed === 1) process.stderr.write(`driver: ${String(error)}\n`);
          }
        }
      }),
    );
  if (job.warmup > 0) await runLanes();
  measuring = true;
  const cpu = process.cpuUsage();
  const started = performance.now();
  stopAt = started + job.duration * 1000;
  await runLanes();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    rps: latencies.length / (wallMs / 1000),
    ok: latencies.length,
    failed,
    latencyMs: percentiles(latencies),
    durationS: wallMs / 1000,
    driverCpuPct: ((used.user + used.system) / 1000 / wallMs) * 100,
    servedInAll: warmupOk + latencies.length,
  };
}

async function runSql(job: SqlJob): Promise<LoadResult> {
  const pool = new Pool({ connectionString: job.databaseUrl, max: job.poolSize });
  const sessions: RawSession[] = job.sessions.map((session) => ({
    ...session,
    tokenHash: Buffer.from(session.tokenHash, 'hex'),
  }));
  try {
    const result = await closedLoops(job, async (lane) => {
      sessions[lane] = await rotateOnce(pool, sessions[lane]);
    });
    return { ...result, statusCodes: {} };
  } finally {
    await pool.end();
  }
}

async function runArgon2(job: Argon2Job): Promise<LoadResult> {
  const hash: string = await argon2.hash(job.password, ARGON2_OPTIONS);
  const result = await closedLoops(job, async () => {
    if (!(await argon2.verify(hash, job.password))) throw new Error('argon2: no match');
  });
  return { ...result, statusCodes: {} };
}

// ---------------------------------------------------------------- revocation across instances

async function runRevocation(job: RevocationJob): Promise<RevocationResult> {
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  let failures = 0;
  for (const token of job.accessTokens) {
    const authorization = { authorization: `Bearer ${token}` };
    const before = await requestJson(`${job.urlB}/auth/me`, { headers: authorization });
    const logout = await requestJson(`${job.urlA}/auth/logout`, {
      method: 'POST',
      headers: authorization,
    });
    const answeredAt = performance.now();
    if (before.status !== 200 || logout.status !== 204) {
      failures++;
      continue;
    }
    let done = false;
    while (performance.now() - answeredAt < job.timeoutMs) {
      const poll = await requestJson<{ code?: string }>(`${job.urlB}/auth/me`, {
        headers: authorization,
      });
      if (poll.status === 401) {
        latencies.push(performance.now() - answeredAt);
        const code = poll.body?.code ?? 'unknown';
        codes[code] = (codes[code] ?? 0) + 1;
        done = true;
        break;
      }
    }
    if (!done) failures++;
  }
  return { trials: job.accessTokens.length, latencyMs: percentiles(latencies), failures, codes };
}

main().catch((error: unknown) => {
  process.stderr.write(`driver failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
