/**
 * Browser and Node client for the session service (see the contract in API.md).
 *
 * One file with no imports and no dependencies, so that a page can load its compiled output as an
 * ES module as it is, and Node can use it with its global fetch.
 */

// ---------------------------------------------------------------------------------------------
// The contract's shapes

export type AuthTransport = 'cookie' | 'body';

export interface User {
  id: string;
  email: string;
  displayName: string | null;
  roles: string[];
  createdAt: string;
}

/** Answer of register, login and refresh. `accessToken`/`refreshToken` are absent in cookie transport. */
export interface TokenResponse {
  tokenType: 'Bearer';
  accessToken?: string;
  expiresIn: number;
  accessTokenExpiresAt: string;
  refreshToken?: string;
  refreshTokenExpiresAt: string;
  sessionId: string;
  user: User;
}

/** `POST /auth/reauthenticate`: a fresh access token (absent in cookie transport) and its auth time. */
export interface ReauthenticateResponse {
  tokenType: 'Bearer';
  accessToken?: string;
  expiresIn: number;
  accessTokenExpiresAt: string;
  authTime: string;
}

/** `GET /auth/me`: what the access token says; `expiresAt` is the access token's expiry. */
export interface CurrentUser {
  id: string;
  roles: string[];
  sessionId: string;
  expiresAt: string;
}

export interface Session {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  absoluteExpiresAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
  /** A readable label of the browser and system, such as "Chrome on macOS"; null when unknown. */
  device: string | null;
  /** False for a session begun with `rememberMe: false`: it ends with the browser. */
  persistent: boolean;
}

export interface RegisterRequest {
  email: string;
  password: string;
  displayName?: string;
  /** false: the session ends with the browser (and within SHORT_SESSION_MAX_AGE); default true. */
  rememberMe?: boolean;
}

export interface LoginRequest {
  email: string;
  password: string;
  /** false: the session ends with the browser (and within SHORT_SESSION_MAX_AGE); default true. */
  rememberMe?: boolean;
}

export interface ApiErrorBody {
  statusCode: number;
  code: string;
  message: string;
  errors?: unknown[];
}

/**
 * Why a session ended: a 401 code of `POST /auth/refresh` (or `session_revoked` on any call), or
 * `logged_out` when this client (or another tab) signed out.
 */
export type SessionEndedCode =
  | 'refresh_token_missing'
  | 'refresh_token_invalid'
  | 'refresh_token_expired'
  | 'refresh_token_reused'
  | 'session_revoked'
  | 'session_expired'
  | 'logged_out'
  | 'account_deleted'
  | (string & {});

// ---------------------------------------------------------------------------------------------
// Errors: three kinds, so that an app can tell "sign in again" from "try again later"

/** The service answered with an error (the contract's JSON error body). */
export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: unknown[],
  ) {
    super(message);
  }
}

/**
 * The route needs a recent sign-in (401 `reauthentication_required`): ask the user for the password,
 * call `reauthenticate(password)`, then retry. `maxAge` is how recent, in seconds, as the service's
 * `WWW-Authenticate` challenge says (RFC 9470's `max_age`); null if the header could not be read
 * (a cross-origin app whose CORS settings do not expose it).
 */
export class ReauthenticationRequiredError extends ApiError {
  override readonly name = 'ReauthenticationRequiredError';
  constructor(
    message: string,
    readonly maxAge: number | null,
  ) {
    super(401, 'reauthentication_required', message);
  }
}

/** The session is over; the user has to sign in again. */
export class SessionEndedError extends Error {
  override readonly name = 'SessionEndedError';
  constructor(readonly code: SessionEndedCode) {
    super(`The session has ended (${code})`);
  }
}

/** The service could not be reached or answered 503. The session, if any, is kept. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
  readonly code = 'service_unavailable';
  constructor(
    /** The HTTP status, or null when no answer came (network error). */
    readonly status: number | null,
    options?: { cause?: unknown },
  ) {
    super('The session service is unavailable; try again later', options);
  }
}

