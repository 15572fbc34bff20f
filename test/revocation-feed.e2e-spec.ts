import request from 'supertest';
import { login, refresh, registerUser, sleep, type TokenResponse } from './factories/users';
import { createTwoInstances, type TwoInstances } from './support/app-behind-proxy';
import { openFeedStream, sidsOf } from './support/feed-stream';
import { createTestApp, type TestApp } from './support/test-app';
import { queryRows } from './support/test-database';

const FEED_TOKEN = 'feed-token-0123456789abcdef0123456789abcdef';
const OTHER_FEED_TOKEN = 'feed-token-second-0123456789abcdef01234567';
const FEED_ENV = {
  REVOCATION_FEED_TOKENS: `${FEED_TOKEN}, ${OTHER_FEED_TOKEN}`,
  REVOCATION_PROPAGATION: '1s',
};

/** A stream with the first feed token. */
function openFeed(baseUrl: string, headers: Record<string, string> = {}) {
  return openFeedStream(baseUrl, FEED_TOKEN, headers);
}

function poll(baseUrl: string, after?: string, token = FEED_TOKEN) {
  const query = after === undefined ? '' : `?after=${after}`;
  return request(baseUrl)
    .get(`/auth/revocations${query}`)
    .set('Authorization', `Bearer ${token}`)
    .expect('Cache-Control', 'no-store');
}

interface FeedPage {
  events: Array<Record<string, string>>;
  cursor: string;
}

/**
 * Polls until the page lists `sessionId`: an instance's feed has its revocations within
 * REVOCATION_PROPAGATION, its own ones included (it reads them from the log on the notification).
 */
async function pollFor(baseUrl: string, sessionId: string, after?: string): Promise<FeedPage> {
  const deadline = Date.now() + 1_000;
  for (;;) {
    const page = (await poll(baseUrl, after).expect(200)).body as FeedPage;
    if (page.events.some((event) => event.sid === sessionId)) return page;
    if (Date.now() > deadline) throw new Error(`${sessionId} is not in the feed after 1 s`);
    await sleep(20);
  }
}

function logout(baseUrl: string, tokens: TokenResponse) {
  return request(baseUrl)
    .post('/auth/logout')
    .set('Authorization', `Bearer ${tokens.accessToken}`)
    .expect(204);
}

