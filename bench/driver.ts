/**
 * A load driver: one scenario (see lib/jobs.ts), read from the JSON file named by the first
 * argument, in a process of its own. Started with an IPC channel, it says 'ready', then runs its
 * scenario for as long as each 'run' command says (measured or not) and answers 'ran'; on
 * 'finish' it sends the sum of its measured slices and exits. Feed consumers open and close their
 * streams on command instead. A revocation job runs once.
 */
import * as argon2 from 'argon2';
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { Pool } from 'pg';
import { ARGON2_OPTIONS } from '@session-service/nestjs/internal';
import { closeAgent, requestJson } from './lib/http';
import {
  Argon2Job,
  Command,
  FeedConsumersJob,
  FeedConsumersResult,
  HttpJob,
  Job,
  LoadResult,
  percentiles,
  Report,
  RevocationJob,
  RevocationResult,
  SqlJob,
} from './lib/jobs';
import { RawSession, rotateOnce } from './lib/rotation-sql';

/** The running total of a scenario's measured slices. */
class Tally {
  readonly latencies: number[] = [];
  /** When each of `latencies` was answered, ms since the epoch, if asked for. */
  readonly answeredAt: number[] = [];
  readonly statusCodes: Record<string, number> = {};
  failed = 0;
  private measuredMs = 0;
  private cpuUs = 0;

  /** Runs `slice`, counting what it records only when measured. */
  async time(measure: boolean, slice: () => Promise<void>): Promise<void> {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await slice();
    if (!measure) return;
    this.measuredMs += performance.now() - started;
    const used = process.cpuUsage(cpu);
    this.cpuUs += used.user + used.system;
  }

  result(): LoadResult {
    const seconds = this.measuredMs / 1000;
    return {
      rps: this.latencies.length / seconds,
      ok: this.latencies.length,
      failed: this.failed,
      statusCodes: this.statusCodes,
      latencyMs: percentiles(this.latencies),
      durationS: seconds,
      driverCpuPct: (this.cpuUs / 1000 / this.measuredMs) * 100,
    };
  }
}

interface Runner {
  tally: Tally;
  /** Runs the scenario for `seconds`; returns how many operations succeeded. */
  run(seconds: number, measure: boolean): Promise<number>;
  finish(): Promise<LoadResult>;
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
    if (status === 200) {
      this.chain(sessionId, (JSON.parse(body) as { refreshToken: string }).refreshToken);
    } else {
      this.tokens.delete(sessionId);
    }
  }

  /**
   * A slice ends with requests in flight whose answers were thrown away: present each of those
   * tokens once more, inside the grace window, which answers with the live successor (or rotates
   * now).
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
        else this.tokens.delete(sessionId);
      }),
    );
  }

  live(): Record<string, string> {
    return Object.fromEntries(this.queue.map((id) => [id, this.tokens.get(id)!]));
  }

  private chain(sessionId: string, token: string): void {
    this.tokens.set(sessionId, token);
    this.queue.push(sessionId);
  }
}

function requestsFor(job: HttpJob, chains: RefreshChains | null): RequestSpec[] {
  switch (job.scenario) {
    case 'health':
    case 'rs-health':
      return [{ method: 'GET', path: '/health' }];
    case 'me':
    case 'rs-me': {
      const tokens = job.accessTokens ?? [];
      let next = 0;
      return [
        {
          method: 'GET',
          path: job.scenario === 'me' ? '/auth/me' : '/me',
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

function httpRunner(job: HttpJob): Runner {
  const tally = new Tally();
  const chains =
    job.scenario === 'refresh'
      ? new RefreshChains(job.url, new Map(Object.entries(job.refreshTokens ?? {})))
      : null;
  return {
    tally,
    async run(seconds, measure) {
      let ok = 0;
      await tally.time(measure, async () => {
        const result = await new Promise<autocannon.Result>((resolve, reject) => {
          const instance = autocannon(
            {
              url: job.url,
              connections: job.connections,
              duration: seconds,
              timeout: 30,
              requests: requestsFor(job, chains) as autocannon.Request[],
            },
            (error, outcome) => (error ? reject(error) : resolve(outcome)),
          );
          instance.on('response', (_client, status, _bytes, responseTime) => {
            if (status < 200 || status > 299) return;
            ok++;
            if (!measure) return;
            tally.latencies.push(responseTime);
            if (job.timeline) tally.answeredAt.push(Date.now());
          });
        });
        if (measure) {
          tally.failed += result.non2xx + result.errors + result.timeouts;
          for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
            tally.statusCodes[code] = (tally.statusCodes[code] ?? 0) + (stats.count ?? 0);
          }
        }
      });
      await chains?.settle();
      return ok;
    },
    async finish() {
      return {
        ...tally.result(),
        refreshTokens: chains?.live(),
        timeline: job.timeline
          ? { answeredAtMs: tally.answeredAt, latencyMs: tally.latencies }
          : undefined,
      };
    },
  };
}

// ---------------------------------------------------------------- closed loops without HTTP

/** `connections` loops run `operation` back to back for `seconds`, keeping each latency. */
function closedLoops(
  job: { connections: number },
  operation: (lane: number) => Promise<void>,
  close: () => Promise<void> = async () => undefined,
  extra: () => Partial<LoadResult> = () => ({}),
): Runner {
  const tally = new Tally();
  return {
    tally,
    async run(seconds, measure) {
      let ok = 0;
      await tally.time(measure, async () => {
        const stopAt = performance.now() + seconds * 1000;
        await Promise.all(
          Array.from({ length: job.connections }, async (_, lane) => {
            while (performance.now() < stopAt) {
              const started = performance.now();
              try {
                await operation(lane);
                ok++;
                if (measure) tally.latencies.push(performance.now() - started);
              } catch (error) {
                if (measure) tally.failed++;
                if (tally.failed === 1) process.stderr.write(`driver: ${String(error)}\n`);
              }
            }
          }),
        );
      });
      return ok;
    },
    async finish() {
      await close();
      return { ...tally.result(), ...extra() };
    },
  };
}

