import type { KeyObject } from 'node:crypto';
import type { Type } from '@nestjs/common';
import type { Duration } from '../core/duration';
import type { SessionAuthObserver } from '../core/observer';
import type { OriginCheck, SessionLimitPolicy } from '../core/resolved-options';
import type { SessionAuthUsers } from '../core/users';

export type { Duration };

/** The keys tokens are signed with. */
export interface SessionAuthKeys {
  /** Signs access tokens: a PEM (or KeyObject), EC P-256 (ES256) or Ed25519 (EdDSA). */
  privateKey: string | KeyObject;
  /** Older public keys still trusted during a key rotation; a string may hold several PEMs. */
  publicKeys?: ReadonlyArray<string | KeyObject>;
  /** At least 32 bytes; refresh-token, CSRF, device-cookie and lockout keys are derived from it. */
  refreshTokenSecret: string | Buffer;
}

/**
 * `SessionAuthModule`'s options. The names and defaults mirror the service's environment
 * variables (`accessTokenTtl` is `ACCESS_TOKEN_TTL`), so that a setting means the same in both.
 */
export interface SessionAuthOptions {
  /** The `iss` of every token, checked on every token. */
  issuer: string;
  /** The `aud` of every token; default `'session-service'`. */
  audience?: string;
  keys: SessionAuthKeys;
  /** Access-token lifetime, 1s to 1h; default `'15m'`. */
  accessTokenTtl?: Duration;
  /** Refresh-token idle lifetime, 1s to 365d; default `'7d'`. */
  refreshTokenTtl?: Duration;
  /** A session's absolute end, 1s to 365d; default `'30d'`. */
  sessionMaxAge?: Duration;
  /** The absolute end of a session begun with `rememberMe: false`, 1s to 365d; default `'1d'`. */
  shortSessionMaxAge?: Duration;
  /** How long a rotated refresh token may be presented again for the same successor, 0 to 60s; default `'10s'`. */
  refreshReuseGrace?: Duration;
  /** How soon a revocation reaches every instance, 1s to 60s; default `'1s'`. */
  revocationPropagation?: Duration;
  /** How recent `auth_time` must be where recent authentication is required, 1s to 1d; default `'5m'`. */
  reauthMaxAge?: Duration;
  /** Leeway on `exp`/`nbf`/`iat`, 0 to 5m; default `'0s'`. */
  clockTolerance?: Duration;
  /** The app's own origin; default: the origin of `issuer` when it is an http(s) URL. */
  publicUrl?: string;
  /** Origins allowed to call with credentials; default none. */
  corsOrigins?: readonly string[];
  /**
   * Requests per client address to each sign-in, refresh and password route: `'30/1m'` (default)
   * or `{ limit, window }`, a limit of 1 to 1000000000 over a window of 1s to 1d.
   */
  authRateLimit?: string | { limit: number; window: Duration };
  /** Failed password checks per account and client before 429, 1 to 1000; default 5. */
  loginMaxFailures?: number;
  /** The window failed password checks count in, 1s to 1d; default `'15m'`. */
  loginLockWindow?: Duration;
  /** `redis://` or `rediss://`: shared counters for several instances; default: counted in this process. */
  redisUrl?: string;
  /** Prepended to every Redis key; default `'session-auth:'`. */
  redisKeyPrefix?: string;
  /**
   * `postgres://` or `postgresql://`: a direct connection, past any transaction pooler such as
   * PgBouncer, for what needs a database session of its own (the revocation listener's LISTEN).
   * Default: where the app's DataSource connects.
   */
  databaseDirectUrl?: string;
  /** Live sessions a user may hold, 0 (no limit, the default) to 1000. */
  maxSessionsPerUser?: number;
  /** Default `'evict-oldest'`. */
  sessionLimitPolicy?: SessionLimitPolicy;
  /** true (default): every route of the app is closed unless `@Public()`; false: only routes that ask. */
  globalGuard?: boolean;
  /**
   * Which unsafe requests from a foreign `Origin` (neither `publicUrl` nor in `corsOrigins`) are
   * refused with 403 `origin_not_allowed`: `'session'` (default), the library's routes and any
   * request that carries one of its cookies; `'all'`, every one, whatever its credentials.
   */
  originCheck?: OriginCheck;
  /**
   * Secrets that may read `GET /auth/revocations`, the revocation feed for services that verify
   * access tokens themselves: each at least 32 characters (printable ASCII, no spaces), sent as
   * `Authorization: Bearer <token>`. Default none: the route answers 404.
   */
  revocationFeedTokens?: readonly string[];
  /** Mounts the library's routes under this path (`'/api'`); default `''`, the paths as documented. */
  routePrefix?: string;
  /**
   * The accounts sessions belong to: undefined for the built-in ones (a `users` table of the
   * library's, `POST /auth/register`), or the app's own through `SessionAuthUsers`, as an object
   * or a class (instantiated by Nest, so it may inject the app's providers).
   */
  users?: SessionAuthUsers | Type<SessionAuthUsers>;
  /**
   * Told of sign-in and refresh outcomes, revocations and the revocation state, for the app's
   * metrics; default none (nothing is counted).
   */
  observer?: SessionAuthObserver;
}
