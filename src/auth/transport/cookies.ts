import type { FastifyReply } from 'fastify';

export const ACCESS_COOKIE = '__Host-access_token';
export const REFRESH_COOKIE = '__Secure-refresh_token';
export const CSRF_COOKIE = '__Host-csrf_token';
/** The refresh cookie goes only to the routes that take it. */
export const REFRESH_COOKIE_PATH = '/auth';

export interface SessionCookies {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  csrfToken: string;
}

const BASE = { secure: true, sameSite: 'strict', path: '/' } as const;

function secondsUntil(date: Date): number {
  return Math.max(0, Math.floor((date.getTime() - Date.now()) / 1000));
}

/** The three cookies of the cookie transport, each living as long as what it carries. */
export function setSessionCookies(reply: FastifyReply, cookies: SessionCookies): void {
  const refreshMaxAge = secondsUntil(cookies.refreshTokenExpiresAt);
  void reply
    .setCookie(ACCESS_COOKIE, cookies.accessToken, {
      ...BASE,
      httpOnly: true,
      maxAge: secondsUntil(cookies.accessTokenExpiresAt),
    })
    .setCookie(REFRESH_COOKIE, cookies.refreshToken, {
      ...BASE,
      httpOnly: true,
      path: REFRESH_COOKIE_PATH,
      maxAge: refreshMaxAge,
    })
    // Readable by the page's script, which echoes it in X-CSRF-Token.
    .setCookie(CSRF_COOKIE, cookies.csrfToken, { ...BASE, httpOnly: false, maxAge: refreshMaxAge });
}

export function clearSessionCookies(reply: FastifyReply): void {
  void reply
    .setCookie(ACCESS_COOKIE, '', { ...BASE, httpOnly: true, maxAge: 0 })
    .setCookie(REFRESH_COOKIE, '', {
      ...BASE,
      httpOnly: true,
      path: REFRESH_COOKIE_PATH,
      maxAge: 0,
    })
    .setCookie(CSRF_COOKIE, '', { ...BASE, httpOnly: false, maxAge: 0 });
}

/** Proof that this browser signed in to an account before: see LoginLockout. */
export const DEVICE_COOKIE = '__Host-device';
/** A year: a browser keeps its own lockout allowance as long as it is used now and then. */
const DEVICE_COOKIE_MAX_AGE_SECONDS = 365 * 86_400;

/** Set after every successful sign-in; never cleared by logout, as it belongs to no session. */
export function setDeviceCookie(reply: FastifyReply, value: string): void {
  void reply.setCookie(DEVICE_COOKIE, value, {
    ...BASE,
    httpOnly: true,
    maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS,
  });
}
