import { jest } from '@jest/globals';
import {
  ApiError,
  BroadcastChannelLike,
  createSessionClient,
  LockManagerLike,
  maxAgeOf,
  readCookie,
  ReauthenticationRequiredError,
  ServiceUnavailableError,
  SessionClient,
  SessionClientOptions,
  SessionEndedError,
  Timers,
  type Session,
} from './session-client';
import type { SessionView } from '@session-service/nestjs';

/**
 * The client declares a session list entry itself (one file, no imports, to copy into an app):
 * `npm run lint` type-checks this line, which stops compiling if it drifts from the library's.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const SESSION_SHAPE_MATCHES: Same<Session, SessionView> = true;

test('declares the session list entry exactly as the library serves it', () => {
  expect(SESSION_SHAPE_MATCHES).toBe(true);
});

const BASE = 'https://auth.example.test';
const ACCESS = '__Host-access_token';
const REFRESH = '__Secure-refresh_token';
const CSRF = '__Host-csrf_token';
const PASSWORD = 'correct horse battery';

/** Lets every pending promise, queued message and fake response settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

class FakeClock implements Timers {
  private time = Date.parse('2026-01-01T00:00:00.000Z');
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();

  now = () => this.time;
  setTimeout = (callback: () => void, ms: number) => {
    const id = this.nextId++;
    this.pending.set(id, { at: this.time + Math.max(0, ms), callback });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.pending.delete(handle as number);
  };

  get timers(): number {
    return this.pending.size;
  }

  /** Time passes without timers running: a laptop waking from sleep. */
  jump(ms: number): void {
    this.time += ms;
  }

  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const due = [...this.pending].filter(([, timer]) => timer.at <= end);
      if (due.length === 0) break;
      // Timers due at the same instant fire together, as two tabs' timers would.
      const at = Math.min(...due.map(([, timer]) => timer.at));
      this.time = at;
      for (const [id, timer] of due.filter(([, timer]) => timer.at === at)) {
        this.pending.delete(id);
        timer.callback();
      }
    }
    this.time = end;
    await settle();
  }
}

interface Recorded {
  method: string;
  path: string;
  headers: Headers;
  credentials: RequestCredentials | undefined;
  body: Record<string, unknown> | null;
}

type ScriptedRefresh = 'network' | { status: number; code: string };

/**
 * A scripted stand-in for the service, with the browser's cookie jar: cookies travel only with
 * `credentials: 'include'`, and page script can read only the CSRF cookie.
 */
class FakeService {
  readonly requests: Recorded[] = [];
  readonly jar = new Map<string, string>();
  accessTtlSeconds = 900;
  /** Answers for the next refreshes, in order, before the real logic. */
  readonly refreshScript: ScriptedRefresh[] = [];
  /** While set, refreshes wait for it: lets a test hold one in flight. */
  refreshGate: Promise<void> | null = null;
  /** A broken service that calls every access token expired. */
  alwaysExpired = false;
  /** While set, `/slow` holds its answer until it settles. */
  slowGate: Promise<void> | null = null;

  private serial = 0;
  /** Seconds within which DELETE /users/me wants the session's last password proof. */
  reauthMaxAge = 300;
  readonly deletedSessions = new Set<string>();
  private readonly accessTokens = new Map<string, { sid: string; exp: number }>();
  /** When each session last proved the password. */
  private readonly authTimes = new Map<string, number>();
  private readonly refreshTokens = new Map<string, { sid: string; used: boolean }>();
  private readonly revoked = new Set<string>();
  private readonly csrfBySession = new Map<string, string>();

  constructor(private readonly clock: FakeClock) {}

  readCookies = (): string => (this.jar.has(CSRF) ? `other=1; ${CSRF}=${this.jar.get(CSRF)}` : '');

