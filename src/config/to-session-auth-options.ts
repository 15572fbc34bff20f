import {
  Duration,
  normaliseSessionAuthOptions,
  ResolvedSessionAuthOptions,
  SessionAuthOptions,
  SessionAuthOptionsError,
  SessionLimitPolicy,
} from '@session-service/nestjs';
import { ConfigError } from './config-error';
import { withDevelopmentKeys } from './development-keys';

type Read = (name: string) => string | undefined;

/** The environment variable behind each option, so that an error names what the operator set. */
const VARIABLES: Readonly<Record<string, string>> = {
  issuer: 'JWT_ISSUER',
  audience: 'JWT_AUDIENCE',
  'keys.privateKey': 'JWT_PRIVATE_KEY',
  'keys.publicKeys': 'JWT_PUBLIC_KEYS',
  'keys.refreshTokenSecret': 'REFRESH_TOKEN_SECRET',
  accessTokenTtl: 'ACCESS_TOKEN_TTL',
  refreshTokenTtl: 'REFRESH_TOKEN_TTL',
  sessionMaxAge: 'SESSION_MAX_AGE',
  shortSessionMaxAge: 'SHORT_SESSION_MAX_AGE',
  refreshReuseGrace: 'REFRESH_REUSE_GRACE',
  revocationPropagation: 'REVOCATION_PROPAGATION',
  reauthMaxAge: 'REAUTH_MAX_AGE',
  clockTolerance: 'CLOCK_TOLERANCE',
  publicUrl: 'PUBLIC_URL',
  corsOrigins: 'CORS_ORIGINS',
  authRateLimit: 'AUTH_RATE_LIMIT',
  loginMaxFailures: 'LOGIN_MAX_FAILURES',
  loginLockWindow: 'LOGIN_LOCK_WINDOW',
  redisUrl: 'REDIS_URL',
  redisKeyPrefix: 'REDIS_KEY_PREFIX',
  databaseDirectUrl: 'DATABASE_DIRECT_URL',
  revocationFeedTokens: 'REVOCATION_FEED_TOKENS',
  maxSessionsPerUser: 'MAX_SESSIONS_PER_USER',
  sessionLimitPolicy: 'SESSION_LIMIT_POLICY',
};

/** Options the environment writes as text but the library takes as numbers: errors show the text. */
const NUMBERS = new Set(['loginMaxFailures', 'maxSessionsPerUser']);

/**
 * The session settings of the environment, validated by the library's own normaliser; its error
 * comes back as a ConfigError naming the variable, the way every other bad variable does.
 */
export function sessionAuthOptionsFromEnv(
  read: Read,
  context: { production: boolean; dataDir: string; publicUrl: string },
): { input: SessionAuthOptions; resolved: ResolvedSessionAuthOptions } {
  const keys = withDevelopmentKeys(
    { privateKey: read('JWT_PRIVATE_KEY'), refreshTokenSecret: read('REFRESH_TOKEN_SECRET') },
    context.production,
    context.dataDir,
  );
  const publicKeys = read('JWT_PUBLIC_KEYS');
  const loginMaxFailures = read('LOGIN_MAX_FAILURES');
  const maxSessionsPerUser = read('MAX_SESSIONS_PER_USER');
  // The text as written: the library decides whether it is a duration.
  const duration = (name: string) => read(name) as Duration | undefined;
  const options: SessionAuthOptions = {
    issuer: read('JWT_ISSUER') ?? originOf(context.publicUrl),
    audience: read('JWT_AUDIENCE'),
    keys: {
      // Production leaves a missing key undefined, and the library reports it as required.
      privateKey: keys.privateKey as string,
      refreshTokenSecret: keys.refreshTokenSecret as string,
      publicKeys: publicKeys === undefined ? undefined : [publicKeys],
    },
    accessTokenTtl: duration('ACCESS_TOKEN_TTL'),
    refreshTokenTtl: duration('REFRESH_TOKEN_TTL'),
    sessionMaxAge: duration('SESSION_MAX_AGE'),
    shortSessionMaxAge: duration('SHORT_SESSION_MAX_AGE'),
    refreshReuseGrace: duration('REFRESH_REUSE_GRACE'),
    revocationPropagation: duration('REVOCATION_PROPAGATION'),
    reauthMaxAge: duration('REAUTH_MAX_AGE'),
    clockTolerance: duration('CLOCK_TOLERANCE'),
    publicUrl: context.publicUrl,
    corsOrigins: list(read('CORS_ORIGINS')),
    authRateLimit: read('AUTH_RATE_LIMIT'),
    loginMaxFailures: loginMaxFailures === undefined ? undefined : wholeNumber(loginMaxFailures),
    loginLockWindow: duration('LOGIN_LOCK_WINDOW'),
    redisUrl: read('REDIS_URL'),
    redisKeyPrefix: read('REDIS_KEY_PREFIX') ?? 'session-service:',
    databaseDirectUrl: read('DATABASE_DIRECT_URL'),
    revocationFeedTokens: list(read('REVOCATION_FEED_TOKENS')),
    maxSessionsPerUser:
      maxSessionsPerUser === undefined ? undefined : wholeNumber(maxSessionsPerUser),
    sessionLimitPolicy: read('SESSION_LIMIT_POLICY') as SessionLimitPolicy | undefined,
    // The service is all the library's: a foreign Origin is refused on every unsafe request.
    originCheck: 'all',
  };
  try {
    return { input: options, resolved: normaliseSessionAuthOptions(options) };
  } catch (error) {
    if (!(error instanceof SessionAuthOptionsError) || !Object.hasOwn(VARIABLES, error.option))
      throw error;
    const variable = VARIABLES[error.option];
    const value = NUMBERS.has(error.option) ? read(variable) : error.value;
    throw new ConfigError(variable, error.accepts, value);
  }
}

/** A comma-separated variable's entries, trimmed, empty ones dropped. */
function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** NaN for text that is not a whole number, which the library then refuses. */
function wholeNumber(text: string): number {
  return /^\d+$/.test(text) ? Number(text) : Number.NaN;
}

/** JWT_ISSUER defaults to the service's origin; a bad PUBLIC_URL is the library's to report. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
