import { randomUUID } from 'node:crypto';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import request from 'supertest';
import { PASSWORD, refresh, registerUser } from './factories/users';
import { expectContractError } from './support/expect-error';
import {
  managementUrl,
  type MetricFamily,
  parsePrometheusText,
  sampleValue,
  scrape,
} from './support/prometheus-text';
import { createTestApp, jsonLogs, type TestApp } from './support/test-app';

const LOGINS = 'session_service_logins_total';
const REFRESHES = 'session_service_refreshes_total';
const REVOCATIONS = 'session_service_revocations_total';
const DURATION_COUNT = 'session_service_http_request_duration_seconds_count';

/** How much each labelled series of `name` moved between two scrapes (absent counts as 0). */
function moved(
  before: Map<string, MetricFamily>,
  after: Map<string, MetricFamily>,
  name: string,
  label: string,
  values: string[],
): Record<string, number> {
  return Object.fromEntries(
    values.map((value) => [
      value,
      (sampleValue(after, name, { [label]: value }) ?? 0) -
        (sampleValue(before, name, { [label]: value }) ?? 0),
    ]),
  );
}

const login = (url: string, email: string, password: string) =>
  request(url).post('/auth/login').send({ email, password });

describe('the management port (MANAGEMENT_PORT)', () => {
  let t: TestApp;
  let management: string;
  beforeAll(async () => {
    t = await createTestApp({
      env: { MANAGEMENT_PORT: '0', LOGIN_MAX_FAILURES: '2', AUTH_RATE_LIMIT: '7/1m' },
    });
    management = managementUrl(t);
  });
  afterAll(() => t.close());

  it('serves /metrics, /health and /health/ready there, and never /metrics on the public port', async () => {
    const families = await scrape(management);
    // A second, independent reader of the text format agrees on what is there.
    const text = (await request(management).get('/metrics').expect(200)).text;
    const parsed = parsePrometheusTextFormat(text) as { name: string; type: string }[];
    expect(parsed.map((family) => family.name).sort()).toEqual([...families.keys()].sort());
    expect(parsed.find((family) => family.name === REVOCATIONS)?.type).toBe('COUNTER');
    // The runtime's own metrics beside the service's.
    expect(families.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(families.get('session_service_http_request_duration_seconds')?.type).toBe('histogram');
    expect(sampleValue(families, 'session_service_revocation_listener_up')).toBe(1);

    await request(management).get('/health').expect(200, { status: 'ok' });
    const ready = await request(management).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    expectContractError(await request(management).get('/docs'), 404, 'not_found');

    expectContractError(await request(t.url).get('/metrics'), 404, 'not_found');
  });

  it('answers scrapes that come at once (two Prometheus servers) with finite event-loop delays', async () => {
    const scrapes = await Promise.all([1, 2, 3, 4].map(() => scrape(management)));
    for (const families of scrapes) {
      for (const statistic of ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99']) {
        const delay = sampleValue(families, `nodejs_eventloop_lag_${statistic}_seconds`);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(60);
      }
    }
  });

  it('counts sign-ins, refreshes and revocations by exactly what was done', async () => {
    const before = await scrape(management);
    const alice = await registerUser(t.url);
    const bob = await registerUser(t.url);

    // Sign-ins: 2 successes, 2 wrong passwords (LOGIN_MAX_FAILURES=2 locks bob out), 1 refused
    // while locked, 2 more successes, then the 8th request over AUTH_RATE_LIMIT=7/1m.
    const sessions = [];
    for (let i = 0; i < 2; i++) {
      sessions.push((await login(t.url, alice.email, PASSWORD).expect(200)).body);
    }
    await login(t.url, bob.email, 'Wrong-Password-123').expect(401);
    await login(t.url, bob.email, 'Wrong-Password-123').expect(401);
    await login(t.url, bob.email, PASSWORD).expect(429);
    for (let i = 0; i < 2; i++) {
      sessions.push((await login(t.url, alice.email, PASSWORD).expect(200)).body);
    }
    await login(t.url, alice.email, PASSWORD).expect(429);

    // Refreshes: T1 rotated to T2, T1 again in the grace window (replayed), T2 rotated to T3,
    // T1 once more (older than the predecessor: reuse, the session revoked), T3 (revoked), a
    // forged token and none at all (invalid).
    const t1 = sessions[0].refreshToken as string;
    const t2 = (await refresh(t.url, t1).expect(200)).body.refreshToken as string;
    expect((await refresh(t.url, t1).expect(200)).body.refreshToken).toBe(t2);
    const t3 = (await refresh(t.url, t2).expect(200)).body.refreshToken as string;
    await refresh(t.url, t1).expect(401);
    await refresh(t.url, t3).expect(401);
    await refresh(t.url, 'not-a-token').expect(401);
    await request(t.url).post('/auth/refresh').send({}).expect(401);

    // Revocations: the reuse above, one logout, then a logout-all ending alice's three others
    // (her registration's session and the last two sign-ins).
    await request(t.url)
      .post('/auth/logout')
      .send({ refreshToken: sessions[1].refreshToken })
      .expect(204);
    await request(t.url)
      .post('/auth/logout-all')
      .set('Authorization', `Bearer ${sessions[2].accessToken}`)
      .expect(204);

    const after = await scrape(management);
    expect(
      moved(before, after, LOGINS, 'outcome', [
        'success',
        'invalid_credentials',
        'locked',
        'rate_limited',
      ]),
    ).toEqual({ success: 4, invalid_credentials: 2, locked: 1, rate_limited: 1 });
    expect(
      moved(before, after, REFRESHES, 'outcome', [
        'rotated',
        'replayed',
        'reused',
        'expired',
        'revoked',
        'invalid',
      ]),
    ).toEqual({ rotated: 2, replayed: 1, reused: 1, expired: 0, revoked: 1, invalid: 2 });
    expect(
      moved(before, after, REVOCATIONS, 'reason', [
        'refresh_token_reused',
        'logout',
        'logout_all',
        'password_changed',
      ]),
    ).toEqual({ refresh_token_reused: 1, logout: 1, logout_all: 3, password_changed: 0 });
    // The five sessions revoked here are held in memory. Notifications reach every schema of the
    // database, so test files running beside this one may add theirs (unknown ids, harmless).
    expect(sampleValue(after, 'session_service_revoked_sessions')).toBeGreaterThanOrEqual(5);
    expect(
      (sampleValue(after, DURATION_COUNT, {
        method: 'POST',
        route: '/auth/login',
        status_code: '200',
      }) ?? 0) -
        (sampleValue(before, DURATION_COUNT, {
          method: 'POST',
          route: '/auth/login',
          status_code: '200',
        }) ?? 0),
    ).toBe(4);
  });

  it('labels requests with the route pattern, never the raw path', async () => {
    const user = await registerUser(t.url);
    const id = randomUUID();
    const stray = `/no-such-path-${randomUUID()}`;
    await request(t.url)
      .delete(`/sessions/${id}`)
      .set('Authorization', `Bearer ${user.tokens.accessToken}`)
      .expect(404);
    await request(t.url).get(stray).expect(404);

    const response = await request(management).get('/metrics').expect(200);
    const families = parsePrometheusText(response.text);
    expect(response.text).not.toContain(id);
    expect(response.text).not.toContain(stray);
    expect(
      sampleValue(families, DURATION_COUNT, {
        method: 'DELETE',
        route: '/sessions/:id',
        status_code: '404',
      }),
    ).toBe(1);
    expect(
      sampleValue(families, DURATION_COUNT, {
        method: 'GET',
        route: '(unmatched)',
        status_code: '404',
      }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('the management port with WEB_CONCURRENCY=2', () => {
  it('covers both workers in one scrape, served by the primary', async () => {
    const t = await createTestApp({ env: { MANAGEMENT_PORT: '0', WEB_CONCURRENCY: '2' } });
    try {
      const management = managementUrl(t);
      const before = await scrape(management);
      // A connection each: the primary hands connections to the workers in turn.
      for (let i = 0; i < 20; i++) {
        await request(t.url).get('/health').set('Connection', 'close').expect(200);
      }
      const alice = await registerUser(t.url);
      for (let i = 0; i < 4; i++) {
        await login(t.url, alice.email, PASSWORD).set('Connection', 'close').expect(200);
      }

      const served = jsonLogs(t).filter(
        (line) =>
          line.msg === 'request completed' && (line.req as { url?: string })?.url === '/health',
      );
      expect(new Set(served.map((line) => line.worker))).toEqual(new Set([1, 2]));

      const after = await scrape(management);
      const health = { method: 'GET', route: '/health', status_code: '200' };
      expect(
        (sampleValue(after, DURATION_COUNT, health) ?? 0) -
          (sampleValue(before, DURATION_COUNT, health) ?? 0),
      ).toBe(20);
      expect(moved(before, after, LOGINS, 'outcome', ['success'])).toEqual({ success: 4 });
      // Both workers' listeners are up: the cluster's gauge is their minimum.
      expect(sampleValue(after, 'session_service_revocation_listener_up')).toBe(1);
      await request(management).get('/health/ready').expect(200);
      expectContractError(await request(t.url).get('/metrics'), 404, 'not_found');

      expect(await t.stop('SIGTERM')).toBe(0);
    } finally {
      await t.close();
    }
  });
});
