import type { FastifyRequest } from 'fastify';
import { SessionAuthError } from '@session-service/nestjs';
import { ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE } from './cookies';
import { isValidCsrfToken } from '@session-service/nestjs/internal';

/** The routes that take a refresh token; every other route takes an access token. */
export const REFRESH_ROUTE = '/auth/refresh';
export const LOGOUT_ROUTE = '/auth/logout';

/**
 * The credential a request authenticates with, as its transport brought it. A refresh token in
 * the JSON body is not here: it is read after the body, and wins over this (see extract-token.ts).
 */
export type RequestCredential =
  | { kind: 'access'; via: 'bearer' | 'cookie'; token: string }
  | { kind: 'refresh'; via: 'cookie'; token: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the browser-security hook, before anything else reads a credential. */
    authCredential: RequestCredential | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BEARER = /^\s*bearer\s+(\S+)/i;

/**
 * The one decision of which credential a request authenticates with, so that the CSRF check and
 * the authentication can never disagree:
 * - `Authorization: Bearer` is the credential and needs no CSRF value (except on /auth/refresh,
 *   where an access token is no credential at all). Any other Authorization header is ignored.
 * - Otherwise a non-empty cookie is, and an unsafe request must send X-CSRF-Token equal to the
 *   CSRF cookie and bound to that cookie's session, or it is refused (403 csrf_token_invalid).
 * - The refresh cookie (refresh and logout only) may come several times: a sibling subdomain can
 *   plant one with `Domain=` and a longer path, which the browser sends first. The `__Host-` CSRF
 *   cookie cannot be planted, so it names the browser's own session: the value of that session is
 *   used, the others ignored. Logout with no such value falls back to the access cookie.
 */
export function chooseCredential(
  request: FastifyRequest,
  csrfSecret: Buffer,
): RequestCredential | null {
  const safe = SAFE_METHODS.has(request.method);
  // The refresh and logout routes take POST only, so a safe request's route (a getter that builds
  // an object on every read, on the hottest path) need not be looked up.
  const route = safe ? undefined : request.routeOptions.url;
  if (route !== REFRESH_ROUTE) {
    const bearer = bearerToken(request.headers.authorization);
    if (bearer) return { kind: 'access', via: 'bearer', token: bearer };
  }
  const access = route === REFRESH_ROUTE ? null : nonEmpty(request.cookies?.[ACCESS_COOKIE]);
  const refresh =
    route === REFRESH_ROUTE || route === LOGOUT_ROUTE
      ? cookieValues(request.headers.cookie, REFRESH_COOKIE)
      : [];
  if (safe || (access === null && refresh.length === 0)) {
    return access === null ? null : { kind: 'access', via: 'cookie', token: access };
  }

  const header = request.headers['x-csrf-token'];
  const csrfCookie = request.cookies?.[CSRF_COOKIE] ?? null;
  const isOwn = (token: string) => {
    const sessionId = sessionIdOf(token);
    return (
      sessionId !== null &&
      typeof header === 'string' &&
      isValidCsrfToken(csrfSecret, sessionId, header, csrfCookie)
    );
  };
  const ownRefresh = refresh.find(isOwn);
  if (ownRefresh !== undefined) return { kind: 'refresh', via: 'cookie', token: ownRefresh };
  if (access !== null && isOwn(access)) return { kind: 'access', via: 'cookie', token: access };
  throw new SessionAuthError('csrf_token_invalid', 'The X-CSRF-Token header is missing or wrong.');
}

/** `Authorization: Bearer <token>` (the scheme in any case); null for any other header. */
export function bearerToken(header: string | undefined): string | null {
  return header === undefined ? null : (BEARER.exec(header)?.[1] ?? null);
}

/**
 * Every non-empty value of one cookie, in the order the browser sent them. Parsed from the raw
 * header because a cookie parser keeps one value per name.
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

function nonEmpty(value: string | undefined): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
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