  count(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && r.path === path).length;
  }

  last(method: string, path: string): Recorded {
    const found = this.requests.filter((r) => r.method === method && r.path === path);
    return found[found.length - 1]!;
  }

  /** The service thinks every access token issued so far has expired; the client does not know. */
  expireAccessTokens(): void {
    for (const token of this.accessTokens.values()) token.exp = this.clock.now();
  }

  revokeEverySession(): void {
    for (const { sid } of this.refreshTokens.values()) this.revoked.add(sid);
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    expect(url.origin).toBe(BASE);
    const request: Recorded = {
      method: init.method ?? 'GET',
      path: url.pathname,
      headers: new Headers(init.headers),
      credentials: init.credentials,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : null,
    };
    this.requests.push(request);
    await Promise.resolve();
    const cookies = init.credentials === 'include' ? this.jar : new Map<string, string>();
    return this.route(request, cookies);
  };

  private async route(request: Recorded, cookies: Map<string, string>): Promise<Response> {
    const { method, path, body, headers } = request;
    if (method === 'POST' && (path === '/auth/login' || path === '/auth/register')) {
      if (path === '/auth/register' && String(body?.password).length < 8) {
        return json(400, {
          statusCode: 400,
          code: 'validation_failed',
          message: 'Validation failed',
          errors: [{ field: 'password' }],
        });
      }
      if (body?.password !== PASSWORD) {
        return json(401, { statusCode: 401, code: 'invalid_credentials', message: 'Wrong' });
      }
      const sid = `sid-${++this.serial}`;
      this.csrfBySession.set(sid, `csrf-${sid}`);
      this.authTimes.set(sid, this.clock.now());
      return this.issue(
        sid,
        headers.get('X-Auth-Transport') === 'cookie',
        path === '/auth/register',
      );
    }
    if (method === 'POST' && path === '/auth/refresh') return this.refresh(request, cookies);
    if (method === 'POST' && path === '/auth/logout') {
      const presented = (body?.refreshToken as string | undefined) ?? cookies.get(REFRESH);
      const sid = presented ? this.refreshTokens.get(presented)?.sid : undefined;
      if (sid) this.revoked.add(sid);
      this.clearCookies(cookies);
      return new Response(null, { status: 204 });
    }

    if (path === '/slow' && this.slowGate) await this.slowGate;
    const bearer = headers.get('Authorization')?.replace(/^Bearer /, '');
    const token = bearer ?? cookies.get(ACCESS);
    if (!token) return unauthorized('access_token_missing');
    const access = this.accessTokens.get(token);
    if (!access) return unauthorized('access_token_invalid');
    if (this.revoked.has(access.sid)) return unauthorized('session_revoked');
    if (this.alwaysExpired || this.clock.now() >= access.exp) {
      return unauthorized('access_token_expired');
    }
    if (!bearer && !['GET', 'HEAD', 'OPTIONS'].includes(method)) {
      if (headers.get('X-CSRF-Token') !== this.csrfBySession.get(access.sid)) {
        return json(403, { statusCode: 403, code: 'csrf_token_invalid', message: 'CSRF' });
      }
    }
    if (method === 'POST' && path === '/auth/logout-all') {
      this.revokeEverySession();
      this.clearCookies(cookies);
      return new Response(null, { status: 204 });
    }
    if (method === 'POST' && path === '/auth/reauthenticate') {
      if (body?.password !== PASSWORD) {
        return json(403, { statusCode: 403, code: 'invalid_credentials', message: 'Wrong' });
      }
      this.authTimes.set(access.sid, this.clock.now());
      const accessToken = `at-${++this.serial}`;
      const exp = this.clock.now() + this.accessTtlSeconds * 1000;
      this.accessTokens.set(accessToken, { sid: access.sid, exp });
      if (!bearer) this.jar.set(ACCESS, accessToken);
      return json(200, {
        tokenType: 'Bearer',
        ...(bearer ? { accessToken } : {}),
        expiresIn: this.accessTtlSeconds,
        accessTokenExpiresAt: new Date(exp).toISOString(),
        authTime: new Date(this.clock.now()).toISOString(),
      });
    }
    if (method === 'DELETE' && path === '/users/me') {
      if (this.clock.now() - this.authTimes.get(access.sid)! > this.reauthMaxAge * 1000) {
        return new Response(
          JSON.stringify({
            statusCode: 401,
            code: 'reauthentication_required',
            message: 'Prove your password again.',
          }),
          {
            status: 401,
            headers: {
              'Content-Type': 'application/json',
              'WWW-Authenticate': `Bearer error="insufficient_user_authentication", error_description="Prove it, again", max_age=${this.reauthMaxAge}`,
            },
          },
        );
      }
      this.deletedSessions.add(access.sid);
      this.revokeEverySession();
      this.clearCookies(cookies);
      return new Response(null, { status: 204 });
    }
    if (path === '/auth/me') {
      return json(200, {
        id: 'user-1',
        roles: ['user'],
        sessionId: access.sid,
        expiresAt: new Date(access.exp).toISOString(),
      });
    }
    if (path === '/forbidden-token') return unauthorized('access_token_invalid');
    if (path === '/missing') {
      return json(404, { statusCode: 404, code: 'not_found', message: 'Not found' });
    }
    return json(200, { ok: true, method, path });
  }

  private async refresh(request: Recorded, cookies: Map<string, string>): Promise<Response> {
    const scripted = this.refreshScript.shift();
    if (scripted === 'network') throw new TypeError('fetch failed');
    if (scripted) {
      return json(scripted.status, {
        statusCode: scripted.status,
        code: scripted.code,
        message: 'x',
      });
    }
    if (this.refreshGate) await this.refreshGate;
    const presented = (request.body?.refreshToken as string | undefined) ?? cookies.get(REFRESH);
    if (!presented) return unauthorized('refresh_token_missing');
    const stored = this.refreshTokens.get(presented);
    if (!stored) return unauthorized('refresh_token_invalid');
    if (this.revoked.has(stored.sid)) return unauthorized('session_revoked');
    if (stored.used) {
      this.revoked.add(stored.sid);
      return unauthorized('refresh_token_reused');
    }
    const byCookie = request.body?.refreshToken === undefined;
    if (byCookie && request.headers.get('X-CSRF-Token') !== this.csrfBySession.get(stored.sid)) {
      return json(403, { statusCode: 403, code: 'csrf_token_invalid', message: 'CSRF' });
    }
    stored.used = true;
    return this.issue(stored.sid, byCookie, false);
  }

  private issue(sid: string, cookie: boolean, created: boolean): Response {
    const n = ++this.serial;
    const accessToken = `at-${n}`;
    const refreshToken = `rt-${n}`;
    const exp = this.clock.now() + this.accessTtlSeconds * 1000;
    this.accessTokens.set(accessToken, { sid, exp });
    this.refreshTokens.set(refreshToken, { sid, used: false });
    const response = {
      tokenType: 'Bearer',
      expiresIn: this.accessTtlSeconds,
      accessTokenExpiresAt: new Date(exp).toISOString(),
      refreshTokenExpiresAt: new Date(this.clock.now() + 7 * 86_400_000).toISOString(),
      sessionId: sid,
      user: {
        id: 'user-1',
        email: 'a@example.com',
        displayName: null,
        roles: ['user'],
        createdAt: '',
      },
    };
    if (!cookie) return json(created ? 201 : 200, { ...response, accessToken, refreshToken });
    this.jar.set(ACCESS, accessToken);
    this.jar.set(REFRESH, refreshToken);
    this.jar.set(CSRF, this.csrfBySession.get(sid)!);
    return json(created ? 201 : 200, response);
  }

  private clearCookies(cookies: Map<string, string>): void {
    for (const name of [ACCESS, REFRESH, CSRF]) cookies.delete(name);
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

function unauthorized(code: string): Response {
  return json(401, { statusCode: 401, code, message: code });
}

/** Exclusive locks granted in request order, like `navigator.locks`. */
class FakeLocks implements LockManagerLike {
  grants = 0;
  private readonly tails = new Map<string, Promise<void>>();

  request(name: string, callback: () => Promise<void>): Promise<void> {
    const granted = (this.tails.get(name) ?? Promise.resolve()).then(() => {
      this.grants++;
      return callback();
    });
    this.tails.set(
      name,
      granted.catch(() => undefined),
    );
    return granted;
  }
}

/** Channels of one origin: a message reaches every other open channel of the same name, later. */
class FakeBus {
  private readonly open = new Set<{ name: string; deliver: (data: unknown) => void }>();

  channel = (name: string): BroadcastChannelLike => {
    const listeners: Array<(event: { data: unknown }) => void> = [];
    const self = { name, deliver: (data: unknown) => listeners.forEach((l) => l({ data })) };
    this.open.add(self);
    return {
      postMessage: (message) => {
        for (const other of this.open) {
          if (other !== self && other.name === name) {
            const copy = structuredClone(message);
            queueMicrotask(() => other.deliver(copy));
          }
        }
      },
      addEventListener: (_type, listener) => listeners.push(listener),
      close: () => this.open.delete(self),
    };
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

let clock: FakeClock;
let service: FakeService;
const clients: SessionClient[] = [];

beforeEach(() => {
  clock = new FakeClock();
  service = new FakeService(clock);
});

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

function client(
  transport: 'cookie' | 'body',
  options: Partial<SessionClientOptions> = {},
): SessionClient {
  const created = createSessionClient({
    baseUrl: `${BASE}/`,
    transport,
    fetch: service.fetch,
    readCookies: service.readCookies,
    now: clock.now,
    timers: clock,
    locks: null,
    broadcast: null,
    ...options,
  });
  clients.push(created);
  return created;
}

async function signedIn(
  transport: 'cookie' | 'body',
  options: Partial<SessionClientOptions> = {},
): Promise<SessionClient> {
  const created = client(transport, options);
  await created.login({ email: 'a@example.com', password: PASSWORD });
  return created;
}

const things = (c: SessionClient, init?: RequestInit) => c.fetch('/things', init);

describe('CSRF header', () => {
  it('echoes the CSRF cookie on unsafe methods only, and always sends the cookies', async () => {
    const c = await signedIn('cookie');
    expect(service.last('POST', '/auth/login').headers.get('X-Auth-Transport')).toBe('cookie');

    for (const method of ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      const response = await things(c, { method });
      expect(response.status).toBe(200);
      const sent = service.last(method, '/things');
      expect(sent.credentials).toBe('include');
      expect(sent.headers.get('X-CSRF-Token')).toBe(
        ['GET', 'HEAD', 'OPTIONS'].includes(method) ? null : service.jar.get(CSRF),
      );
      expect(sent.headers.get('Authorization')).toBeNull();
    }
  });

  it('treats a lower-case method as the same method', async () => {
    const c = await signedIn('cookie');
    await things(c, { method: 'post' });
    expect(service.last('POST', '/things').headers.get('X-CSRF-Token')).toBe(service.jar.get(CSRF));
  });

  it('sends a Bearer token and no CSRF header nor cookies in body transport', async () => {
    const c = await signedIn('body');
    const response = await things(c, { method: 'POST' });
    expect(response.status).toBe(200);
    const sent = service.last('POST', '/things');
    expect(sent.headers.get('Authorization')).toMatch(/^Bearer at-\d+$/);
    expect(sent.headers.get('X-CSRF-Token')).toBeNull();
    expect(sent.credentials).toBe('omit');
  });

  it('reads one cookie out of document.cookie text', () => {
    expect(readCookie('a=1; __Host-csrf_token=x%2By; b=2', CSRF)).toBe('x+y');
    expect(readCookie('__Host-csrf_token_old=1', CSRF)).toBeNull();
    expect(readCookie('', CSRF)).toBeNull();
  });
});

describe('401 access_token_expired', () => {
  it.each(['body', 'cookie'] as const)(
    'refreshes once and retries the request once (%s transport)',
    async (transport) => {
      const c = await signedIn(transport);
      service.expireAccessTokens();

      const response = await things(c);

      expect(response.status).toBe(200);
      expect(service.count('POST', '/auth/refresh')).toBe(1);
      expect(service.count('GET', '/things')).toBe(2);
    },
  );

  it('retries with the new access token', async () => {
    const c = client('body');
    const tokens = await c.login({ email: 'a@example.com', password: PASSWORD });
    service.expireAccessTokens();

    await things(c);

    const [before, after] = service.requests.filter((r) => r.path === '/things');
    expect(before!.headers.get('Authorization')).toBe(`Bearer ${tokens.accessToken}`);
    expect(after!.headers.get('Authorization')).toMatch(/^Bearer at-\d+$/);
    expect(after!.headers.get('Authorization')).not.toBe(`Bearer ${tokens.accessToken}`);
  });

  it('never loops: a retry answered 401 again is handed back as it is', async () => {
    const c = await signedIn('body');
    service.alwaysExpired = true;

    const response = await things(c);

    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe('access_token_expired');
    expect(service.count('POST', '/auth/refresh')).toBe(1);
    expect(service.count('GET', '/things')).toBe(2);
  });

  it('cookie transport: an access cookie the browser dropped at expiry also refreshes', async () => {
    const c = await signedIn('cookie');
    service.jar.delete(ACCESS);

    const response = await things(c);

    expect(response.status).toBe(200);
    expect(service.count('POST', '/auth/refresh')).toBe(1);
    expect(service.last('POST', '/auth/refresh').headers.get('X-CSRF-Token')).toBe(
      service.jar.get(CSRF),
    );
  });

  it('refreshes before sending when its own clock says the token has expired', async () => {
    const c = await signedIn('body');
    clock.jump(900_000);

    const response = await things(c);

    expect(response.status).toBe(200);
    expect(service.count('POST', '/auth/refresh')).toBe(1);
    expect(service.count('GET', '/things')).toBe(1);
  });

  it('does not refresh for other 401 codes, nor without a session', async () => {
    const c = await signedIn('body');
    const response = await c.fetch('/forbidden-token');
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe('access_token_invalid');

    const anonymous = await things(client('body'));
    expect(anonymous.status).toBe(401);
    expect(service.count('POST', '/auth/refresh')).toBe(0);
  });
});

describe('one refresh at a time', () => {
  it('10 concurrent calls answered access_token_expired share one refresh', async () => {
    const c = await signedIn('body');
    service.expireAccessTokens();
    const gate = deferred();
    service.refreshGate = gate.promise;

    const calls = Array.from({ length: 10 }, () => things(c));
    await settle();
    expect(service.count('POST', '/auth/refresh')).toBe(1);
    gate.resolve();
    const responses = await Promise.all(calls);

    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(service.count('POST', '/auth/refresh')).toBe(1);
    expect(service.count('GET', '/things')).toBe(20);
  });

  it('10 concurrent calls after the token expired on the client share one refresh', async () => {
    const c = await signedIn('cookie');
    clock.jump(901_000);

    const responses = await Promise.all(Array.from({ length: 10 }, () => things(c)));

    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(service.count('POST', '/auth/refresh')).toBe(1);
    expect(service.count('GET', '/things')).toBe(10);
  });

  it('a 401 that arrives after a refresh finished retries without refreshing again', async () => {
    const c = await signedIn('body');
    const gate = deferred();
    service.slowGate = gate.promise;
    // Sent with the old token; its 401 comes back only after another call's refresh ended.
    const slow = c.fetch('/slow');
    await settle();
    service.expireAccessTokens();
    expect((await things(c)).status).toBe(200);
    expect(service.count('POST', '/auth/refresh')).toBe(1);
    gate.resolve();

    expect((await slow).status).toBe(200);
    expect(service.count('GET', '/slow')).toBe(2);
    expect(service.count('POST', '/auth/refresh')).toBe(1);
  });
});

describe('session ended', () => {
  it.each([
    'refresh_token_reused',
    'session_revoked',
    'session_expired',
    'refresh_token_expired',
    'refresh_token_missing',
    'refresh_token_invalid',
  ])('a refresh answered 401 %s ends the session', async (code) => {
    const fromOption = jest.fn();
    const subscribed = jest.fn();
    const c = await signedIn('body', { onSessionEnded: fromOption });
    c.onSessionEnded(subscribed);
    service.expireAccessTokens();
    service.refreshScript.push({ status: 401, code });

    const results = await Promise.allSettled([things(c), things(c), c.me()]);

    for (const result of results) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as SessionEndedError;
      expect(reason).toBeInstanceOf(SessionEndedError);
      expect(reason.code).toBe(code);
    }
    expect(fromOption).toHaveBeenCalledTimes(1);
    expect(fromOption).toHaveBeenCalledWith(code);
    expect(subscribed).toHaveBeenCalledTimes(1);
    expect(service.count('POST', '/auth/refresh')).toBe(1);

    // State cleared: no token sent, no refresh tried, no refresh-ahead left.
    const after = await things(c);
    expect(after.status).toBe(401);
    expect(service.last('GET', '/things').headers.get('Authorization')).toBeNull();
    await clock.advance(3_600_000);
    expect(service.count('POST', '/auth/refresh')).toBe(1);
    await expect(c.refresh()).rejects.toBeInstanceOf(SessionEndedError);
    expect(fromOption).toHaveBeenCalledTimes(1);
  });

  it('a call answered 401 session_revoked ends the session without a refresh', async () => {
    const ended = jest.fn();
    const c = await signedIn('cookie', { onSessionEnded: ended });
    service.revokeEverySession();

    await expect(things(c)).rejects.toEqual(new SessionEndedError('session_revoked'));

    expect(ended).toHaveBeenCalledWith('session_revoked');
    expect(ended).toHaveBeenCalledTimes(1);
    expect(service.count('POST', '/auth/refresh')).toBe(0);
  });

  it('an unsubscribed listener hears nothing', async () => {
    const ended = jest.fn();
    const c = await signedIn('body');
    const unsubscribe = c.onSessionEnded(ended);
    unsubscribe();
    service.revokeEverySession();

    await expect(things(c)).rejects.toBeInstanceOf(SessionEndedError);
    expect(ended).not.toHaveBeenCalled();
  });

  it('a page load with no session rejects the call but announces no ended session', async () => {
    const ended = jest.fn();
    const c = client('cookie', { onSessionEnded: ended });

    await expect(c.me()).rejects.toEqual(new SessionEndedError('refresh_token_missing'));

    expect(service.count('POST', '/auth/refresh')).toBe(1);
    expect(ended).not.toHaveBeenCalled();
  });

  it('logout revokes the session, clears state and tells the listeners', async () => {
    const ended = jest.fn();
    const c = client('body', { onSessionEnded: ended });
    const tokens = await c.login({ email: 'a@example.com', password: PASSWORD });

    await c.logout();

    expect(service.last('POST', '/auth/logout').body).toEqual({
      refreshToken: tokens.refreshToken,
    });
    expect(ended).toHaveBeenCalledWith('logged_out');
    await clock.advance(3_600_000);
    expect(service.count('POST', '/auth/refresh')).toBe(0);
    expect((await things(c)).status).toBe(401);
    expect(service.last('GET', '/things').headers.get('Authorization')).toBeNull();
  });

  it('logoutAll ends this session too', async () => {
    const ended = jest.fn();
    const c = await signedIn('cookie', { onSessionEnded: ended });

    await c.logoutAll();

    expect(service.last('POST', '/auth/logout-all').headers.get('X-CSRF-Token')).toBe('csrf-sid-1');
    expect(ended).toHaveBeenCalledWith('logged_out');
    expect(service.jar.size).toBe(0);
  });
});

describe('service unavailable', () => {
  it('a refresh answered 503 is retried with backoff, then rejects; the session is kept', async () => {
    const ended = jest.fn();
    const c = await signedIn('body', { onSessionEnded: ended });
    service.expireAccessTokens();
    service.refreshScript.push(...Array(4).fill({ status: 503, code: 'service_unavailable' }));

    const call = things(c);
    const outcome = call.catch((error: unknown) => error);
    await clock.advance(0);
    expect(service.count('POST', '/auth/refresh')).toBe(1);
    await clock.advance(499);
    expect(service.count('POST', '/auth/refresh')).toBe(1);
    await clock.advance(1);
    expect(service.count('POST', '/auth/refresh')).toBe(2);
    await clock.advance(999);
    expect(service.count('POST', '/auth/refresh')).toBe(2);
    await clock.advance(1);
    expect(service.count('POST', '/auth/refresh')).toBe(3);
    await clock.advance(2000);
    expect(service.count('POST', '/auth/refresh')).toBe(4);

    const error = await outcome;
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).status).toBe(503);
    expect(ended).not.toHaveBeenCalled();

    // The service is back: the same refresh token still works.
    const presented = service.last('POST', '/auth/refresh').body;
    const response = await things(c);
    expect(response.status).toBe(200);
    expect(service.count('POST', '/auth/refresh')).toBe(5);
    expect(service.last('POST', '/auth/refresh').body).toEqual(presented);
  });

  it('a network error on refresh is retried the same way and keeps the cookie session', async () => {
    const ended = jest.fn();
    const c = await signedIn('cookie', { onSessionEnded: ended, refreshRetryDelaysMs: [10, 20] });
    service.expireAccessTokens();
    service.refreshScript.push('network', 'network', 'network');

    const outcome = things(c).catch((error: unknown) => error);
    await clock.advance(30);

    const error = await outcome;
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).status).toBeNull();
    expect(service.count('POST', '/auth/refresh')).toBe(3);
    expect(ended).not.toHaveBeenCalled();

    expect((await things(c)).status).toBe(200);
  });

  it('a refresh that succeeds on a retry lets the call through', async () => {
    const c = await signedIn('body');
    service.expireAccessTokens();
    service.refreshScript.push({ status: 503, code: 'service_unavailable' }, 'network');

    const call = things(c);
    await clock.advance(1500);

    expect((await call).status).toBe(200);
    expect(service.count('POST', '/auth/refresh')).toBe(3);
  });

  it('a network error on a call is a ServiceUnavailableError, not an ended session', async () => {
    const ended = jest.fn();
    const failing = jest.fn(async () => {
      throw new TypeError('fetch failed');
    });
    const c = await signedIn('body', { onSessionEnded: ended });
    const broken = createSessionClient({ baseUrl: BASE, transport: 'body', fetch: failing });

    await expect(broken.fetch('/things')).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(failing).toHaveBeenCalledTimes(1);
    expect((await things(c)).status).toBe(200);
    expect(ended).not.toHaveBeenCalled();
  });
});

