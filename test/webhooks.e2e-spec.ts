import { randomBytes } from 'node:crypto';
import { createServer, IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { login, PASSWORD, refresh, registerUser, sleep } from './factories/users';
import { managementUrl, sampleValue, scrape } from './support/prometheus-text';
import { createTestApp, jsonLogs, TestApp } from './support/test-app';
import { queryRows } from './support/test-database';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const WEBHOOK_SECRET_BYTES = SECRET.slice('whsec_'.length);

interface Payload {
  type: string;
  timestamp: string;
  data: {
    userId: string;
    sessionId: string | null;
    ip: string | null;
    userAgent: string | null;
    at: string;
  };
}

/** One request the receiver got, after checking its signature. */
interface Received {
  id: string;
  body: string;
  payload: Payload | null;
  verified: boolean;
  answer: number | 'held';
}

/** What the receiver answers to a verified request: a status, or never ('hold'). */
type Decide = (payload: Payload, attempt: number) => number | 'hold';

/**
 * A webhook receiver written as a team would write one, on node:http: it verifies every request
 * with the standardwebhooks package (401 if that fails), then answers as `decide` says, after
 * `answerAfterMs`.
 */
async function startReceiver(decide: Decide, answerAfterMs = 0) {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const verifier = new Webhook(SECRET);
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      let payload: Payload | null = null;
      try {
        payload = verifier.verify(body, headersOf(req.headers)) as Payload;
      } catch {
        received.push({ id, body, payload, verified: false, answer: 401 });
        res.writeHead(401).end();
        return;
      }
      const attempt = received.filter((entry) => entry.id === id).length + 1;
      const answer = decide(payload, attempt);
      if (answer === 'hold') held.push(res);
      else setTimeout(() => res.writeHead(answer).end(), answerAfterMs);
      received.push({
        id,
        body,
        payload,
        verified: true,
        answer: answer === 'hold' ? 'held' : answer,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/security?token=receiver-token`,
    received,
    held,
    /** Ids the receiver accepted (answered 2xx). */
    accepted: () => new Set(received.filter((r) => r.answer === 200).map((r) => r.id)),
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function headersOf(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)]));
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, ms = 45_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface EventRow {
  type: string;
  userId: string;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  at: Date;
}

function securityEvents(databaseUrl: string): Promise<EventRow[]> {
  return queryRows<EventRow>(
    databaseUrl,
    `SELECT type, user_id AS "userId", session_id AS "sessionId", ip, user_agent AS "userAgent", at
       FROM security_events ORDER BY id`,
  );
}

/** The payload the contract says a security event is delivered as. */
function expectedPayload(event: EventRow): Payload {
  const at = event.at.toISOString();
  return {
    type: event.type,
    timestamp: at,
    data: {
      userId: event.userId,
      sessionId: event.sessionId,
      ip: event.ip,
      userAgent: event.userAgent,
      at,
    },
  };
}

function webhookEnv(url: string): Record<string, string> {
  return { WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'debug' };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timedLogins(app: TestApp, email: string, count: number): Promise<number[]> {
  const durations: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await request(app.url).post('/auth/login').send({ email, password: PASSWORD }).expect(200);
    durations.push(performance.now() - started);
  }
  return durations;
}

describe('webhooks', () => {
  it('deliver every security event of a run, signed, through refusals and a SIGKILL mid-delivery', async () => {
    let heldId: string | null = null;
    const receiver = await startReceiver((payload, attempt) => {
      // Every event's first attempt is refused; the failed sign-in's second one is left hanging
      // while the service is killed.
      if (attempt === 1) return 503;
      if (payload.type === 'login_failed' && heldId === null) return 'hold';
      return 200;
    });
    const first = await createTestApp({ env: webhookEnv(receiver.url) });
    let second: TestApp | null = null;
    try {
      // The scripted run: each request records one or more security events.
      const user = await registerUser(first.url);
      const other = await login(first.url, user);
      await request(first.url)
        .post('/auth/login')
        .send({ email: user.email, password: 'not the password' })
        .expect(401);
      const next = (await refresh(first.url, user.tokens.refreshToken).expect(200)).body;
      await refresh(first.url, next.refreshToken).expect(200);
      // A token two generations back is reuse, inside the grace window or not.
      await refresh(first.url, user.tokens.refreshToken).expect(401);
      await request(first.url)
        .post('/auth/logout')
        .send({ refreshToken: other.refreshToken })
        .expect(204);

      await waitFor('the held delivery', () => receiver.held.length === 1);
      const held = receiver.received.find((entry) => entry.answer === 'held')!;
      heldId = held.id;
      expect(await first.stop('SIGKILL')).toBeNull();
      receiver.held[0].destroy();

      second = await createTestApp({
        databaseUrl: first.databaseUrl,
        env: webhookEnv(receiver.url),
      });
      const third = await login(second.url, user);
      await request(second.url)
        .post('/auth/logout-all')
        .set('Authorization', `Bearer ${third.accessToken}`)
        .expect(204);

      const events = await securityEvents(first.databaseUrl);
      expect(new Set(events.map((event) => event.type))).toEqual(
        new Set([
          'registered',
          'login',
          'login_failed',
          'refresh_token_reused',
          'session_revoked',
          'logout_all',
        ]),
      );
      await waitFor('every event delivered', () => receiver.accepted().size >= events.length);
      await waitFor('the outbox emptied', async () => {
        const [{ count }] = await queryRows<{ count: number }>(
          first.databaseUrl,
          'SELECT count(*)::int AS count FROM webhook_outbox',
        );
        return count === 0;
      });

      // Every request carried a valid signature, and one id always the same body.
      expect(receiver.received.every((entry) => entry.verified)).toBe(true);
      const bodies = new Map<string, Set<string>>();
      for (const entry of receiver.received) {
        bodies.set(entry.id, (bodies.get(entry.id) ?? new Set()).add(entry.body));
      }
      expect([...bodies.values()].every((set) => set.size === 1)).toBe(true);

      // Each event arrived under exactly one id, as the contract's JSON: none lost, none split.
      const accepted = [...receiver.accepted()].map(
        (id) => receiver.received.find((entry) => entry.id === id)!.payload!,
      );
      expect(accepted).toHaveLength(events.length);
      expect(new Set(accepted.map((payload) => JSON.stringify(payload)))).toEqual(
        new Set(events.map((event) => JSON.stringify(expectedPayload(event)))),
      );
      const failed = accepted.find((payload) => payload.type === 'login_failed')!;
      expect(failed.data.sessionId).toBeNull();
      expect(failed.data.ip).toBe('127.0.0.1');

      // The delivery cut short by the SIGKILL came again after the restart, under the same id.
      const attemptsOfHeld = receiver.received.filter((entry) => entry.id === heldId);
      expect(attemptsOfHeld.map((entry) => entry.answer)).toEqual([503, 'held', 200]);
      // Every first attempt was refused, so every event was retried.
      for (const id of receiver.accepted()) {
        expect(receiver.received.filter((entry) => entry.id === id).length).toBeGreaterThan(1);
      }

      // Failed attempts are logged, without the secret or the URL's token.
      const failures = jsonLogs(first).filter(
        (line) => line.msg === 'Webhook delivery failed; will retry',
      );
      expect(failures.length).toBeGreaterThan(0);
      expect(failures[0]).toMatchObject({ failure: 'HTTP 503', level: 40 });
      for (const line of [...first.logs, ...second.logs]) {
        expect(line).not.toContain(WEBHOOK_SECRET_BYTES);
        expect(line).not.toContain('receiver-token');
      }
    } finally {
      await second?.close();
      await first.close();
      await receiver.close();
    }
  }, 120_000);

  it('deliver each event from one instance at a time: two instances, no duplicate', async () => {
    // A slow receiver, so that both instances have deliveries in flight at once.
    const receiver = await startReceiver(() => 200, 1_000);
    const first = await createTestApp({ env: webhookEnv(receiver.url) });
    const second = await createTestApp({
      databaseUrl: first.databaseUrl,
      env: webhookEnv(receiver.url),
    });
    try {
      const users = await Promise.all(
        Array.from({ length: 15 }, (_, i) => registerUser(i % 2 ? first.url : second.url)),
      );
      await Promise.all(users.map((user, i) => login(i % 2 ? second.url : first.url, user)));
      const events = await securityEvents(first.databaseUrl);
      expect(events).toHaveLength(30);
      await waitFor('every event delivered', () => receiver.accepted().size === events.length);

      // Every event arrived exactly once, though both instances were delivering.
      expect(receiver.received).toHaveLength(events.length);
      const delivered = (app: TestApp) =>
        jsonLogs(app).filter((line) => line.msg === 'Webhook delivered').length;
      await waitFor('both instances logged', () => delivered(first) + delivered(second) === 30);
      expect(delivered(first)).toBeGreaterThan(0);
      expect(delivered(second)).toBeGreaterThan(0);
    } finally {
      await second.close();
      await first.close();
      await receiver.close();
    }
  }, 60_000);

  it('give up an event after 24 h of failures: dead, logged, kept for inspection', async () => {
    const receiver = await startReceiver(() => 503);
    const app = await createTestApp({ env: { ...webhookEnv(receiver.url), MANAGEMENT_PORT: '0' } });
    try {
      const user = await registerUser(app.url);
      // An event 25 hours old, as if the receiver had refused it since then.
      await queryRows(
        app.databaseUrl,
        `INSERT INTO security_events (user_id, type, at) VALUES ($1, 'login', now() - interval '25 hours')`,
        [user.tokens.user.id],
      );
      const outbox = () =>
        queryRows<{ type: string; dead: boolean; attempts: number; lastError: string | null }>(
          app.databaseUrl,
          `SELECT event_type AS type, dead_at IS NOT NULL AS dead, attempts, last_error AS "lastError"
             FROM webhook_outbox ORDER BY at`,
        );
      await waitFor('both events attempted', async () =>
        (await outbox()).every((row) => row.lastError !== null),
      );
      // The old event died at its first failure; the fresh one is still being retried.
      expect(await outbox()).toEqual([
        { type: 'login', dead: true, attempts: 1, lastError: 'HTTP 503' },
        expect.objectContaining({ type: 'registered', dead: false, lastError: 'HTTP 503' }),
      ]);
      await waitFor('the dead line', () =>
        jsonLogs(app).some(
          (line) => line.msg === 'Webhook delivery dead: no success within 24 h of the event',
        ),
      );
      const line = jsonLogs(app).find(
        (entry) => entry.msg === 'Webhook delivery dead: no success within 24 h of the event',
      )!;
      expect(line).toMatchObject({ level: 50, type: 'login', attempts: 1, failure: 'HTTP 503' });
      // And in the metrics: one dead, at least one failed (the fresh event, retried).
      const metrics = await scrape(managementUrl(app));
      const deliveries = (outcome: string) =>
        sampleValue(metrics, 'session_service_webhook_deliveries_total', { outcome });
      expect(deliveries('dead')).toBe(1);
      expect(deliveries('failed')).toBeGreaterThanOrEqual(1);
      expect(deliveries('delivered')).toBe(0);
    } finally {
      await app.close();
      await receiver.close();
    }
  }, 60_000);

  it('keep dead deliveries a week, then prune them a batch at a time', async () => {
    const receiver = await startReceiver(() => 204);
    const first = await createTestApp();
    let second: TestApp | null = null;
    try {
      const user = await registerUser(first.url);
      await first.stop();
      await queryRows(first.databaseUrl, 'DELETE FROM webhook_outbox');
      // Dead for 8 days (more than one pruning statement deletes), and one dead for 6.
      await queryRows(
        first.databaseUrl,
        `INSERT INTO webhook_outbox (event_type, user_id, at, attempts, last_error, dead_at)
         SELECT 'login', $1, now() - interval '9 days', 20, 'HTTP 503',
                now() - CASE WHEN n = 0 THEN interval '6 days' ELSE interval '8 days' END
           FROM generate_series(0, 1200) n`,
        [user.tokens.user.id],
      );
      second = await createTestApp({
        databaseUrl: first.databaseUrl,
        env: webhookEnv(receiver.url),
      });
      const pruned = () => jsonLogs(second!).find((line) => line.msg === 'Webhook outbox pruned');
      await waitFor('the week-old dead deliveries pruned', () => pruned() !== undefined);
      expect(pruned()).toMatchObject({ deleted: 1200 });
      const left = await queryRows<{ days: number }>(
        first.databaseUrl,
        `SELECT extract(day FROM now() - dead_at)::int AS days FROM webhook_outbox`,
      );
      expect(left).toEqual([{ days: 6 }]);
    } finally {
      await second?.close();
      await first.close();
      await receiver.close();
    }
  });

  it('are off without WEBHOOK_URL, and the outbox keeps no more than the last 24 h', async () => {
    const first = await createTestApp();
    let second: TestApp | null = null;
    try {
      const user = await registerUser(first.url);
      // More events over a day old than one pruning statement deletes.
      await queryRows(
        first.databaseUrl,
        `INSERT INTO security_events (user_id, type, at)
         SELECT $1, 'login', now() - interval '25 hours' FROM generate_series(1, 2500)`,
        [user.tokens.user.id],
      );
      const outbox = () =>
        queryRows<{ type: string; attempts: number; count: number }>(
          first.databaseUrl,
          `SELECT event_type AS type, attempts, count(*)::int AS count FROM webhook_outbox
            GROUP BY 1, 2 ORDER BY 1`,
        );
      expect(await outbox()).toEqual([
        { type: 'login', attempts: 0, count: 2500 },
        { type: 'registered', attempts: 0, count: 1 },
      ]);
      await first.stop();
      // Pruning runs at start, then hourly.
      second = await createTestApp({ databaseUrl: first.databaseUrl });
      const pruned = () => jsonLogs(second!).find((line) => line.msg === 'Webhook outbox pruned');
      await waitFor('the old events pruned', () => pruned() !== undefined);
      expect(pruned()).toMatchObject({ deleted: 2500 });
      expect(await outbox()).toEqual([{ type: 'registered', attempts: 0, count: 1 }]);
    } finally {
      await second?.close();
      await first.close();
    }
  });

  it('never hold a request: a receiver that never answers slows no request, nor the shutdown', async () => {
    let answering = true;
    const receiver = await startReceiver(() => (answering ? 200 : 'hold'));
    const app = await createTestApp({ env: webhookEnv(receiver.url) });
    try {
      const user = await registerUser(app.url);
      await waitFor('the first delivery', () => receiver.accepted().size === 1);
      const up = await timedLogins(app, user.email, 10);

      answering = false;
      await timedLogins(app, user.email, 1);
      await waitFor('a delivery left hanging', () => receiver.held.length > 0);
      const down = await timedLogins(app, user.email, 10);
      expect(Math.max(...down)).toBeLessThan(5_000);
      expect(median(down)).toBeLessThan(Math.max(1_000, 5 * median(up)));

      // Shutdown abandons a hanging delivery instead of waiting for it, and hands it back: due
      // again at once for another instance, not after its lease.
      const hanging = receiver.received.find((entry) => entry.answer === 'held')!;
      const started = Date.now();
      expect(await app.stop('SIGTERM')).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(
        await queryRows(
          app.databaseUrl,
          'SELECT next_attempt_at <= now() AS due, dead_at FROM webhook_outbox WHERE id = $1',
          [hanging.id],
        ),
      ).toEqual([{ due: true, dead_at: null }]);
    } finally {
      await app.close();
      await receiver.close();
    }
  }, 90_000);
});