// ---------------------------------------------------------------------------------------------
// What can be injected

/** The part of `navigator.locks` the client uses. */
export interface LockManagerLike {
  request(name: string, callback: () => Promise<void>): Promise<void>;
}

/** The part of `BroadcastChannel` the client uses. */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SessionClientOptions {
  /** The service's origin (and path prefix, if any), e.g. `https://auth.example.com`. */
  baseUrl: string;
  /** `cookie` for browser apps (httpOnly cookies), `body` for Node and native clients. */
  transport: AuthTransport;
  fetch?: typeof fetch;
  /** Names the cross-tab lock and channel, so that two apps on one origin do not share them. */
  storageKey?: string;
  onSessionEnded?: (code: SessionEndedCode) => void;
  /** Web Locks; default `navigator.locks` when present. `null` turns them off. Cookie transport only. */
  locks?: LockManagerLike | null;
  /** Opens a channel; default `new BroadcastChannel(name)`. `null` turns it off. Cookie transport only. */
  broadcast?: ((name: string) => BroadcastChannelLike) | null;
  /** Returns `document.cookie`-like text; only the readable CSRF cookie is taken from it. */
  readCookies?: () => string;
  now?: () => number;
  timers?: Timers;
  /** How long before the access token expires to refresh it: at most this, and at most 10% of its lifetime. Default 30 s. */
  refreshAheadMs?: number;
  /** Waits between refresh attempts that failed for a passing cause (503, network). Default 0.5 s, 1 s, 2 s. */
  refreshRetryDelaysMs?: readonly number[];
  /** Without Web Locks, how long to wait for another tab that announced a refresh. Default 10 s. */
  peerRefreshWaitMs?: number;
}

export interface RequestOptions {
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  headers?: HeadersInit;
  signal?: AbortSignal;
}

export interface SessionClient {
  /**
   * `fetch` on a path of the service, authenticated, refreshing the session when needed.
   * Resolves with the Response whatever its status; rejects with `SessionEndedError` when the
   * session is over and `ServiceUnavailableError` when the service cannot be reached.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Like `fetch`, with a JSON body and answer; a status other than 2xx rejects with `ApiError`. */
  request<T>(path: string, options?: RequestOptions): Promise<T>;
  register(body: RegisterRequest): Promise<TokenResponse>;
  login(body: LoginRequest): Promise<TokenResponse>;
  logout(): Promise<void>;
  logoutAll(): Promise<void>;
  me(): Promise<CurrentUser>;
  /**
   * Proves the password again for this session, for routes that need a recent sign-in (after a
   * `ReauthenticationRequiredError`). A wrong password rejects with `ApiError` 403
   * `invalid_credentials`, and counts toward the account's lockout (429 `too_many_requests`).
   */
  reauthenticate(password: string): Promise<ReauthenticateResponse>;
  /**
   * Deletes the account (`DELETE /users/me`) and ends the session (`account_deleted`). Rejects with
   * `ReauthenticationRequiredError` when the sign-in is not recent enough.
   */
  deleteAccount(): Promise<void>;
  refresh(): Promise<void>;
  onSessionEnded(listener: (code: SessionEndedCode) => void): () => void;
  /** Stops background work: the refresh-ahead timer and the cross-tab channel. */
  close(): void;
}

// ---------------------------------------------------------------------------------------------

const CSRF_COOKIE = '__Host-csrf_token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const DEFAULT_RETRY_DELAYS_MS = [500, 1000, 2000] as const;

/**
 * `unknown` is the cookie transport's start: after a page load the cookie jar may hold a session
 * this page has not seen yet, so the first 401 is worth a refresh.
 */
type SessionState = 'none' | 'unknown' | 'active';

type PeerMessage =
  | { type: 'refreshing' }
  | { type: 'refreshed'; accessExpiresAt: number; lifetimeMs: number }
  | { type: 'ended'; code: string };

