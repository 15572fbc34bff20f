import { durationMs, formatDuration, parseDuration } from '../core/duration';
import { resolveObserver } from '../core/observer';
import type {
  OriginCheck,
  ResolvedSessionAuthOptions,
  SessionLimitPolicy,
} from '../core/resolved-options';
import { createKeyMaterial } from './key-material';
import type { SessionAuthOptions } from './session-auth-options';
import { HIDDEN_VALUE, SessionAuthOptionsError } from './session-auth-options-error';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DURATION_FORMS = 'a duration such as 900, 90s, 15m, 12h or 7d (a number is seconds)';
/** Far above any real limit, and far below where a counter could lose precision. */
const MAX_RATE_LIMIT = 1_000_000_000;
const RATE_LIMIT_ACCEPTS =
  'requests per window, such as 30/1m or { limit: 30, window: 60 } (1 to 1000000000, over 1s to 1d)';
const LIMIT_POLICIES: readonly SessionLimitPolicy[] = ['evict-oldest', 'deny'];
const ORIGIN_CHECKS: readonly OriginCheck[] = ['session', 'all'];

/**
 * Validates `SessionAuthModule`'s options once and fills in the defaults, which equal the
 * service's environment defaults. The one validator: the service's `loadConfig` calls it too, so
 * that an option and its variable can never accept different values. Throws
 * `SessionAuthOptionsError` naming the first bad option.
 */
export function normaliseSessionAuthOptions(input: SessionAuthOptions): ResolvedSessionAuthOptions {
  if (typeof input !== 'object' || input === null) {
    throw new SessionAuthOptionsError('options', 'an object with at least issuer and keys');
  }
  const issuer = text(
    input.issuer,
    'issuer',
    'a non-empty string, such as https://auth.example.com',
  );
  const keysInput = input.keys as unknown;
  if (typeof keysInput !== 'object' || keysInput === null) {
    throw new SessionAuthOptionsError(
      'keys',
      'an object { privateKey, publicKeys?, refreshTokenSecret }',
    );
  }
  return deepFreeze({
    issuer,
    audience:
      input.audience === undefined
        ? 'session-service'
        : text(input.audience, 'audience', 'a non-empty string'),
    keys: createKeyMaterial(input.keys),
    accessTokenTtlMs: duration(input.accessTokenTtl, 'accessTokenTtl', '15m', SECOND, HOUR),
    refreshTokenTtlMs: duration(input.refreshTokenTtl, 'refreshTokenTtl', '7d', SECOND, 365 * DAY),
    sessionMaxAgeMs: duration(input.sessionMaxAge, 'sessionMaxAge', '30d', SECOND, 365 * DAY),
    shortSessionMaxAgeMs: duration(
      input.shortSessionMaxAge,
      'shortSessionMaxAge',
      '1d',
      SECOND,
      365 * DAY,
    ),
    refreshReuseGraceMs: duration(input.refreshReuseGrace, 'refreshReuseGrace', '10s', 0, MINUTE),
    revocationPropagationMs: duration(
      input.revocationPropagation,
      'revocationPropagation',
      '1s',
      SECOND,
      MINUTE,
    ),
    reauthMaxAgeMs: duration(input.reauthMaxAge, 'reauthMaxAge', '5m', SECOND, DAY),
    clockToleranceMs: duration(input.clockTolerance, 'clockTolerance', '0s', 0, 5 * MINUTE),
    publicUrl:
      input.publicUrl === undefined ? issuerOrigin(issuer) : origin(input.publicUrl, 'publicUrl'),
    corsOrigins: corsOrigins(input.corsOrigins),
    authRateLimit: rateLimit(input.authRateLimit === undefined ? '30/1m' : input.authRateLimit),
    loginMaxFailures: wholeNumber(input.loginMaxFailures, 'loginMaxFailures', 5, 1, 1_000),
    loginLockWindowMs: duration(input.loginLockWindow, 'loginLockWindow', '15m', SECOND, DAY),
    redisUrl: redisUrl(input.redisUrl),
    redisKeyPrefix: keyPrefix(
      input.redisKeyPrefix === undefined ? 'session-auth:' : input.redisKeyPrefix,
    ),
    databaseDirectUrl: databaseDirectUrl(input.databaseDirectUrl),
    maxSessionsPerUser: wholeNumber(input.maxSessionsPerUser, 'maxSessionsPerUser', 0, 0, 1_000),
    sessionLimitPolicy: oneOf(input.sessionLimitPolicy, 'sessionLimitPolicy', LIMIT_POLICIES),
    globalGuard: flag(input.globalGuard, 'globalGuard', true),
    originCheck: oneOf(input.originCheck, 'originCheck', ORIGIN_CHECKS),
    routePrefix: routePrefix(input.routePrefix === undefined ? '' : input.routePrefix),
    revocationFeedTokens: feedTokens(input.revocationFeedTokens),
    users: input.users,
    builtinUsers: input.users === undefined,
    observer: resolveObserver(input.observer),
  });
}

/** A printable form of a value that is not a secret, for an error message. */
function shown(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null ? 'null' : typeof value;
}

function text(value: unknown, option: string, accepts: string): string {
  if (value === undefined) throw new SessionAuthOptionsError(option, accepts);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new SessionAuthOptionsError(option, accepts, shown(value));
  }
  return value;
}

function duration(
  value: unknown,
  option: string,
  fallback: string,
  minMs: number,
  maxMs: number,
): number {
  const ms = durationMs(value === undefined ? fallback : value);
  if (ms === null || ms < minMs || ms > maxMs) {
    throw new SessionAuthOptionsError(
      option,
      `${DURATION_FORMS}, from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`,
      shown(value),
    );
  }
  return ms;
}