describe('refresh ahead of expiry', () => {
  it('refreshes 30 s before a 15-minute token expires, and again for the next one', async () => {
    await signedIn('body');

    await clock.advance(869_999);
    expect(service.count('POST', '/auth/refresh')).toBe(0);
    await clock.advance(1);
    expect(service.count('POST', '/auth/refresh')).toBe(1);
    await clock.advance(870_000);
    expect(service.count('POST', '/auth/refresh')).toBe(2);
  });

  it('refreshes 10% of the lifetime ahead when that is less than refreshAheadMs', async () => {
    service.accessTtlSeconds = 60;
    await signedIn('cookie');

    await clock.advance(53_999);
    expect(service.count('POST', '/auth/refresh')).toBe(0);
    await clock.advance(1);
    expect(service.count('POST', '/auth/refresh')).toBe(1);
  });

  it('keeps a session alive over many lifetimes with no calls', async () => {
    service.accessTtlSeconds = 60;
    const c = await signedIn('body');

    await clock.advance(10 * 60_000);

    expect(service.count('POST', '/auth/refresh')).toBe(11);
    expect((await things(c)).status).toBe(200);
    expect(service.count('GET', '/things')).toBe(1);
  });

  it('schedules nothing while there is no session', async () => {
    const c = client('body');
    await things(c);
    expect(clock.timers).toBe(0);

    await c.login({ email: 'a@example.com', password: PASSWORD });
    expect(clock.timers).toBe(1);
    await c.logout();
    expect(clock.timers).toBe(0);
  });

  it('learns the expiry from me() after a page load, then refreshes ahead', async () => {
    const before = await signedIn('cookie');
    before.close();
    const afterReload = client('cookie');

    const me = await afterReload.me();

    expect(me.sessionId).toBe('sid-1');
    await clock.advance(870_000);
    expect(service.count('POST', '/auth/refresh')).toBe(1);
  });
});