describe('the revocation feed', () => {
  let instances: TwoInstances;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    instances = await createTwoInstances(FEED_ENV);
    ({ a, b } = instances);
  });
  afterAll(() => instances?.close());

  describe('access', () => {
    it('answers 404 not_found where no feed token is configured', async () => {
      const plain = await createTestApp();
      try {
        const response = await request(plain.url)
          .get('/auth/revocations')
          .set('Authorization', `Bearer ${FEED_TOKEN}`)
          .expect(404);
        expect(response.body).toMatchObject({ statusCode: 404, code: 'not_found' });
      } finally {
        await plain.close();
      }
    });

    it.each([
      ['no Authorization header', undefined],
      ['a wrong token', 'feed-token-wrong-456789abcdef0123456789abcdef'],
      ['a prefix of a right token', FEED_TOKEN.slice(0, 32)],
      ['another scheme', `Basic ${FEED_TOKEN}`],
    ])('answers 401 feed_token_invalid to %s, on JSON and on the stream', async (_, header) => {
      for (const accept of ['application/json', 'text/event-stream']) {
        const call = request(a.url).get('/auth/revocations').set('Accept', accept);
        if (header) {
          call.set('Authorization', header.startsWith('Basic') ? header : `Bearer ${header}`);
        }
        const response = await call.expect(401);
        expect(response.body).toEqual({
          statusCode: 401,
          code: 'feed_token_invalid',
          message: expect.any(String),
        });
        expect(JSON.stringify(response.body)).not.toContain('feed-token');
      }
    });

    it('takes every configured token', async () => {
      await poll(a.url, undefined, OTHER_FEED_TOKEN).expect(200);
      await poll(a.url, undefined, FEED_TOKEN).expect(200);
    });
  });

  describe('JSON', () => {
    it('lists a logout with its window, and pages with after', async () => {
      const user = await registerUser(a.url);
      await logout(a.url, user.tokens);
      const first = await pollFor(a.url, user.tokens.sessionId);
      const event = first.events.find((entry) => entry.sid === user.tokens.sessionId);
      expect(event).toEqual({
        id: expect.stringMatching(/^\d+$/),
        type: 'revoked',
        sid: user.tokens.sessionId,
        revokedAt: expect.any(String),
        until: expect.any(String),
      });
      // Until the last access token of the session expires: ACCESS_TOKEN_TTL (15m) after revoking.
      const window = Date.parse(event!.until) - Date.parse(event!.revokedAt);
      expect(window).toBeGreaterThanOrEqual(900_000);
      expect(window).toBeLessThan(905_000);
      expect(first.cursor).toBe(first.events.at(-1)!.id);
      // A second logout of the same session revokes nothing more.
      await request(a.url)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${user.tokens.accessToken}`);

      const second = await registerUser(a.url);
      await logout(a.url, second.tokens);
      const page = await pollFor(a.url, second.tokens.sessionId, first.cursor);
      expect(page.events.map((entry) => entry.sid)).toEqual([second.tokens.sessionId]);
      expect(BigInt(page.cursor)).toBeGreaterThan(BigInt(first.cursor));
      // Nothing new: the cursor given comes back.
      expect((await poll(a.url, page.cursor).expect(200)).body).toEqual({
        events: [],
        cursor: page.cursor,
      });
    });

    it.each(['abc', '-1', '1e3', '1234567890123456789', ''])(
      'answers 400 validation_failed to after=%p',
      async (after) => {
        const response = await poll(a.url, after).expect(400);
        expect(response.body).toMatchObject({ code: 'validation_failed' });
        expect(response.body.errors).toEqual([{ field: 'after', messages: expect.any(Array) }]);
      },
    );

    it('answers 400 validation_failed to a bad Last-Event-ID', async () => {
      const response = await request(a.url)
        .get('/auth/revocations')
        .set('Accept', 'text/event-stream')
        .set('Authorization', `Bearer ${FEED_TOKEN}`)
        .set('Last-Event-ID', 'x1')
        .expect(400);
      expect(response.body.errors).toEqual([
        { field: 'Last-Event-ID', messages: expect.any(Array) },
      ]);
    });
  });

  describe('event stream', () => {
    it('opens with the revocations still in the window, with the contract’s headers', async () => {
      const user = await registerUser(a.url);
      await logout(a.url, user.tokens);
      const stream = await openFeed(b.url);
      try {
        expect(stream.response.statusCode).toBe(200);
        expect(stream.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
        expect(stream.response.headers['cache-control']).toBe('no-store');
        expect(stream.response.headers['x-accel-buffering']).toBe('no');
        await stream.until(() => sidsOf(stream.events).includes(user.tokens.sessionId));
        const ids = stream.events.map((event) => BigInt(event.id));
        expect(ids).toEqual([...ids].sort((x, y) => (x < y ? -1 : 1)));
      } finally {
        stream.close();
      }
    });

    it('streams a logout on instance B from instance A within REVOCATION_PROPAGATION + 1 s', async () => {
      const stream = await openFeed(a.url);
      try {
        for (let round = 0; round < 3; round++) {
          const user = await registerUser(b.url);
          await logout(b.url, user.tokens);
          const answeredAt = Date.now();
          await stream.until(() => sidsOf(stream.events).includes(user.tokens.sessionId), 2_000);
          expect(Date.now() - answeredAt).toBeLessThan(2_000);
        }
      } finally {
        stream.close();
      }
    });

    it('streams a reuse detection, a logout-all (one event per session) and an admin revocation', async () => {
      const stream = await openFeed(a.url);
      try {
        // Reuse: a token older than the live one's predecessor, presented again.
        const reused = await registerUser(b.url);
        const r1 = (await refresh(b.url, reused.tokens.refreshToken).expect(200)).body;
        await refresh(b.url, r1.refreshToken).expect(200);
        const reuse = await refresh(b.url, reused.tokens.refreshToken).expect(401);
        expect(reuse.body.code).toBe('refresh_token_reused');
        await stream.until(() => sidsOf(stream.events).includes(reused.tokens.sessionId), 2_000);

        // Logout-all: every session of the user, one event each.
        const everywhere = await registerUser(b.url);
        const sessions = [
          everywhere.tokens,
          await login(b.url, everywhere),
          await login(b.url, everywhere),
        ].map((tokens) => tokens.sessionId);
        await request(b.url)
          .post('/auth/logout-all')
          .set('Authorization', `Bearer ${everywhere.tokens.accessToken}`)
          .expect(204);
        await stream.until(() => sessions.every((sid) => sidsOf(stream.events).includes(sid)));
        for (const sid of sessions) {
          expect(sidsOf(stream.events).filter((streamed) => streamed === sid)).toHaveLength(1);
        }

        // An admin revokes every session of another user.
        const admin = await registerUser(b.url);
        await queryRows(a.databaseUrl, `UPDATE users SET roles = '{user,admin}' WHERE id = $1`, [
          admin.tokens.user.id,
        ]);
        const adminTokens = await login(b.url, admin);
        const target = await registerUser(b.url);
        await request(b.url)
          .delete(`/admin/users/${target.tokens.user.id}/sessions`)
          .set('Authorization', `Bearer ${adminTokens.accessToken}`)
          .expect(204);
        await stream.until(() => sidsOf(stream.events).includes(target.tokens.sessionId), 2_000);
      } finally {
        stream.close();
      }
    });

    it('resumes with Last-Event-ID: every event missed while away, once, and nothing before', async () => {
      const first = await openFeed(a.url);
      const before = await registerUser(a.url);
      await logout(a.url, before.tokens);
      await first.until(() => sidsOf(first.events).includes(before.tokens.sessionId));
      const lastSeen = first.events.at(-1)!.id;
      first.close();

      const missed: string[] = [];
      for (let i = 0; i < 3; i++) {
        const user = await registerUser(i % 2 ? a.url : b.url);
        await logout(i % 2 ? a.url : b.url, user.tokens);
        missed.push(user.tokens.sessionId);
      }
      // Resumed on the other instance, which may not have read the last of them yet.
      const resumed = await openFeed(b.url, { 'Last-Event-ID': lastSeen });
      try {
        await resumed.until(() => missed.every((sid) => sidsOf(resumed.events).includes(sid)));
        await sleep(1_500);
        expect(sidsOf(resumed.events)).toEqual(missed);
        expect(resumed.events.every((event) => BigInt(event.id) > BigInt(lastSeen))).toBe(true);
      } finally {
        resumed.close();
      }
    });

    it('serves many consumers from the one listener connection of the instance', async () => {
      const listeners = async () =>
        (
          await queryRows<{ count: number }>(
            a.databaseUrl,
            `SELECT count(*)::int AS count FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = 'session-service:revocations'`,
          )
        )[0].count;
      const before = await listeners();
      const streams = await Promise.all(Array.from({ length: 50 }, () => openFeed(a.url)));
      try {
        const user = await registerUser(b.url);
        await logout(b.url, user.tokens);
        await Promise.all(
          streams.map((stream) =>
            stream.until(() => sidsOf(stream.events).includes(user.tokens.sessionId), 2_000),
          ),
        );
        expect(await listeners()).toBe(before);
      } finally {
        for (const stream of streams) stream.close();
      }
    });

    it('keeps a stream open while its instance loses the database, and sends what it missed after', async () => {
      const stream = await openFeed(b.url);
      const user = await registerUser(a.url);
      await instances.proxy.cut();
      try {
        await logout(a.url, user.tokens);
        await sleep(1_000);
        expect(sidsOf(stream.events)).not.toContain(user.tokens.sessionId);
      } finally {
        await instances.proxy.restore();
      }
      try {
        await stream.until(() => sidsOf(stream.events).includes(user.tokens.sessionId), 5_000);
        expect(stream.response.complete).toBe(false);
      } finally {
        stream.close();
      }
    });

    it('sends a heartbeat comment within 16 s', async () => {
      const stream = await openFeed(a.url);
      try {
        await stream.until(() => stream.comments.includes(': ping'), 16_000);
      } finally {
        stream.close();
      }
    }, 30_000);
  });
});

describe('the revocation feed with a short ACCESS_TOKEN_TTL', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp({ env: { ...FEED_ENV, ACCESS_TOKEN_TTL: '2s' } });
  });
  afterAll(() => app?.close());

  it('forgets an event once its until has passed', async () => {
    const user = await registerUser(app.url);
    await logout(app.url, user.tokens);
    const listed = await pollFor(app.url, user.tokens.sessionId);
    const event = listed.events.find((entry) => entry.sid === user.tokens.sessionId)!;
    expect(Date.parse(event.until) - Date.parse(event.revokedAt)).toBeLessThan(3_000);
    await sleep(Math.max(0, Date.parse(event.until) - Date.now()) + 100);
    const later = (await poll(app.url).expect(200)).body;
    expect(later.events.map((entry: Record<string, string>) => entry.sid)).not.toContain(
      user.tokens.sessionId,
    );
    // The cursor still moves forward past it, so a poller does not start over.
    expect(BigInt(later.cursor)).toBeGreaterThanOrEqual(BigInt(event.id));
    const stream = await openFeed(app.url);
    try {
      await sleep(300);
      expect(sidsOf(stream.events)).not.toContain(user.tokens.sessionId);
    } finally {
      stream.close();
    }
  });

  it('ends its open streams when the service stops, and stops promptly', async () => {
    const stream = await openFeed(app.url);
    const ended = new Promise<void>((done) => stream.response.once('close', done));
    const stoppingAt = Date.now();
    expect(await app.stop()).toBe(0);
    await ended;
    expect(Date.now() - stoppingAt).toBeLessThan(5_000);
  });
});
