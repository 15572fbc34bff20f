import { type Duration, durationMs, formatDuration } from '../core/duration';

/** Where the revocation feed is and the secret that reads it (one of the service's REVOCATION_FEED_TOKENS). */
export interface RevocationFeedOptions {
  /** The service's `GET /auth/revocations`, such as `https://auth.example.com/auth/revocations`. */
  url: string;
  /** At least 32 characters; sent as `Authorization: Bearer`, never logged. */
  token: string;
}

/** What `ResourceServerModule.forRoot` takes, and what `forRootAsync`'s factory returns. */
export interface ResourceServerOptions {
  /** The service's `JWT_ISSUER`: tokens with another `iss` are refused. */
  issuer: string;
  /** The service's `JWT_AUDIENCE`; default `'session-service'`, as the service's. */
  audience?: string;
  /** The service's `GET /.well-known/jwks.json`. */
  jwksUrl: string;
  /**
   * The service's revocation feed. Without it the module only verifies tokens: a revoked
   * session's access tokens then work here until their `exp`.
   */
  revocationFeed?: RevocationFeedOptions;
  /**
   * Off by default: a feed out of reach is logged and reported by `RevocationFeedStatus` while
   * tokens are still accepted. Set, guarded routes answer 503 `service_unavailable` once neither
   * an event nor a heartbeat has arrived for this long (at least 16s: the feed is quiet up to
   * 15 s between heartbeats).
   */
  maxFeedSilence?: Duration;
  /** Leeway on `exp`, `nbf` and `iat` for clocks that disagree with the service's; default 0s. */
  clockTolerance?: Duration;
  /** true (default): every route needs an access token unless `@Public()`; false: only those marked `@Auth()` or `@Roles()`. */
  globalGuard?: boolean;
  /** How recent `auth_time` must be on a `@RecentAuth()` route without its own maximum; default 5m (1s to 1d). */
  reauthMaxAge?: Duration;
}

/**
 * The options once checked, with defaults filled in and durations in milliseconds: what the
 * module's providers inject.
 */
export class ResolvedResourceServerOptions {
  readonly issuer!: string;
  readonly audience!: string;
  readonly jwksUrl!: URL;
  readonly revocationFeed!: { readonly url: URL; readonly token: string } | null;
  /** null: off. */
  readonly maxFeedSilenceMs!: number | null;
  readonly clockToleranceMs!: number;
  readonly globalGuard!: boolean;
  readonly reauthMaxAgeMs!: number;
}

/** An option `ResourceServerModule` cannot start with; the message names it and what it takes. */
export class ResourceServerOptionsError extends Error {
  constructor(
    readonly option: string,
    readonly accepts: string,
  ) {
    super(`ResourceServerModule: option ${option} is missing or invalid: ${accepts}`);
    this.name = 'ResourceServerOptionsError';
  }
}

const SECOND = 1_000;
const DAY = 86_400 * SECOND;
/** The feed sends a heartbeat at least every 15 s: a shorter silence limit would refuse a quiet feed. */
const MIN_FEED_SILENCE_MS = 16 * SECOND;
const MIN_FEED_TOKEN_LENGTH = 32;

/** Checks the options once and fills in the defaults; throws ResourceServerOptionsError naming the first bad one. */
export function normaliseResourceServerOptions(
  input: ResourceServerOptions,
): ResolvedResourceServerOptions {
  if (typeof input !== 'object' || input === null) {
    throw new ResourceServerOptionsError('options', 'an object with at least issuer and jwksUrl');
  }
  const feed = input.revocationFeed;
  if (feed !== undefined && (typeof feed !== 'object' || feed === null)) {
    throw new ResourceServerOptionsError('revocationFeed', 'an object { url, token }');
  }
  const resolved: ResolvedResourceServerOptions = {
    issuer: text(input.issuer, 'issuer', 'a non-empty string, such as https://auth.example.com'),
    audience:
      input.audience === undefined
        ? 'session-service'
        : text(input.audience, 'audience', 'a non-empty string'),
    jwksUrl: httpUrl(input.jwksUrl, 'jwksUrl'),
    revocationFeed: feed
      ? Object.freeze({
          url: httpUrl(feed.url, 'revocationFeed.url'),
          token: feedToken(feed.token),
        })
      : null,
    maxFeedSilenceMs:
      input.maxFeedSilence === undefined
        ? null
        : duration(input.maxFeedSilence, 'maxFeedSilence', MIN_FEED_SILENCE_MS, DAY),
    clockToleranceMs:
      input.clockTolerance === undefined
        ? 0
        : duration(input.clockTolerance, 'clockTolerance', 0, 5 * 60 * SECOND),
    globalGuard: flag(input.globalGuard, 'globalGuard', true),
    reauthMaxAgeMs:
      input.reauthMaxAge === undefined
        ? 5 * 60 * SECOND
        : duration(input.reauthMaxAge, 'reauthMaxAge', SECOND, DAY),
  };
  if (resolved.maxFeedSilenceMs !== null && !resolved.revocationFeed) {
    throw new ResourceServerOptionsError(
      'maxFeedSilence',
      'only with revocationFeed: without a feed there is no silence to measure',
    );
  }
  return Object.freeze(Object.assign(new ResolvedResourceServerOptions(), resolved));
}

function text(value: unknown, option: string, accepts: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ResourceServerOptionsError(option, accepts);
  }
  return value;
}

function httpUrl(value: unknown, option: string): URL {
  const accepts = 'an absolute http or https URL';
  try {
    const url = new URL(text(value, option, accepts));
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // Reported below, with the option's name.
  }
  throw new ResourceServerOptionsError(option, accepts);
}

function feedToken(value: unknown): string {
  const accepts = `one of the service's REVOCATION_FEED_TOKENS: at least ${MIN_FEED_TOKEN_LENGTH} characters, no spaces`;
  if (typeof value !== 'string' || value.length < MIN_FEED_TOKEN_LENGTH || /\s/.test(value)) {
    throw new ResourceServerOptionsError('revocationFeed.token', accepts);
  }
  return value;
}

function duration(value: unknown, option: string, minMs: number, maxMs: number): number {
  const ms = durationMs(value);
  if (ms === null || ms < minMs || ms > maxMs) {
    throw new ResourceServerOptionsError(
      option,
      `a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)}, such as 30, 30s or 1m (a number is seconds)`,
    );
  }
  return ms;
}

function flag(value: unknown, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ResourceServerOptionsError(option, 'true or false');
  return value;
}