describe('across tabs', () => {
  function tabs(options: Partial<SessionClientOptions> = {}) {
    const bus = new FakeBus();
    const locks = new FakeLocks();
    const endedA = jest.fn();
    const endedB = jest.fn();
    const shared = { locks, broadcast: bus.channel, ...options };
    const a = client('cookie', { ...shared, onSessionEnded: endedA });
    const b = client('cookie', { ...shared, onSessionEnded: endedB });
    return { a, b, locks, endedA, endedB };
  }

  it('two tabs needing a refresh at once make one network refresh (Web Locks)', async () => {
    const { a, b, locks } = tabs();
    await a.login({ email: 'a@example.com', password: PASSWORD });
    await settle();
    service.expireAccessTokens();

    const [ra, rb] = await Promise.all([things(a), things(b)]);

    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(service.count('POST', '/auth/refresh')).toBe(1);
    // Both went through the lock; the second found the first one's refresh and skipped its own.
    expect(locks.grants).toBe(2);
  });

  it("both tabs' refresh-ahead timers fire together and make one refresh", async () => {
    const { a } = tabs();
    await a.login({ email: 'a@example.com', password: PASSWORD });

    await clock.advance(870_000);

    expect(service.count('POST', '/auth/refresh')).toBe(1);
    expect(clock.timers).toBe(2);
    await clock.advance(870_000);
    expect(service.count('POST', '/auth/refresh')).toBe(2);
  });

  it('without Web Locks, a tab waits for the refresh another tab announced', async () => {
    const { a, b } = tabs({ locks: null });
    await a.login({ email: 'a@example.com', password: PASSWORD });
    await settle();
    service.expireAccessTokens();
    const gate = deferred();
    service.refreshGate = gate.promise;

    const fromA = things(a);
    await settle();
    const fromB = things(b);
    await settle();
    gate.resolve();

    expect((await fromA).status).toBe(200);
    expect((await fromB).status).toBe(200);
    expect(service.count('POST', '/auth/refresh')).toBe(1);
  });

  it("an ended session reaches the other tab's listeners", async () => {
    const { a, b, endedA, endedB } = tabs();
    await a.login({ email: 'a@example.com', password: PASSWORD });
    await settle();
    service.expireAccessTokens();
    service.refreshScript.push({ status: 401, code: 'refresh_token_reused' });

    await expect(things(a)).rejects.toEqual(new SessionEndedError('refresh_token_reused'));
    await settle();

    expect(endedA).toHaveBeenCalledTimes(1);
    expect(endedB).toHaveBeenCalledTimes(1);
    expect(endedB).toHaveBeenCalledWith('refresh_token_reused');
    // Neither tab keeps a refresh-ahead timer for the dead session.
    expect(clock.timers).toBe(0);
    expect((await things(b)).status).toBe(401);
    expect(service.count('POST', '/auth/refresh')).toBe(1);
  });

  it('signing out in one tab ends the session in the other', async () => {
    const { a, b, endedB } = tabs();
    await a.login({ email: 'a@example.com', password: PASSWORD });
    await settle();

    await a.logout();
    await settle();

    expect(endedB).toHaveBeenCalledWith('logged_out');
    await expect(b.me()).rejects.toBeInstanceOf(ApiError);
  });
});

