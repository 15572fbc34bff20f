import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ResolvedSessionAuthOptions } from '../core/resolved-options';
import { csrfTokenFor } from '../domain/csrf';
import type { HttpResponse } from './request';
import { RoutePaths } from './routes';

export const ACCESS_COOKIE = '__Host-access_token';
export const REFRESH_COOKIE = '__Secure-refresh_token';
export const CSRF_COOKIE = '__Host-csrf_token';
/** Proof that this browser signed in to an account before: see LoginLockout. */
export const DEVICE_COOKIE = '__Host-device';
/** A year: a browser keeps its own lockout allowance as long as it is used now and then. */
const DEVICE_COOKIE_MAX_AGE_SECONDS = 365 * 86_400;

export interface IssuedCookies {
  sessionId: string;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  /** False: session cookies, with no Max-Age, that end with the browser (`rememberMe: false`). */
  persistent: boolean;
}

const BASE = { secure: true, sameSite: 'strict', path: '/' } as const;

function secondsUntil(date: Date): number {
  return Math.max(0, Math.floor((date.getTime() - Date.now()) / 1000));
}

/** A cookie's Max-Age: none for a session begun with `rememberMe: false`, which ends with the browser. */
function lifetime(until: Date, persistent: boolean): number | undefined {
  return persistent ? secondsUntil(until) : undefined;
}

/**
 * Writes the cookie transport's cookies through Nest's HTTP adapter, which appends `Set-Cookie`
 * the same way on Express and Fastify (and keeps cookies the app sets on the same response). No
 * cookie plugin is needed, and none the app installs is used.
 */
@Injectable()
export class SessionCookies {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly options: ResolvedSessionAuthOptions,
    private readonly routes: RoutePaths,
  ) {}

  /**
   * The three cookies, each living as long as what it carries (or, for a session that is not
   * persistent, as long as the browser); the refresh one only on the auth routes.
   */
  set(response: HttpResponse, issued: IssuedCookies): void {
    const refreshMaxAge = lifetime(issued.refreshTokenExpiresAt, issued.persistent);
    this.setAccess(response, issued);
    this.write(response, REFRESH_COOKIE, issued.refreshToken, {
      ...BASE,
      httpOnly: true,
      path: this.routes.auth,
      maxAge: refreshMaxAge,
    });
    // Readable by the page's script, which echoes it in X-CSRF-Token.
    const csrf = csrfTokenFor(this.options.keys.csrfSecret, issued.sessionId);
    this.write(response, CSRF_COOKIE, csrf, { ...BASE, httpOnly: false, maxAge: refreshMaxAge });
  }

  /** The access cookie alone: a reauthentication renews the access token only. */
  setAccess(
    response: HttpResponse,
    access: { accessToken: string; accessTokenExpiresAt: Date; persistent: boolean },
  ): void {
    this.write(response, ACCESS_COOKIE, access.accessToken, {
      ...BASE,
      httpOnly: true,
      maxAge: lifetime(access.accessTokenExpiresAt, access.persistent),
    });
  }

  clear(response: HttpResponse): void {
    this.write(response, ACCESS_COOKIE, '', { ...BASE, httpOnly: true, maxAge: 0 });
    this.write(response, REFRESH_COOKIE, '', {
      ...BASE,
      httpOnly: true,
      path: this.routes.auth,
      maxAge: 0,
    });
    this.write(response, CSRF_COOKIE, '', { ...BASE, httpOnly: false, maxAge: 0 });
  }

  /** Set after every successful sign-in; never cleared by logout, as it belongs to no session. */
  setDevice(response: HttpResponse, value: string): void {
    this.write(response, DEVICE_COOKIE, value, {
      ...BASE,
      httpOnly: true,
      maxAge: DEVICE_COOKIE_MAX_AGE_SECONDS,
    });
  }

  private write(
    response: HttpResponse,
    name: string,
    value: string,
    attributes: {
      httpOnly: boolean;
      secure: true;
      sameSite: 'strict';
      path: string;
      /** Undefined: a session cookie. */
      maxAge: number | undefined;
    },
  ): void {
    this.adapterHost.httpAdapter.setCookie(response, name, value, attributes);
  }
}
