import { isAbsolute, resolve } from 'node:path';
import type {
  KeyMaterial,
  ResolvedSessionAuthOptions,
  SessionAuthModuleOptions,
} from '@session-service/nestjs';
import { ConfigError } from './config-error';
import { sessionAuthOptionsFromEnv } from './to-session-auth-options';
import { parseTrustProxy, TrustProxy } from './trust-proxy';
import { parseWebhookSettings, WebhookSettings } from './webhook-settings';

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
  /** The port of the metrics and health listener, on `host`; null: no such listener. */
  managementPort!: number | null;
  publicUrl!: string;
  logLevel!: LogLevel;
  dataDir!: string;
  /** null: start the embedded PostgreSQL under `dataDir`. */
  databaseUrl!: string | null;
  /**
   * Past any transaction pooler, for what needs a session of its own: migrations and the
   * revocation listener's LISTEN. null: `databaseUrl`.
   */
  databaseDirectUrl!: string | null;
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
  /** null: webhooks off (security events are not delivered anywhere). */
  webhook!: WebhookSettings | null;
  /** The session settings above as the library resolved them. */
  sessionAuth!: ResolvedSessionAuthOptions;
  /** The same settings as `SessionAuthModule.forRoot` takes them. */
  sessionAuthOptions!: SessionAuthModuleOptions;
}

type Env = Record<string, string | undefined>;

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env): AppConfig {
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const nodeEnv = oneOf(read, 'NODE_ENV', ['development', 'production', 'test'], 'development');
  const production = nodeEnv === 'production';
  const port = integer(read, 'PORT', 3000, 0, 65_535);
  const dataDir = resolvePath(read('DATA_DIR') ?? './.data');
  const { input: sessionAuthOptions, resolved: sessionAuth } = sessionAuthOptionsFromEnv(read, {
    production,
    dataDir,
    publicUrl: read('PUBLIC_URL') ?? `http://localhost:${port}`,
  });

  const databaseUrl = url(read, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  if (sessionAuth.databaseDirectUrl && !databaseUrl) {
    throw new ConfigError(
      'DATABASE_DIRECT_URL',
      'unset unless DATABASE_URL is set: the embedded database needs no direct connection',
      '(hidden)',
    );
  }

  const config = Object.assign(new AppConfig(), {
    nodeEnv,
    host: read('HOST') ?? '0.0.0.0',
    port,
    webConcurrency: integer(read, 'WEB_CONCURRENCY', 1, 1, 64),
    managementPort: managementPort(read, port),
    publicUrl: sessionAuth.publicUrl,
    logLevel: oneOf(
      read,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      'info',
    ),
    dataDir,
    databaseUrl,
    databaseDirectUrl: sessionAuth.databaseDirectUrl,
    migrationsRun: boolean(read, 'MIGRATIONS_RUN', true),
    redisUrl: sessionAuth.redisUrl,
    redisKeyPrefix: sessionAuth.redisKeyPrefix,
    accessTokenTtlMs: sessionAuth.accessTokenTtlMs,
    refreshTokenTtlMs: sessionAuth.refreshTokenTtlMs,
    sessionMaxAgeMs: sessionAuth.sessionMaxAgeMs,
    refreshReuseGraceMs: sessionAuth.refreshReuseGraceMs,
    revocationPropagationMs: sessionAuth.revocationPropagationMs,
    clockToleranceMs: sessionAuth.clockToleranceMs,
    jwtIssuer: sessionAuth.issuer,
    jwtAudience: sessionAuth.audience,
    keys: sessionAuth.keys,
    corsOrigins: [...sessionAuth.corsOrigins],
    trustProxy: parseTrustProxy(read('TRUST_PROXY')),
    loginMaxFailures: sessionAuth.loginMaxFailures,
    loginLockWindowMs: sessionAuth.loginLockWindowMs,
    authRateLimit: {
      limit: sessionAuth.authRateLimit.limit,
      ttlMs: sessionAuth.authRateLimit.windowMs,
    },
    docsEnabled: boolean(read, 'DOCS_ENABLED', !production),
    webhook: parseWebhookSettings(read('WEBHOOK_URL'), read('WEBHOOK_SECRET')),
    sessionAuth,
    sessionAuthOptions,
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

/** A listener of its own: the same port as the public one could never open. */
function managementPort(read: Read, publicPort: number): number | null {
  if (read('MANAGEMENT_PORT') === undefined) return null;
  const port = integer(read, 'MANAGEMENT_PORT', 0, 0, 65_535);
  if (port !== 0 && port === publicPort) {
    throw new ConfigError('MANAGEMENT_PORT', 'a port other than PORT', String(port));
  }
  return port;
}

function boolean(read: Read, name: string, fallback: boolean): boolean {
  const value = read(name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(name, 'true or false', value);
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

function resolvePath(path: string): string {
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}
