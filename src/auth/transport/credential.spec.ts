import type { FastifyRequest } from 'fastify';
import { SessionAuthError } from '@session-service/nestjs';
import { bearerToken, chooseCredential, cookieValues } from './credential';
import { csrfTokenFor, httpStatusOf } from '@session-service/nestjs/internal';

const secret = Buffer.alloc(32, 7);
const mine = '6f1c2d3e-0000-4000-8000-000000000001';
const theirs = '6f1c2d3e-0000-4000-8000-000000000002';
const csrf = csrfTokenFor(secret, mine);

/** A token-shaped value naming a session: chooseCredential only decodes it. */
function tokenOf(sid: string): string {
  return `e30.${Buffer.from(JSON.stringify({ sid })).toString('base64url')}.sig`;
}

function requestTo(
  url: string | undefined,
  init: { method?: string; cookie?: string; authorization?: string; csrfHeader?: string } = {},
): FastifyRequest {
  const cookies: Record<string, string> = {};
  // As a cookie parser does: one value per name, the first.
  for (const pair of (init.cookie ?? '').split('; ').filter(Boolean)) {
    const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
    if (!(name in cookies)) cookies[name] = value;
  }
  return {
    method: init.method ?? 'POST',
    routeOptions: { url },
    cookies,
    headers: {
      cookie: init.cookie,
      authorization: init.authorization,
      'x-csrf-token': init.csrfHeader,
    },
  } as unknown as FastifyRequest;
}

function refusal(request: FastifyRequest): unknown {
  try {
    chooseCredential(request, secret);
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
    expect(chooseCredential(request, secret)).toEqual({
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
    expect(chooseCredential(withCsrf, secret)).toMatchObject({ kind: 'access', via: 'cookie' });
  });

  it('needs no CSRF value on a safe method', () => {
    const request = requestTo('/auth/me', { method: 'GET', cookie: access });
    expect(chooseCredential(request, secret)).toMatchObject({ kind: 'access', via: 'cookie' });
  });

  it('ignores an empty access cookie, and a Bearer header on /auth/refresh', () => {
    const request = requestTo('/auth/refresh', {
      authorization: 'Bearer abc',
      cookie: `${ownRefresh}; __Host-access_token=`,
    });
    expect(refusal(request)).toEqual([403, 'csrf_token_invalid']);
    expect(
      chooseCredential(requestTo('/sessions', { cookie: '__Host-access_token=' }), secret),
    ).toBe(null);
  });

  it('on /auth/refresh, uses the refresh cookie of the CSRF value’s session, wherever it is sent', () => {
    const request = requestTo('/auth/refresh', {
      cookie: `${planted}; ${ownRefresh}; ${access}; ${csrfCookie}`,
      csrfHeader: csrf,
    });
    expect(chooseCredential(request, secret)).toEqual({
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
    expect(chooseCredential(request, secret)).toBeNull();
  });

  it('on /auth/logout, falls back to the access cookie of that session, else refuses', () => {
    const cookie = `__Secure-refresh_token=garbage; ${planted}; ${access}; ${csrfCookie}`;
    expect(
      chooseCredential(requestTo('/auth/logout', { cookie, csrfHeader: csrf }), secret),
    ).toEqual({ kind: 'access', via: 'cookie', token: tokenOf(mine) });
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
    expect(chooseCredential(request, secret)).toBeNull();
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