describe('errors and token custody', () => {
  it('surfaces API errors as ApiError with status, code, message and errors', async () => {
    const c = client('cookie');

    const wrong = await c.login({ email: 'a@example.com', password: 'nope-nope' }).catch((e) => e);
    expect(wrong).toBeInstanceOf(ApiError);
    expect(wrong).toMatchObject({ status: 401, code: 'invalid_credentials', message: 'Wrong' });

    const invalid = await c.register({ email: 'a@example.com', password: 'short' }).catch((e) => e);
    expect(invalid).toMatchObject({
      status: 400,
      code: 'validation_failed',
      errors: [{ field: 'password' }],
    });

    await c.login({ email: 'a@example.com', password: PASSWORD });
    await expect(c.request('/missing')).rejects.toMatchObject({ status: 404, code: 'not_found' });
    expect(service.count('POST', '/auth/refresh')).toBe(0);
  });

  it('request() sends and parses JSON', async () => {
    const c = await signedIn('body');
    const answer = await c.request<{ method: string }>('/things', {
      method: 'PUT',
      body: { a: 1 },
    });
    expect(answer.method).toBe('PUT');
    const sent = service.last('PUT', '/things');
    expect(sent.body).toEqual({ a: 1 });
    expect(sent.headers.get('Content-Type')).toBe('application/json');
  });

  it('never writes to localStorage or sessionStorage', async () => {
    const writes: string[] = [];
    const storage = {
      setItem: (name: string) => writes.push(name),
      getItem: () => null,
      removeItem: () => undefined,
    };
    Object.assign(globalThis, { localStorage: storage, sessionStorage: storage });
    try {
      for (const transport of ['body', 'cookie'] as const) {
        const c = await signedIn(transport);
        service.expireAccessTokens();
        await things(c);
        await clock.advance(900_000);
        await c.logout();
      }
      expect(service.count('POST', '/auth/refresh')).toBe(4);
      expect(writes).toEqual([]);
    } finally {
      Reflect.deleteProperty(globalThis, 'localStorage');
      Reflect.deleteProperty(globalThis, 'sessionStorage');
    }
  });

  it('refuses anything but a path, so a token never goes to another origin', async () => {
    const c = await signedIn('body');
    const sent = service.requests.length;

    await expect(c.fetch('https://evil.example/steal')).rejects.toBeInstanceOf(TypeError);
    await expect(c.fetch('//evil.example/steal')).rejects.toBeInstanceOf(TypeError);
    expect(service.requests.length).toBe(sent);
  });
});