export function createSessionClient(options: SessionClientOptions): SessionClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const cookieMode = options.transport === 'cookie';
  // A browser's fetch throws "Illegal invocation" when called detached from window.
  const fetchImpl: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const now = options.now ?? (() => Date.now());
  const timers = options.timers ?? defaultTimers();
  const readCookies = options.readCookies ?? defaultCookieReader;
  const refreshAheadMs = options.refreshAheadMs ?? 30_000;
  const retryDelays = options.refreshRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const peerWaitMs = options.peerRefreshWaitMs ?? 10_000;
  const key = options.storageKey ?? 'session-service';
  // In body transport every instance holds its own session: there is nothing to share.
  const locks = cookieMode ? resolveLocks(options.locks) : null;
  const channel = cookieMode ? openChannel(options.broadcast, key) : null;

  let state: SessionState = cookieMode ? 'unknown' : 'none';
  let accessToken: string | null = null;
  let refreshToken: string | null = null;
  let accessExpiresAt: number | null = null;
  let lifetimeMs: number | null = null;
  /** Moves whenever fresh tokens exist, ours or another tab's: a caller that saw an older value need not refresh. */
  let generation = 0;
  /** Moves when a session ends or a new one starts, so that a refresh begun before cannot revive the old one. */
  let epoch = 0;
  let lastEndedCode: SessionEndedCode = 'refresh_token_missing';
  let inflight: Promise<void> | null = null;
  let aheadTimer: unknown = null;
  let peerRefreshUntil = 0;
  let peerWaiters: Array<() => void> = [];
  let closed = false;
  const listeners = new Set<(code: SessionEndedCode) => void>();
  if (options.onSessionEnded) listeners.add(options.onSessionEnded);

  channel?.addEventListener('message', (event) => onPeerMessage(event.data));

  function urlOf(path: string): string {
    // Only paths: a bearer token must never ride along to another origin.
    if (!path.startsWith('/') || path.startsWith('//')) {
      throw new TypeError(`Expected a path of the service such as "/auth/me", got "${path}"`);
    }
    return baseUrl + path;
  }

  async function send(path: string, init: RequestInit, withBearer: boolean): Promise<Response> {
    const url = urlOf(path);
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    if (cookieMode) {
      const csrf = readCookie(readCookies(), CSRF_COOKIE);
      if (csrf !== null && !SAFE_METHODS.has(method)) headers.set('X-CSRF-Token', csrf);
    } else if (withBearer && accessToken !== null) {
      headers.set('Authorization', `Bearer ${accessToken}`);
    }
    try {
      return await fetchImpl(url, {
        ...init,
        method,
        headers,
        // In body transport, ambient cookies would make the service treat the call as a cookie one.
        credentials: cookieMode ? 'include' : 'omit',
      });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ServiceUnavailableError(null, { cause: error });
    }
  }

  async function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
    if (state === 'active' && accessExpiresAt !== null && now() >= accessExpiresAt) {
      await ensureFresh(generation);
    }
    const seen = generation;
    let response = await send(path, init, true);
    if (response.status !== 401) return response;
    let code = await errorCodeOf(response);
    if (refreshes(code)) {
      await ensureFresh(seen);
      response = await send(path, init, true);
      if (response.status !== 401) return response;
      code = await errorCodeOf(response);
    }
    if (code === 'session_revoked') throw endSession(code);
    return response;
  }

  function refreshes(code: string | null): boolean {
    if (state === 'none') return false;
    // The access cookie's Max-Age is the token's lifetime: once expired, the browser drops it.
    return code === 'access_token_expired' || (cookieMode && code === 'access_token_missing');
  }

  async function ensureFresh(seen: number): Promise<void> {
    if (generation === seen) await refreshOnce();
    if (state === 'none') throw new SessionEndedError(lastEndedCode);
  }

  function refreshOnce(): Promise<void> {
    inflight ??= coordinatedRefresh(generation, epoch).finally(() => {
      inflight = null;
    });
    return inflight;
  }

  async function coordinatedRefresh(seen: number, startEpoch: number): Promise<void> {
    const stillNeeded = () => generation === seen && epoch === startEpoch;
    const run = async () => {
      if (stillNeeded()) await refreshOverNetwork(startEpoch);
    };
    if (locks) return locks.request(`${key}:refresh`, run);
    if (channel) {
      await waitForPeerRefresh();
      // Two tabs can still start together here; the service's grace window gives both one successor.
      if (stillNeeded()) post({ type: 'refreshing' });
    }
    return run();
  }

  async function refreshOverNetwork(startEpoch: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let failure: unknown;
      try {
        const response = await send(
          '/auth/refresh',
          {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(cookieMode ? {} : { refreshToken }),
          },
          false,
        );
        if (response.ok) {
          const tokens = (await response.json()) as TokenResponse;
          if (epoch === startEpoch) adopt(tokens);
          return;
        }
        if (response.status === 401) throw endSession((await errorCodeOf(response)) ?? 'unknown');
        if (!isPassing(response.status)) throw await errorOf(response);
        failure = new ServiceUnavailableError(response.status);
      } catch (error) {
        if (!(error instanceof ServiceUnavailableError)) throw error;
        failure = error;
      }
      if (attempt >= retryDelays.length) throw failure;
      await sleep(retryDelays[attempt]!);
      if (epoch !== startEpoch) throw new SessionEndedError(lastEndedCode);
    }
  }

  /** Fresh tokens: a sign-in's or a refresh's, or a reauthentication's access token alone. */
  function adopt(
    tokens: Pick<TokenResponse, 'accessToken' | 'expiresIn' | 'accessTokenExpiresAt'> &
      Partial<Pick<TokenResponse, 'refreshToken'>>,
  ): void {
    state = 'active';
    if (!cookieMode) {
      accessToken = tokens.accessToken ?? null;
      if ('refreshToken' in tokens) refreshToken = tokens.refreshToken ?? null;
    }
    // Relative to our own clock: the device's clock may disagree with the service's.
    const lifetime =
      Number.isFinite(tokens.expiresIn) && tokens.expiresIn > 0
        ? tokens.expiresIn * 1000
        : Date.parse(tokens.accessTokenExpiresAt) - now();
    const expiresAt = now() + lifetime;
    generation++;
    setExpiry(expiresAt, lifetime);
    post({ type: 'refreshed', accessExpiresAt: expiresAt, lifetimeMs: lifetime });
  }

  function setExpiry(at: number, lifetime: number | null): void {
    accessExpiresAt = Number.isFinite(at) ? at : null;
    lifetimeMs = lifetime !== null && Number.isFinite(lifetime) ? lifetime : null;
    scheduleRefreshAhead();
  }

  function scheduleRefreshAhead(): void {
    cancelRefreshAhead();
    if (closed || state !== 'active' || accessExpiresAt === null) return;
    const lifetime = lifetimeMs ?? accessExpiresAt - now();
    const lead = Math.min(refreshAheadMs, lifetime * 0.1);
    const delay = Math.max(0, accessExpiresAt - lead - now());
    aheadTimer = timers.setTimeout(() => {
      aheadTimer = null;
      if (state !== 'active') return;
      // An ended session already told its listeners; an unreachable service is retried by the next call.
      refreshOnce().catch(() => undefined);
    }, delay);
    unref(aheadTimer);
  }

  function cancelRefreshAhead(): void {
    if (aheadTimer !== null) timers.clearTimeout(aheadTimer);
    aheadTimer = null;
  }

  function endSession(code: SessionEndedCode, fromPeer = false): SessionEndedError {
    // A page that never had a session gets refresh_token_missing: nothing ended, nobody to tell.
    const hadSession =
      state === 'active' || (state === 'unknown' && code !== 'refresh_token_missing');
    state = 'none';
    accessToken = null;
    refreshToken = null;
    accessExpiresAt = null;
    lifetimeMs = null;
    lastEndedCode = code;
    epoch++;
    cancelRefreshAhead();
    if (hadSession) {
      if (!fromPeer) post({ type: 'ended', code });
      for (const listener of [...listeners]) {
        try {
          listener(code);
        } catch (error) {
          // One failing listener must not keep the others from hearing of it.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    }
    return new SessionEndedError(code);
  }

  function post(message: PeerMessage): void {
    if (!closed) channel?.postMessage(message);
  }

  function onPeerMessage(data: unknown): void {
    const message = asPeerMessage(data);
    if (message === null || closed) return;
    switch (message.type) {
      case 'refreshing':
        peerRefreshUntil = now() + peerWaitMs;
        return;
      case 'refreshed':
        releasePeerWaiters();
        state = 'active';
        generation++;
        setExpiry(message.accessExpiresAt, message.lifetimeMs);
        return;
      case 'ended':
        releasePeerWaiters();
        if (state !== 'none') endSession(message.code, true);
        return;
    }
  }

  function waitForPeerRefresh(): Promise<void> {
    const remaining = peerRefreshUntil - now();
    if (remaining <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        timers.clearTimeout(timer);
        peerWaiters = peerWaiters.filter((waiter) => waiter !== done);
        resolve();
      };
      const timer = timers.setTimeout(done, remaining);
      peerWaiters.push(done);
    });
  }

  function releasePeerWaiters(): void {
    peerRefreshUntil = 0;
    for (const waiter of peerWaiters) waiter();
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => timers.setTimeout(resolve, ms));
  }

  async function request<T>(path: string, requestOptions: RequestOptions = {}): Promise<T> {
    const headers = new Headers(requestOptions.headers);
    const hasBody = requestOptions.body !== undefined;
    if (hasBody) headers.set('Content-Type', 'application/json');
    const response = await authorizedFetch(path, {
      method: requestOptions.method ?? 'GET',
      headers,
      body: hasBody ? JSON.stringify(requestOptions.body) : undefined,
      signal: requestOptions.signal,
    });
    if (!response.ok) throw await errorOf(response);
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  async function signIn(
    path: string,
    body: RegisterRequest | LoginRequest,
  ): Promise<TokenResponse> {
    const response = await send(
      path,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Auth-Transport': options.transport },
        body: JSON.stringify(body),
      },
      false,
    );
    if (!response.ok) throw await errorOf(response);
    const tokens = (await response.json()) as TokenResponse;
    epoch++;
    adopt(tokens);
    return tokens;
  }

  return {
    fetch: authorizedFetch,
    request,
    register: (body) => signIn('/auth/register', body),
    login: (body) => signIn('/auth/login', body),

    async logout() {
      if (!cookieMode && refreshToken === null && accessToken === null) return;
      const response = await send(
        '/auth/logout',
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(cookieMode ? {} : { refreshToken }),
        },
        true,
      );
      // 401: the session was already over, which is what logging out asks for.
      if (!response.ok && response.status !== 401) throw await errorOf(response);
      endSession('logged_out');
    },

    async logoutAll() {
      await request<void>('/auth/logout-all', { method: 'POST' });
      endSession('logged_out');
    },

    async me() {
      const me = await request<CurrentUser>('/auth/me');
      // A page loaded with a live cookie session learns its expiry here, and from then refreshes ahead.
      if (state !== 'active' || accessExpiresAt === null) {
        state = 'active';
        setExpiry(Date.parse(me.expiresAt), lifetimeMs);
      }
      return me;
    },

    async reauthenticate(password) {
      const proved = await request<ReauthenticateResponse>('/auth/reauthenticate', {
        method: 'POST',
        body: { password },
      });
      adopt(proved);
      return proved;
    },

    async deleteAccount() {
      await request<void>('/users/me', { method: 'DELETE' });
      endSession('account_deleted');
    },

    async refresh() {
      if (!cookieMode && refreshToken === null) throw new SessionEndedError(lastEndedCode);
      await refreshOnce();
      if (state === 'none') throw new SessionEndedError(lastEndedCode);
    },

    onSessionEnded(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    close() {
      closed = true;
      cancelRefreshAhead();
      releasePeerWaiters();
      channel?.close();
      listeners.clear();
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** The value of one cookie in `document.cookie`-like text, or null. */
export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return null;
}

async function errorCodeOf(response: Response): Promise<string | null> {
  // A clone, so that the caller still gets a readable Response.
  const body = await response
    .clone()
    .json()
    .catch(() => null);
  return isRecord(body) && typeof body.code === 'string' ? body.code : null;
}

async function errorOf(response: Response): Promise<Error> {
  if (response.status === 503) return new ServiceUnavailableError(503);
  const body: unknown = await response.json().catch(() => null);
  const fields = isRecord(body) ? body : {};
  if (response.status === 401 && fields.code === 'reauthentication_required') {
    return new ReauthenticationRequiredError(
      typeof fields.message === 'string' ? fields.message : 'A recent sign-in is required',
      maxAgeOf(response.headers.get('WWW-Authenticate')),
    );
  }
  return new ApiError(
    response.status,
    typeof fields.code === 'string' ? fields.code : `http_${response.status}`,
    typeof fields.message === 'string' ? fields.message : response.statusText,
    Array.isArray(fields.errors) ? fields.errors : undefined,
  );
}

/**
 * RFC 9470's `max_age` from a `WWW-Authenticate: Bearer error="insufficient_user_authentication",
 * …, max_age=300` challenge: the auth-params read as RFC 9110 §11.2 writes them (a token or a
 * quoted string each), or null.
 */
export function maxAgeOf(header: string | null): number | null {
  const challenge = /^\s*Bearer\s+(.*)$/i.exec(header ?? '');
  if (!challenge) return null;
  const param = /\s*([\w!#$%&'*+.^`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/gy;
  for (let match = param.exec(challenge[1]); match; match = param.exec(challenge[1])) {
    if (match[1].toLowerCase() !== 'max_age') continue;
    const value = match[2] ?? match[3];
    return /^\d+$/.test(value) ? Number(value) : null;
  }
  return null;
}

/** Statuses that say nothing about the session: try the refresh again later. */
function isPassing(status: number): boolean {
  return status === 429 || status >= 500;
}

function isAbort(error: unknown): boolean {
  return isRecord(error) && error.name === 'AbortError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function asPeerMessage(data: unknown): PeerMessage | null {
  // Any script of the origin can post on the channel: take only well-formed messages.
  if (!isRecord(data)) return null;
  if (data.type === 'refreshing') return { type: 'refreshing' };
  if (
    data.type === 'refreshed' &&
    typeof data.accessExpiresAt === 'number' &&
    typeof data.lifetimeMs === 'number'
  ) {
    return {
      type: 'refreshed',
      accessExpiresAt: data.accessExpiresAt,
      lifetimeMs: data.lifetimeMs,
    };
  }
  if (data.type === 'ended' && typeof data.code === 'string') {
    return { type: 'ended', code: data.code };
  }
  return null;
}

function resolveLocks(locks: LockManagerLike | null | undefined): LockManagerLike | null {
  if (locks !== undefined) return locks;
  return typeof navigator === 'undefined' ? null : (navigator.locks ?? null);
}

function openChannel(
  factory: ((name: string) => BroadcastChannelLike) | null | undefined,
  name: string,
): BroadcastChannelLike | null {
  if (factory === null) return null;
  if (factory !== undefined) return factory(name);
  if (typeof BroadcastChannel !== 'function') return null;
  const channel = new BroadcastChannel(name);
  unref(channel);
  return channel;
}

function defaultTimers(): Timers {
  return {
    setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
    clearTimeout: (handle) =>
      globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
  };
}

function defaultCookieReader(): string {
  return typeof document === 'undefined' ? '' : document.cookie;
}

/** In Node, background refreshes and the channel must not keep a finished script alive. */
function unref(handle: unknown): void {
  if (isRecord(handle) && typeof handle.unref === 'function') handle.unref();
}
