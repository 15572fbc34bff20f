import request from 'supertest';
import { createTestApp, jsonLogs, TestApp } from './support/test-app';

/** Logs are structured JSON with a request id on every request line, and never hold a secret. */
describe('logging', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The most talkative level: a secret must stay out of every line, not only the usual ones.
    t = await createTestApp({ env: { LOG_LEVEL: 'trace' } });
  });
  afterAll(() => t.close());

  const SECRETS = {
    bearer: 'bearer-secret-Qx7vT2',
    accessCookie: 'access-cookie-secret-Lm4pR8',
    refreshCookie: 'refresh-cookie-secret-Zk9wC3',
    csrf: 'csrf-secret-Hy6nB1',
    password: 'password-secret-Vd2sJ5',
    newPassword: 'new-password-secret-Tg8kE4',
    refreshToken: 'refresh-body-secret-Pw3mA7',
  };

  it('redacts credentials in headers and bodies, and ties each request line to its id', async () => {
    const ids = ['log-1', 'log-2', 'log-3', 'log-4', 'log-5'];
    const credentials = {
      Authorization: `Bearer ${SECRETS.bearer}`,
      Cookie: `__Host-access_token=${SECRETS.accessCookie}; __Secure-refresh_token=${SECRETS.refreshCookie}`,
      'X-CSRF-Token': SECRETS.csrf,
    };
    await request(t.url).get('/health').set(credentials).set('X-Request-Id', ids[0]);
    await request(t.url).get('/no-such-route').set(credentials).set('X-Request-Id', ids[1]);
    await request(t.url)
      .post('/auth/login')
      .set(credentials)
      .set('X-Request-Id', ids[2])
      .send({ email: 'someone@example.com', password: SECRETS.password });
    await request(t.url)
      .post('/auth/password')
      .set(credentials)
      .set('X-Request-Id', ids[3])
      .send({ currentPassword: SECRETS.password, newPassword: SECRETS.newPassword });
    await request(t.url)
      .post('/auth/refresh')
      .set(credentials)
      .set('X-Request-Id', ids[4])
      .send({ refreshToken: SECRETS.refreshToken });

    const requestLines = await waitForRequestLines(t, ids);
    const everything = t.logs.join('\n');
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect({ name, leaked: everything.includes(secret) }).toEqual({ name, leaked: false });
    }
    expect(everything).toContain('[Redacted]');

    for (const id of ids) {
      const line = requestLines.get(id)!;
      expect(line.reqId).toBe(id);
      const headers = (line.req as { headers: Record<string, unknown> }).headers;
      expect(headers.authorization).toBe('[Redacted]');
      expect(headers.cookie).toBe('[Redacted]');
      expect(headers['x-csrf-token']).toBe('[Redacted]');
      expect(line.res).toMatchObject({ statusCode: expect.any(Number) });
    }
  });

  it('keeps query parameters (emails, password hashes) out of the logs when an insert fails', async () => {
    // Parallel sign-ups with one email race to the unique index: the losers' INSERT fails.
    const body = { email: 'twice@example.com', password: 'an unusual passphrase 7731' };
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => request(t.url).post('/auth/register').send(body)),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const everything = t.logs.join('\n');
    expect(everything).not.toContain('$argon2');
    expect(everything).not.toContain(body.email);
    for (const line of t.logs) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('writes only JSON lines, each with a level, a time and a message', async () => {
    await request(t.url).get('/health');
    const lines = t.logs.filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed).toMatchObject({ level: expect.any(Number), time: expect.any(Number) });
      expect(typeof parsed.msg).toBe('string');
    }
  });
});

/** Request lines are written when the answer is sent: wait until every one of them is in. */
async function waitForRequestLines(
  t: TestApp,
  ids: string[],
): Promise<Map<string, Record<string, unknown>>> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = new Map<string, Record<string, unknown>>();
    for (const line of jsonLogs(t)) {
      const req = line.req as { id?: string } | undefined;
      if (req?.id && ids.includes(req.id) && line.res) found.set(req.id, line);
    }
    if (found.size === ids.length || Date.now() > deadline) {
      expect([...found.keys()].sort()).toEqual([...ids].sort());
      return found;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