describe('recent authentication', () => {
  for (const transport of ['body', 'cookie'] as const) {
    it(`${transport} transport: a stale sign-in is asked to reauthenticate, then deletes the account`, async () => {
      const c = await signedIn(transport);
      const ended: string[] = [];
      c.onSessionEnded((code) => ended.push(code));
      clock.jump(301_000);

      const refused = await c.deleteAccount().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ReauthenticationRequiredError);
      expect(refused).toBeInstanceOf(ApiError);
      expect(refused).toMatchObject({
        name: 'ReauthenticationRequiredError',
        status: 401,
        code: 'reauthentication_required',
        maxAge: 300,
      });
      // Refusing the step-up ends nothing, and asks for no refresh.
      expect(ended).toEqual([]);
      expect(service.count('POST', '/auth/refresh')).toBe(0);

      await expect(c.reauthenticate('wrong password')).rejects.toMatchObject({
        status: 403,
        code: 'invalid_credentials',
      });
      const proved = await c.reauthenticate(PASSWORD);
      expect(proved.authTime).toBe(new Date(clock.now()).toISOString());
      const sent = service.last('POST', '/auth/reauthenticate');
      expect(sent.body).toEqual({ password: PASSWORD });
      if (transport === 'cookie') {
        expect(proved.accessToken).toBeUndefined();
        expect(sent.headers.get('X-CSRF-Token')).toBe(service.jar.get(CSRF));
      }

      await c.deleteAccount();
      const deleted = service.last('DELETE', '/users/me');
      // The new access token went with the retry: the one the reauthentication answered.
      if (transport === 'body') {
        expect(deleted.headers.get('Authorization')).toBe(`Bearer ${proved.accessToken}`);
      } else {
        expect(deleted.credentials).toBe('include');
      }
      expect(service.deletedSessions.size).toBe(1);
      expect(ended).toEqual(['account_deleted']);
      await expect(c.refresh()).rejects.toBeInstanceOf(SessionEndedError);
    });
  }

  it('the body transport keeps its refresh token through a reauthentication', async () => {
    const c = await signedIn('body');
    await c.reauthenticate(PASSWORD);
    await c.refresh();
    expect(service.last('POST', '/auth/refresh').body?.refreshToken).toMatch(/^rt-/);
  });

  it('reads max_age from the challenge wherever it sits, and nothing from another', () => {
    expect(
      maxAgeOf(
        'Bearer error="insufficient_user_authentication", error_description="a, b=\\"c\\"", max_age=300',
      ),
    ).toBe(300);
    expect(maxAgeOf('bearer max_age="60", error="insufficient_user_authentication"')).toBe(60);
    expect(maxAgeOf('Bearer error="invalid_token"')).toBeNull();
    expect(maxAgeOf('Basic realm="x", max_age=5')).toBeNull();
    expect(maxAgeOf('Bearer max_age=soon')).toBeNull();
    expect(maxAgeOf(null)).toBeNull();
  });
});