function wholeNumber(
  value: unknown,
  option: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new SessionAuthOptionsError(option, `a whole number from ${min} to ${max}`, shown(value));
  }
  return value;
}

function flag(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new SessionAuthOptionsError(option, 'true or false', shown(value));
  return value;
}

function oneOf<T extends string>(value: unknown, option: string, allowed: readonly T[]): T {
  if (value === undefined) return allowed[0];
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw new SessionAuthOptionsError(option, `one of ${allowed.join(', ')}`, shown(value));
  }
  return value as T;
}

function parseUrl(value: unknown): URL | null {
  if (typeof value !== 'string') return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

function origin(value: unknown, option: string): string {
  const parsed = parseUrl(value);
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin === 'null') {
    throw new SessionAuthOptionsError(
      option,
      'an http(s) origin such as https://app.example.com',
      // An origin needs no credentials, but a URL given by mistake may carry them.
      parsed && (parsed.username || parsed.password) ? HIDDEN_VALUE : shown(value),
    );
  }
  return parsed.origin;
}

function issuerOrigin(issuer: string): string {
  const parsed = parseUrl(issuer);
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol)) {
    throw new SessionAuthOptionsError(
      'publicUrl',
      'an http(s) origin such as https://app.example.com (required when issuer is not an http(s) URL)',
    );
  }
  return parsed.origin;
}

function corsOrigins(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new SessionAuthOptionsError('corsOrigins', 'an array of http(s) origins', shown(value));
  }
  return value.map((entry: unknown) => origin(entry, 'corsOrigins'));
}

function rateLimit(value: unknown): { limit: number; windowMs: number } {
  let limit: unknown;
  let windowMs: number | null = null;
  if (typeof value === 'string') {
    const match = /^(\d+)\/(.+)$/.exec(value);
    limit = match ? Number(match[1]) : undefined;
    windowMs = match ? parseDuration(match[2]) : null;
  } else if (typeof value === 'object' && value !== null) {
    const { limit: given, window } = value as { limit?: unknown; window?: unknown };
    limit = given;
    windowMs = durationMs(window);
  }
  if (
    typeof limit !== 'number' ||
    !Number.isSafeInteger(limit) ||
    limit < 1 ||
    limit > MAX_RATE_LIMIT ||
    windowMs === null ||
    windowMs < SECOND ||
    windowMs > DAY
  ) {
    const display =
      typeof value === 'object' && value !== null ? JSON.stringify(value) : shown(value);
    throw new SessionAuthOptionsError('authRateLimit', RATE_LIMIT_ACCEPTS, display);
  }
  return { limit, windowMs };
}

function redisUrl(value: unknown): string | null {
  if (value === undefined) return null;
  const parsed = parseUrl(value);
  if (!parsed || !['redis:', 'rediss:'].includes(parsed.protocol)) {
    // The URL may hold a password: name the option, never echo it.
    throw new SessionAuthOptionsError(
      'redisUrl',
      'a URL starting with redis:// or rediss://',
      HIDDEN_VALUE,
    );
  }
  return value as string;
}

function databaseDirectUrl(value: unknown): string | null {
  if (value === undefined) return null;
  const parsed = parseUrl(value);
  if (!parsed || !['postgres:', 'postgresql:'].includes(parsed.protocol)) {
    // The URL may hold a password: name the option, never echo it.
    throw new SessionAuthOptionsError(
      'databaseDirectUrl',
      'a URL starting with postgres:// or postgresql://',
      HIDDEN_VALUE,
    );
  }
  return value as string;
}

function keyPrefix(value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9:_.{}-]{1,64}$/.test(value)) {
    throw new SessionAuthOptionsError(
      'redisKeyPrefix',
      'up to 64 letters, digits and : _ . - { }, such as session-auth:',
      shown(value),
    );
  }
  return value;
}

/** `''` or `/segment/…`, without a trailing slash, so that the routes join it with no doubled slash. */
function routePrefix(value: unknown): string {
  if (
    typeof value !== 'string' ||
    !/^(\/[A-Za-z0-9._~-]+)*\/?$/.test(value) ||
    value.split('/').some((segment) => segment === '.' || segment === '..')
  ) {
    throw new SessionAuthOptionsError(
      'routePrefix',
      "'' or a path such as /api or /api/v1 (letters, digits and . _ ~ -)",
      shown(value),
    );
  }
  return value.replace(/\/$/, '');
}

/** Secrets: an error names the option and what it takes, never a token. */
function feedTokens(value: unknown): string[] {
  if (value === undefined) return [];
  const accepts = 'an array of secrets, each 32 to 512 printable ASCII characters without spaces';
  if (
    !Array.isArray(value) ||
    !value.every((token) => typeof token === 'string' && /^[\x21-\x7e]{32,512}$/.test(token))
  ) {
    throw new SessionAuthOptionsError('revocationFeedTokens', accepts, HIDDEN_VALUE);
  }
  return [...(value as string[])];
}

/**
 * Freezes the result and the plain objects and arrays in it. Key objects and buffers are left as
 * they are (a typed array cannot be frozen), the verification map is typed read-only, and `users`
 * is the app's own object, not ours to freeze.
 */
function deepFreeze<T extends object>(value: T): T {
  for (const [key, member] of Object.entries(value)) {
    if (key !== 'users' && isPlain(member)) deepFreeze(member);
  }
  return Object.freeze(value);
}

function isPlain(value: unknown): value is object {
  return (
    Array.isArray(value) ||
    (typeof value === 'object' &&
      value !== null &&
      Object.getPrototypeOf(value) === Object.prototype)
  );
}
