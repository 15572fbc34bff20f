/**
 * What the orchestrator (bench/run.ts) asks of the load driver (bench/driver.ts), a process of its
 * own so that load generation never shares the service's, or the orchestrator's, event loop.
 */

export type HttpScenario = 'health' | 'me' | 'refresh' | 'login';

interface Timing {
  /** Measured seconds. */
  duration: number;
  /** Unmeasured seconds first, at the same concurrency. */
  warmup: number;
  connections: number;
}

export interface HttpJob extends Timing {
  kind: 'http';
  scenario: HttpScenario;
  url: string;
  /** me: access tokens to rotate through. */
  accessTokens?: string[];
  /** refresh: session id → its live refresh token; each token is sent once. */
  refreshTokens?: Record<string, string>;
  /** login: credentials to rotate through. */
  credentials?: { email: string; password: string }[];
}

export interface SqlJob extends Timing {
  kind: 'sql';
  databaseUrl: string;
  /** The service's pool size, so that both sides queue alike. */
  poolSize: number;
  /** One seeded session (and its live token) per concurrent loop. */
  sessions: { sessionId: string; userId: string; tokenId: string; tokenHash: string }[];
}

export interface Argon2Job extends Timing {
  kind: 'argon2';
  password: string;
}

export interface RevocationJob {
  kind: 'revocation';
  /** Where the logout goes, and where the access token is polled. */
  urlA: string;
  urlB: string;
  accessTokens: string[];
  /** Give up on one trial after this long. */
  timeoutMs: number;
}

export type Job = HttpJob | SqlJob | Argon2Job | RevocationJob;

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  /** Successful operations per second over the measured window. */
  rps: number;
  ok: number;
  /** Answers other than 2xx, and transport errors and timeouts. */
  failed: number;
  statusCodes: Record<string, number>;
  latencyMs: Latency;
  durationS: number;
  /** The driver's own CPU over the window, in percent of one core: near 100 means client-bound. */
  driverCpuPct: number;
  /** HTTP: successful answers including the warm-up, to divide the service's CPU time by. */
  servedInAll?: number;
  /** refresh: the live tokens afterwards, for the next run. */
  refreshTokens?: Record<string, string>;
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