function sqlRunner(job: SqlJob): Runner {
  const pool = new Pool({ connectionString: job.databaseUrl, max: job.poolSize });
  const sessions: RawSession[] = job.sessions.map((session) => ({ ...session }));
  return closedLoops(
    job,
    async (lane) => {
      sessions[lane] = await rotateOnce(pool, sessions[lane]);
    },
    () => pool.end(),
    () => ({ sessions }),
  );
}

async function argon2Runner(job: Argon2Job): Promise<Runner> {
  const hash: string = await argon2.hash(job.password, ARGON2_OPTIONS);
  return closedLoops(job, async () => {
    if (!(await argon2.verify(hash, job.password))) throw new Error('argon2: no match');
  });
}

// ---------------------------------------------------------------- idle feed consumers

/** Streams of `GET /auth/revocations` held open between 'open' and 'close', reading what comes. */
class FeedConsumers {
  private readonly open = new Set<ClientRequest>();
  private readonly result: FeedConsumersResult = { opened: 0, lost: 0, heartbeats: 0, events: 0 };

  constructor(private readonly job: FeedConsumersJob) {}

  /** Opens every stream; resolves with how many the service answered with a 200 event stream. */
  async openAll(): Promise<number> {
    const answered = await Promise.all(
      Array.from({ length: this.job.streams }, () => this.openOne()),
    );
    return answered.filter(Boolean).length;
  }

  closeAll(): void {
    const closing = [...this.open];
    this.open.clear();
    for (const request of closing) request.destroy();
  }

  summary(): FeedConsumersResult {
    return this.result;
  }

  private openOne(): Promise<boolean> {
    return new Promise((resolve) => {
      // No agent: each stream holds a connection of its own for as long as it is open.
      const request = httpRequest(`${this.job.url}/auth/revocations`, {
        agent: false,
        headers: { accept: 'text/event-stream', authorization: `Bearer ${this.job.token}` },
      });
      // Ended while still held: the service dropped it (closeAll takes a stream out first).
      const ended = () => {
        if (this.open.delete(request)) this.result.lost++;
      };
      request.on('error', () => {
        ended();
        resolve(false);
      });
      request.on('response', (response) => {
        const streaming =
          response.statusCode === 200 &&
          (response.headers['content-type'] ?? '').startsWith('text/event-stream');
        if (!streaming) {
          request.destroy();
          resolve(false);
          return;
        }
        this.result.opened++;
        this.open.add(request);
        let partial = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) {
            if (line.startsWith(':')) this.result.heartbeats++;
            else if (line.startsWith('event:')) this.result.events++;
          }
        });
        response.on('error', ended);
        response.on('close', ended);
        resolve(true);
      });
      request.end();
    });
  }
}

// ---------------------------------------------------------------- revocation across instances

async function runRevocation(job: RevocationJob): Promise<RevocationResult> {
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  let failures = 0;
  for (const token of job.accessTokens) {
    const authorization = { authorization: `Bearer ${token}` };
    // Verified on B first, so that B answers from its memory of verified tokens.
    const before = await requestJson(`${job.urlB}${job.probePath}`, { headers: authorization });
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
      const poll = await requestJson<{ code?: string }>(`${job.urlB}${job.probePath}`, {
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

// ---------------------------------------------------------------- the command loop

function followFeedCommands(consumers: FeedConsumers): void {
  let queue = Promise.resolve();
  process.on('message', (command: Command) => {
    queue = queue.then(async () => {
      if (command.type === 'open') {
        send({ type: 'opened', streams: await consumers.openAll() });
      } else if (command.type === 'close') {
        consumers.closeAll();
        send({ type: 'closed' });
      } else if (command.type === 'finish') {
        consumers.closeAll();
        await sendLast({ type: 'result', result: consumers.summary() });
      }
    });
  });
}

function send(report: Report): void {
  process.send!(report);
}

/**
 * Sends the last report, then closes the channel once it is written: a large report (a load's
 * timeline) could otherwise still be in flight when the process exits.
 */
function sendLast(report: Report): Promise<void> {
  return new Promise((resolve) =>
    process.send!(report, undefined, undefined, () => {
      process.disconnect();
      resolve();
    }),
  );
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Job;
  if (job.kind === 'revocation') {
    const result = await runRevocation(job);
    closeAgent();
    await sendLast({ type: 'result', result });
    return;
  }
  if (job.kind === 'feed-consumers') {
    followFeedCommands(new FeedConsumers(job));
    send({ type: 'ready' });
    return;
  }
  const runner =
    job.kind === 'http'
      ? httpRunner(job)
      : job.kind === 'sql'
        ? sqlRunner(job)
        : await argon2Runner(job);
  let queue = Promise.resolve();
  process.on('message', (command: Command) => {
    queue = queue.then(async () => {
      if (command.type === 'run') {
        send({ type: 'ran', ok: await runner.run(command.seconds, command.measure) });
      } else if (command.type === 'finish') {
        const result = await runner.finish();
        closeAgent();
        await sendLast({ type: 'result', result });
      }
    });
  });
  send({ type: 'ready' });
}

main().catch((error: unknown) => {
  process.stderr.write(`driver failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
