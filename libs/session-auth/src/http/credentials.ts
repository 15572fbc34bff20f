import { Injectable } from '@nestjs/common';
import { SessionAuthError } from '../core/errors';
import { ResolvedSessionAuthOptions } from '../core/resolved-options';
import { isValidCsrfToken } from '../domain/csrf';
import { ACCESS_COOKIE, CSRF_COOKIE, DEVICE_COOKIE, REFRESH_COOKIE } from './cookies';
import { headerOf, type HttpRequest, pathOf } from './request';
import { RoutePaths } from './routes';

/**
 * The credential a request authenticates with, as its transport brought it. A refresh token in
 * the JSON body is not here: it is read after the body, and wins over this (see
 * `Credentials.presentedRefreshToken`).
 */
export type RequestCredential =
  | { kind: 'access'; via: 'bearer' | 'cookie'; token: string }
  | { kind: 'refresh'; via: 'cookie'; token: string };

/** The two routes that take the refresh cookie. */
export type RefreshCookieRoute = 'refresh' | 'logout';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BEARER = /^\s*bearer\s+(\S+)/i;

/**
 * The one decision of which credential a request authenticates with, so that the CSRF check and
 * the authentication can never disagree:
 * - `Authorization: Bearer` is the credential and needs no CSRF value (except on the refresh
 *   route, where an access token is no credential at all). Any other Authorization header is ignored.
 * - Otherwise a non-empty cookie is, and an unsafe request must send X-CSRF-Token equal to the
 *   CSRF cookie and bound to that cookie's session, or it is refused (403 csrf_token_invalid).
 * - The refresh cookie (refresh and logout only) may come several times: a sibling subdomain can
 *   plant one with `Domain=` and a longer path, which the browser sends first. The `__Host-` CSRF
 *   cookie cannot be planted, so it names the browser's own session: the value of that session is
 *   used, the others ignored. Logout with no such value falls back to the access cookie.
 */
export function chooseCredential(
  request: HttpRequest,
  csrfSecret: Buffer,
  route: RefreshCookieRoute | null,
): RequestCredential | null {
  const safe = SAFE_METHODS.has(request.method);
  // Both refresh-cookie routes take POST only.
  if (safe) route = null;
  if (route !== 'refresh') {
    const bearer = bearerToken(headerOf(request, 'authorization'));
    if (bearer) return { kind: 'access', via: 'bearer', token: bearer };
  }
  const cookie = headerOf(request, 'cookie');
  const access = route === 'refresh' ? null : (cookieValues(cookie, ACCESS_COOKIE)[0] ?? null);
  const refresh = route === null ? [] : cookieValues(cookie, REFRESH_COOKIE);
  if (safe || (access === null && refresh.length === 0)) {
    return access === null ? null : { kind: 'access', via: 'cookie', token: access };
  }

  const header = headerOf(request, 'x-csrf-token');
  const csrfCookie = cookieValues(cookie, CSRF_COOKIE)[0] ?? null;
  const isOwn = (token: string) => {
    const sessionId = sessionIdOf(token);
    return (
      sessionId !== null &&
      header !== undefined &&
      isValidCsrfToken(csrfSecret, sessionId, header, csrfCookie)
    );
  };
  const ownRefresh = refresh.find(isOwn);
  if (ownRefresh !== undefined) return { kind: 'refresh', via: 'cookie', token: ownRefresh };
  if (access !== null && isOwn(access)) return { kind: 'access', via: 'cookie', token: access };
  throw new SessionAuthError('csrf_token_invalid', 'The X-CSRF-Token header is missing or wrong.');
}

/**
 * The credentials of a request, each decided once: the early checks decide before the body is
 * read (and refuse a failed CSRF check there), the guards and the rate limiter read the same
 * decision afterwards.
 */
/**
 * Where a request keeps its decided credential: a property of the request object itself (symbol
 * keyed, so that no app's property is touched). A WeakMap keyed by requests cost every garbage
 * collection an ephemeron per request in flight, measurable on the hottest route.
 */
const CHOSEN = Symbol('session-auth:credential');
type WithCredential = HttpRequest & { [CHOSEN]?: RequestCredential | null };

@Injectable()
export class Credentials {
  constructor(
    private readonly options: ResolvedSessionAuthOptions,
    private readonly routes: RoutePaths,
  ) {}

  /** The request's transport credential (see chooseCredential); throws when its CSRF check fails. */
  of(request: WithCredential): RequestCredential | null {
    let credential = request[CHOSEN];
    if (credential === undefined) {
      // The refresh-cookie routes take POST only: a safe request's path need not be looked at.
      const route = SAFE_METHODS.has(request.method)
        ? null
        : this.routes.refreshRouteOf(pathOf(request));
      credential = chooseCredential(request, this.options.keys.csrfSecret, route);
      request[CHOSEN] = credential;
    }
    return credential;
  }

  /** The access token the request authenticates with (Bearer header or cookie), if any. */
  access(request: HttpRequest): Extract<RequestCredential, { kind: 'access' }> | null {
    const credential = this.of(request);
    return credential?.kind === 'access' ? credential : null;
  }

  /**
   * The refresh token a request presents: the body's, which wins (and is answered in the body),
   * else the refresh cookie of this browser's own session.
   */
  presentedRefreshToken(request: HttpRequest): { token: string; via: 'body' | 'cookie' } | null {
    const body = request.body as { refreshToken?: unknown } | null | undefined;
    const value = body && typeof body === 'object' ? body.refreshToken : undefined;
    if (typeof value === 'string' && value.length > 0) return { token: value, via: 'body' };
    const credential = this.of(request);
    return credential?.kind === 'refresh' ? credential : null;
  }
}

/**
 * The browser's device cookie, if it sent one (see LoginLockout). A `__Host-` cookie, so no
 * sibling subdomain can plant one; its HMAC is checked by the lockout.
 */
export function deviceCookieOf(request: HttpRequest): string | null {
  return cookieValues(headerOf(request, 'cookie'), DEVICE_COOKIE)[0] ?? null;
}

/** `Authorization: Bearer <token>` (the scheme in any case); null for any other header. */
export function bearerToken(header: string | undefined): string | null {
  return header === undefined ? null : (BEARER.exec(header)?.[1] ?? null);
}

/**
 * Every non-empty value of one cookie, in the order the browser sent them. Parsed from the raw
 * header, by the library itself: a cookie parser keeps one value per name, and the host may have
 * none (or one that decodes values its own way).
 */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const index = pair.indexOf('=');
    if (index < 0 || pair.slice(0, index).trim() !== name) continue;
    const value = unquote(pair.slice(index + 1).trim());
    if (value.length > 0) values.push(value);
  }
  return values;
}

function unquote(value: string): string {
  const bare = value.length > 1 && value.startsWith('"') && value.endsWith('"');
  const raw = bare ? value.slice(1, -1) : value;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * The session a token names, only decoded: the guards verify the token. A forged token naming
 * the browser's session is chosen, then refused there; one naming any other session never is.
 */
function sessionIdOf(token: string): string | null {
  try {
    const payload = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
    return typeof payload?.sid === 'string' ? payload.sid : null;
  } catch {
    return null;
  }
}
