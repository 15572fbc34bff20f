import type { KeyObject } from 'node:crypto';
import type { ResolvedObserver } from './observer';

export type AccessAlgorithm = 'ES256' | 'EdDSA';

export interface AccessVerificationKey {
  kid: string;
  alg: AccessAlgorithm;
  key: KeyObject;
  jwk: Record<string, string>;
}

export interface KeyMaterial {
  /** Signs access tokens; its public half is also the first entry of `accessVerification`. */
  accessSigning: { kid: string; alg: AccessAlgorithm; key: KeyObject };
  /** Every public key an access token may be verified with, by `kid`. */
  accessVerification: ReadonlyMap<string, AccessVerificationKey>;
  /** HMAC key for refresh tokens: never the access key, never usable to verify an access token. */
  refreshSecret: KeyObject;
  /** Keyed-hash secret binding CSRF values to sessions, derived from the refresh secret. */
  csrfSecret: Buffer;
  /** Keys the login-lockout counters, so that a stored key tells no one which email it counts. */
  lockoutSecret: Buffer;
  /** Signs device cookies, which bind a browser to an account it signed in to. */
  deviceSecret: Buffer;
}

/** Which unsafe cross-origin requests the Origin check refuses (see `SessionAuthOptions.originCheck`). */
export type OriginCheck = 'session' | 'all';

/** What a sign-in over `maxSessionsPerUser` does: end the least recently used session, or refuse. */
export type SessionLimitPolicy = 'evict-oldest' | 'deny';

/**
 * The options after validation (see `normaliseSessionAuthOptions`): durations in milliseconds,
 * origins serialised, keys parsed. Frozen.
 *
 * A class only so that it can be the DI token of the library's providers: they inject the
 * resolved options by this type, and no layer below the options needs to import them. Nothing
 * constructs it: the token's value is the plain frozen object the normaliser returns.
 */
export abstract class ResolvedSessionAuthOptions {
  abstract readonly issuer: string;
  abstract readonly audience: string;
  abstract readonly keys: KeyMaterial;
  abstract readonly accessTokenTtlMs: number;
  abstract readonly refreshTokenTtlMs: number;
  abstract readonly sessionMaxAgeMs: number;
  abstract readonly shortSessionMaxAgeMs: number;
  abstract readonly refreshReuseGraceMs: number;
  abstract readonly revocationPropagationMs: number;
  abstract readonly reauthMaxAgeMs: number;
  abstract readonly clockToleranceMs: number;
  abstract readonly publicUrl: string;
  abstract readonly corsOrigins: readonly string[];
  abstract readonly authRateLimit: { readonly limit: number; readonly windowMs: number };
  abstract readonly loginMaxFailures: number;
  abstract readonly loginLockWindowMs: number;
  abstract readonly redisUrl: string | null;
  abstract readonly redisKeyPrefix: string;
  /** Where the revocation listener connects; null: where the app's DataSource connects. */
  abstract readonly databaseDirectUrl: string | null;
  abstract readonly maxSessionsPerUser: number;
  abstract readonly sessionLimitPolicy: SessionLimitPolicy;
  abstract readonly globalGuard: boolean;
  abstract readonly originCheck: OriginCheck;
  abstract readonly routePrefix: string;
  /** Who may read the revocation feed; empty: the feed is off. */
  abstract readonly revocationFeedTokens: readonly string[];
  abstract readonly users: unknown;
  /** True when `users` is undefined: the library's own `users` table holds the accounts. */
  abstract readonly builtinUsers: boolean;
  abstract readonly observer: ResolvedObserver;
}
