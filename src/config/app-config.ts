import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from './config-error';
import { formatDuration, parseDuration } from '@session-service/nestjs/internal';
import { KeyMaterial, loadKeyMaterial } from './keys';
import { parseTrustProxy, TrustProxy } from './trust-proxy';

export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The service's whole configuration, read once at start from the environment. Nothing outside
 * `config/` reads `process.env`: inject this class instead.
 */
export class AppConfig {
  nodeEnv!: NodeEnv;
  host!: string;
  port!: number;
  /** Worker processes sharing the port (node:cluster); 1 serves from this process alone. */
  webConcurrency!: number;
  publicUrl!: string;
  logLevel!: LogLevel;
  dataDir!: string;
  /** null: start the embedded PostgreSQL under `dataDir`. */
  databaseUrl!: string | null;
  migrationsRun!: boolean;
  redisUrl!: string | null;
  /** Prepended to every Redis key, so that several deployments (or test runs) share one Redis. */
  redisKeyPrefix!: string;
  accessTokenTtlMs!: number;
  refreshTokenTtlMs!: number;
  sessionMaxAgeMs!: number;
  refreshReuseGraceMs!: number;
  revocationPropagationMs!: number;
  clockToleranceMs!: number;
  jwtIssuer!: string;
  jwtAudience!: string;
  keys!: KeyMaterial;
  corsOrigins!: string[];
  /** Which proxies in front may report the client's address (see trust-proxy.ts). */
  trustProxy!: TrustProxy;
  loginMaxFailures!: number;
  loginLockWindowMs!: number;
  authRateLimit!: { limit: number; ttlMs: number };
  docsEnabled!: boolean;
}

type Env = Record<string, string | undefined>;

const DURATION_FORMS = 'a duration such as 900, 90s, 15m, 12h or 7d';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env): AppConfig {
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const nodeEnv = oneOf(read, 'NODE_ENV', ['development', 'production', 'test'], 'development');
  const production = nodeEnv === 'production';
  const port = integer(read, 'PORT', 3000, 0, 65_535);
  const publicUrl = origin(read('PUBLIC_URL') ?? `http://localhost:${port}`, 'PUBLIC_URL');
  const dataDir = resolvePath(read('DATA_DIR') ?? './.data');

  const accessTokenTtlMs = duration(read, 'ACCESS_TOKEN_TTL', '15m', 1_000, HOUR);
  const config = Object.assign(new AppConfig(), {
    nodeEnv,
    host: read('HOST') ?? '0.0.0.0',
    port,
    webConcurrency: integer(read, 'WEB_CONCURRENCY', 1, 1, 64),
    publicUrl,
    logLevel: oneOf(
      read,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      'info',
    ),
    dataDir,
    databaseUrl: url(read, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    migrationsRun: boolean(read, 'MIGRATIONS_RUN', true),
    redisUrl: url(read, 'REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: keyPrefix(read('REDIS_KEY_PREFIX') ?? 'session-service:'),
    accessTokenTtlMs,
    refreshTokenTtlMs: duration(read, 'REFRESH_TOKEN_TTL', '7d', 1_000, 365 * DAY),
    sessionMaxAgeMs: duration(read, 'SESSION_MAX_AGE', '30d', 1_000, 365 * DAY),
    refreshReuseGraceMs: duration(read, 'REFRESH_REUSE_GRACE', '10s', 0, 60_000),
    revocationPropagationMs: duration(read, 'REVOCATION_PROPAGATION', '1s', 1_000, 60_000),
    clockToleranceMs: duration(read, 'CLOCK_TOLERANCE', '0s', 0, 300_000),
    jwtIssuer: read('JWT_ISSUER') ?? publicUrl,
    jwtAudience: read('JWT_AUDIENCE') ?? 'session-service',
    keys: loadKeyMaterial({
      production,
      dataDir,
      privateKeyPem: read('JWT_PRIVATE_KEY'),
      publicKeysPem: read('JWT_PUBLIC_KEYS'),
      refreshSecret: read('REFRESH_TOKEN_SECRET'),
    }),
    corsOrigins: (read('CORS_ORIGINS') ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => origin(entry, 'CORS_ORIGINS')),
    trustProxy: parseTrustProxy(read('TRUST_PROXY')),
    loginMaxFailures: integer(read, 'LOGIN_MAX_FAILURES', 5, 1, 1_000),
    loginLockWindowMs: duration(read, 'LOGIN_LOCK_WINDOW', '15m', 1_000, DAY),
    authRateLimit: rate(read('AUTH_RATE_LIMIT') ?? '30/1m'),
    docsEnabled: boolean(read, 'DOCS_ENABLED', !production),
  });
  return config;
}

type Read = (name: string) => string | undefined;

function oneOf<T extends string>(read: Read, name: string, allowed: readonly T[], fallback: T): T {
  const value = read(name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `one of ${allowed.join(', ')}`, value);
  }
  return value as T;
}

function integer(read: Read, name: string, fallback: number, min: number, max: number): number {
  const value = read(name);
  if (value === undefined) return fallback;
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new ConfigError(name, `a whole number from ${min} to ${max}`, value);
  }
  return number;
}

function boolean(read: Read, name: string, fallback: boolean): boolean {
  const value = read(name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(name, 'true or false', value);
}

function duration(
  read: Read,
  name: string,
  fallback: string,
  minMs: number,
  maxMs: number,
): number {
  const value = read(name) ?? fallback;
  const ms = parseDuration(value);
  if (ms === null || ms < minMs || ms > maxMs) {
    throw new ConfigError(
      name,
      `${DURATION_FORMS}, from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`,
      value,
    );
  }
  return ms;
}

function url(read: Read, name: string, protocols: string[]): string | null {
  const value = read(name);
  if (value === undefined) return null;
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !protocols.includes(parsed.protocol)) {
    // The URL may hold a password: name the variable, never echo it.
    throw new ConfigError(name, `a URL starting with ${protocols.join('// or ')}//`, '(hidden)');
  }
  return value;
}

function origin(value: string, name: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin === 'null') {
    throw new ConfigError(name, 'an http(s) origin such as https://app.example.com', value);
  }
  return parsed.origin;
}

function rate(value: string): { limit: number; ttlMs: number } {
  const match = /^(\d{1,6})\/(.+)$/.exec(value);
  const limit = match ? Number(match[1]) : 0;
  const ttlMs = match ? parseDuration(match[2]) : null;
  if (!match || limit < 1 || ttlMs === null || ttlMs < 1_000 || ttlMs > DAY) {
    throw new ConfigError(
      'AUTH_RATE_LIMIT',
      'requests per window, such as 30/1m (1 or more, over 1s to 1d)',
      value,
    );
  }
  return { limit, ttlMs };
}

function keyPrefix(value: string): string {
  if (!/^[A-Za-z0-9:_.{}-]{1,64}$/.test(value)) {
    throw new ConfigError(
      'REDIS_KEY_PREFIX',
      'up to 64 letters, digits and : _ . - { }, such as session-service:',
      value,
    );
  }
  return value;
}

function resolvePath(path: string): string {
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}
