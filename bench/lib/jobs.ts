/**
 * What the orchestrator (bench/run.ts) asks of a load driver (bench/driver.ts): a process of its
 * own per scenario, so that load generation never shares the service's, or the orchestrator's,
 * event loop. A driver stays up for the whole round and runs its scenario in slices on command,
 * interleaved with the other scenarios' slices, so that all of them meet the same conditions on a
 * machine that other work shares; it reports the sum of its slices at the end.
 */

/** The service's routes, and the resource server's (`rs-`): its public and its guarded route. */
export type HttpScenario = 'health' | 'me' | 'refresh' | 'login' | 'rs-health' | 'rs-me';

export interface HttpJob {
  kind: 'http';
  scenario: HttpScenario;
  url: string;
  connections: number;
  /** me, rs-me: access tokens to rotate through. */
  accessTokens?: string[];
  /** refresh: session id → its live refresh token; each token is sent once. */
  refreshTokens?: Record<string, string>;
  /** login: credentials to rotate through. */
  credentials?: { email: string; password: string }[];
  /** Report when each measured answer came (LoadResult.timeline), to cut out a window later. */
  timeline?: boolean;
}

export interface SqlJob {
  kind: 'sql';
  databaseUrl: string;
  connections: number;
  /** The service's pool size, so that both sides queue alike. */
  poolSize: number;
  /** One seeded session (and its live token) per concurrent loop. */
  sessions: { sessionId: string; userId: string; tokenId: string }[];
}

export interface Argon2Job {
  kind: 'argon2';
  connections: number;
  password: string;
}

/**
 * Idle revocation-feed consumers: on 'open' the driver opens `streams` event streams of
 * `GET /auth/revocations` and answers once each has its 200, on 'close' it closes them all.
 */
export interface FeedConsumersJob {
  kind: 'feed-consumers';
  url: string;
  /** One of the service's REVOCATION_FEED_TOKENS. */
  token: string;
  streams: number;
}

export interface RevocationJob {
  kind: 'revocation';
  /** Where the logout goes, and where the access token is polled. */
  urlA: string;
  urlB: string;
  /** The guarded route polled on B: `/auth/me` on the service, `/me` on the resource server. */
  probePath: string;
  accessTokens: string[];
  /** Give up on one trial after this long. */
  timeoutMs: number;
}

export type LoadJob = HttpJob | SqlJob | Argon2Job;
export type Job = LoadJob | FeedConsumersJob | RevocationJob;

/** Orchestrator → driver; 'open' and 'close' are for feed consumers. */
export type Command =
  | { type: 'run'; seconds: number; measure: boolean }
  | { type: 'open' }
  | { type: 'close' }
  | { type: 'finish' };

/** Driver → orchestrator. */
export type Report =
  | { type: 'ready' }
  | { type: 'ran'; ok: number }
  | { type: 'opened'; streams: number }
  | { type: 'closed' }
  | { type: 'result'; result: LoadResult | FeedConsumersResult | RevocationResult };

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  /** Successful operations per second over the measured slices. */
  rps: number;
  ok: number;
  /** Answers other than 2xx, and transport errors and timeouts. */
  failed: number;
  statusCodes: Record<string, number>;
  latencyMs: Latency;
  /** Measured seconds, all slices together. */
  durationS: number;
  /** The driver's own CPU over the measured slices, in percent of one core. */
  driverCpuPct: number;
  /** refresh: the live tokens afterwards, for the next round. */
  refreshTokens?: Record<string, string>;
  /** sql: the sessions at their live tokens afterwards, for the next round. */
  sessions?: SqlJob['sessions'];
  /** With HttpJob.timeline: each successful measured answer, in the order they came. */
  timeline?: Timeline;
}

/** Answers as parallel arrays: when each came (ms since the epoch) and how long it took (ms). */
export interface Timeline {
  answeredAtMs: number[];
  latencyMs: number[];
}

export interface FeedConsumersResult {
  /** Streams opened with a 200, over every 'open'. */
  opened: number;
  /** Streams that ended or failed while held open: the service dropped a consumer. */
  lost: number;
  /** Comment lines (`: ping`) and events received, over all streams. */
  heartbeats: number;
  events: number;
}

export interface RevocationResult {
  trials: number;
  /** ms from the logout's answer on A to the first 401 on B. */
  latencyMs: Latency;
  failures: number;
  codes: Record<string, number>;
}

export function percentiles(samples: number[]): Latency {
  if (samples.length === 0) return { p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] };
}
