import { SessionAuthError } from '../core/errors';
import { csrfTokenFor } from '../domain/csrf';
import { bearerToken, chooseCredential, cookieValues } from './credentials';
import { httpStatusOf } from './errors/error-status';
import type { HttpRequest } from './request';

const secret = Buffer.alloc(32, 7);
const mine = '6f1c2d3e-0000-4000-8000-000000000001';
const theirs = '6f1c2d3e-0000-4000-8000-000000000002';
const csrf = csrfTokenFor(secret, mine);

/** A token-shaped value naming a session: chooseCredential only decodes it. */
function tokenOf(sid: string): string {
  return `e30.${Buffer.from(JSON.stringify({ sid })).toString('base64url')}.sig`;
}

function requestTo(
  url: string,
  init: { method?: string; cookie?: string; authorization?: string; csrfHeader?: string } = {},
): HttpRequest {
  return {
    method: init.method ?? 'POST',
    url,
    headers: {
      cookie: init.cookie,
      authorization: init.authorization,
      'x-csrf-token': init.csrfHeader,
    },
  };
}

/** As RoutePaths decides it with no prefix. */
function choose(request: HttpRequest) {
  const route =
    request.url === '/auth/refresh' ? 'refresh' : request.url === '/auth/logout' ? 'logout' : null;
  return chooseCredential(request, secret, route);
}

function refusal(request: HttpRequest): unknown {
  try {
    choose(request);
  } catch (error) {
    return error instanceof SessionAuthError ? [httpStatusOf(error.reason), error.reason] : error;
  }
  return 'chosen';
}

describe('chooseCredential', () => {
  const access = `__Host-access_token=${tokenOf(mine)}`;
  const csrfCookie = `__Host-csrf_token=${csrf}`;
  const ownRefresh = `__Secure-refresh_token=${tokenOf(mine)}`;
  const planted = `__Secure-refresh_token=${tokenOf(theirs)}`;

  it('takes a Bearer header without CSRF, and ignores the cookies then', () => {
    const request = requestTo('/sessions', { authorization: 'Bearer abc', cookie: access });
    expect(choose(request)).toEqual({
      kind: 'access',
      via: 'bearer',
      token: 'abc',
    });
  });

  it('treats any other Authorization header as no credential: the cookie needs CSRF', () => {
    const request = requestTo('/sessions', { authorization: 'Basic x', cookie: access });
    expect(refusal(request)).toEqual([403, 'csrf_token_invalid']);
    const withCsrf = requestTo('/sessions', {
      authorization: 'Basic x',
      cookie: `${access}; ${csrfCookie}`,
      csrfHeader: csrf,
    });
    expect(choose(withCsrf)).toMatchObject({ kind: 'access', via: 'cookie' });
  });

  it('needs no CSRF value on a safe method', () => {
    const request = requestTo('/auth/me', { method: 'GET', cookie: access });
    expect(choose(request)).toMatchObject({ kind: 'access', via: 'cookie' });
  });

  it('ignores an empty access cookie, and a Bearer header on /auth/refresh', () => {
    const request = requestTo('/auth/refresh', {
      authorization: 'Bearer abc',
      cookie: `${ownRefresh}; __Host-access_token=`,
    });
    expect(refusal(request)).toEqual([403, 'csrf_token_invalid']);
    expect(choose(requestTo('/sessions', { cookie: '__Host-access_token=' }))).toBe(null);
  });

  it('on /auth/refresh, uses the refresh cookie of the CSRF value’s session, wherever it is sent', () => {
    const request = requestTo('/auth/refresh', {
      cookie: `${planted}; ${ownRefresh}; ${access}; ${csrfCookie}`,
      csrfHeader: csrf,
    });
    expect(choose(request)).toEqual({
      kind: 'refresh',
      via: 'cookie',
      token: tokenOf(mine),
    });
  });

  it('on /auth/refresh, refuses when no refresh cookie belongs to that session', () => {
    const request = requestTo('/auth/refresh', {
      cookie: `${planted}; ${access}; ${csrfCookie}`,
      csrfHeader: csrf,
    });
    expect(refusal(request)).toEqual([403, 'csrf_token_invalid']);
  });

  it('on /auth/refresh with no refresh cookie, leaves it to the body', () => {
    const request = requestTo('/auth/refresh', { cookie: `${access}; ${csrfCookie}` });
    expect(choose(request)).toBeNull();
  });

  it('on /auth/logout, falls back to the access cookie of that session, else refuses', () => {
    const cookie = `__Secure-refresh_token=garbage; ${planted}; ${access}; ${csrfCookie}`;
    expect(choose(requestTo('/auth/logout', { cookie, csrfHeader: csrf }))).toEqual({
      kind: 'access',
      via: 'cookie',
      token: tokenOf(mine),
    });
    expect(refusal(requestTo('/auth/logout', { cookie }))).toEqual([403, 'csrf_token_invalid']);
    expect(
      refusal(
        requestTo('/auth/logout', {
          cookie: `${planted}; __Host-access_token=${tokenOf(theirs)}; ${csrfCookie}`,
          csrfHeader: csrf,
        }),
      ),
    ).toEqual([403, 'csrf_token_invalid']);
  });

  it('does not take a refresh cookie on any other route', () => {
    const request = requestTo('/auth/logout-all', { cookie: ownRefresh });
    expect(choose(request)).toBeNull();
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Bearer   abc  ', 'abc'],
    ['Bearer', null],
    ['Bearer    ', null],
    ['Basic dXNlcjpwYXNz', null],
    ['', null],
  ])('%j gives %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe('cookieValues', () => {
  it('gives every non-empty value of one name, in order', () => {
    expect(cookieValues('a=1; b=2; a=; a="3"; a=%34;c=5;a=6', 'a')).toEqual(['1', '3', '4', '6']);
    expect(cookieValues('ab=1; b=2', 'a')).toEqual([]);
    expect(cookieValues(undefined, 'a')).toEqual([]);
  });

  it('keeps a value that does not percent-decode as it is', () => {
    expect(cookieValues('a=%E0%A4%A', 'a')).toEqual(['%E0%A4%A']);
  });
});
