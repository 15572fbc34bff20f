import { SessionAuthError } from './errors';

/** Why a session was revoked, as its row records it. */
export type RevocationReason =
  | 'logout'
  | 'logout_all'
  | 'revoked_by_user'
  | 'password_changed'
  | 'refresh_token_reused'
  | 'admin'
  | 'session_limit'
  | 'account_deleted';

/** How a sign-in (`POST /auth/login`) ended. */
export type LoginOutcome = 'success' | 'invalid_credentials' | 'locked' | 'rate_limited';

/**
 * How a refresh ended: `rotated` (a successor issued), `replayed` (the same successor again,
 * inside the grace window), `reused` (the session revoked), or refused as `expired`, `revoked`
 * or `invalid`.
 */
export type RefreshOutcome = 'rotated' | 'replayed' | 'reused' | 'expired' | 'revoked' | 'invalid';

/**
 * What the library tells an app that watches it (metrics, audit): the option `observer`. Every
 * method is optional and called synchronously on the request's path, so it must be cheap and must
 * not throw. The library depends on no metrics package: the app maps these to its own.
 */
export interface SessionAuthObserver {
  login?(outcome: LoginOutcome): void;
  refresh?(outcome: RefreshOutcome): void;
  /** `count` sessions were revoked for `reason` by this instance (another's are not counted). */
  sessionsRevoked?(reason: RevocationReason, count: number): void;
  /** The size of this instance's in-memory set of revoked sessions, whenever it changes. */
  revokedSessionsInMemory?(count: number): void;
  /** Whether the LISTEN connection that brings other instances' revocations is up. */
  revocationListenerUp?(up: boolean): void;
}

/** The observer as the library calls it: every method present, a no-op where the app has none. */
export type ResolvedObserver = Required<SessionAuthObserver>;

const ignore = (): void => undefined;

export function resolveObserver(observer: SessionAuthObserver | undefined): ResolvedObserver {
  const bind = <K extends keyof SessionAuthObserver>(name: K): ResolvedObserver[K] =>
    (observer?.[name]?.bind(observer) ?? ignore) as ResolvedObserver[K];
  return {
    login: bind('login'),
    refresh: bind('refresh'),
    sessionsRevoked: bind('sessionsRevoked'),
    revokedSessionsInMemory: bind('revokedSessionsInMemory'),
    revocationListenerUp: bind('revocationListenerUp'),
  };
}

/**
 * Counts a refresh refused with `error` under its outcome. A passing failure (the database
 * unreachable, 503) or a rate limit is no outcome of the token: it is not counted.
 */
export function observeRefreshFailure(observer: ResolvedObserver, error: unknown): void {
  if (!(error instanceof SessionAuthError)) return;
  switch (error.reason) {
    case 'refresh_token_missing':
    case 'refresh_token_invalid':
      return observer.refresh('invalid');
    case 'refresh_token_expired':
    case 'session_expired':
      return observer.refresh('expired');
    case 'session_revoked':
      return observer.refresh('revoked');
    case 'refresh_token_reused':
      return observer.refresh('reused');
  }
}

/**
 * Counts a sign-in refused with `error`: a wrong password (or one changed meanwhile), or the
 * client locked out of the account (the only 429 a sign-in raises past the rate-limit guard).
 */
export function observeLoginFailure(observer: ResolvedObserver, error: unknown): void {
  if (!(error instanceof SessionAuthError)) return;
  if (error.reason === 'invalid_credentials') observer.login('invalid_credentials');
  else if (error.reason === 'too_many_requests') observer.login('locked');
}
