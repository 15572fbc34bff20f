import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { PASSWORD, uniqueEmail } from './factories/users';
import { expectContractError } from './support/expect-error';
import { createTestApp, TestApp } from './support/test-app';

/** A left-most X-Forwarded-For entry a client makes up, different every time. */
const spoofed = () => `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;

async function signUp(url: string, forwardedFor?: string) {
  const response = await request(url)
    .post('/auth/register')
    .set(forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {})
    .send({ email: uniqueEmail(), password: PASSWORD })
    .expect(201);
  return response.body as { accessToken: string };
}

/** The address recorded with the session, and with its `registered` event. */
async function recordedAddresses(url: string, accessToken: string) {
  const auth = { Authorization: `Bearer ${accessToken}` };
  const sessions = await request(url).get('/sessions').set(auth).expect(200);
  const events = await request(url).get('/users/me/security-events').set(auth).expect(200);
  return { session: sessions.body[0].ip, event: events.body[0].ip };
}

/**
 * The client address is the nearest hop TRUST_PROXY does not trust, and always a valid IP: what a
 * client writes itself on the left of X-Forwarded-For decides nothing. The test client on
 * 127.0.0.1 plays the proxy.
 */
describe('client address behind one proxy (TRUST_PROXY=1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: '1', AUTH_RATE_LIMIT: '5/1m' } });
  });
  afterAll(() => t.close());

  it('meets the rate limit however the client rotates the left-most X-Forwarded-For', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await request(t.url)
        .post('/auth/login')
        .set('X-Forwarded-For', `${spoofed()}, 203.0.113.50`)
        .send({ email: uniqueEmail('nobody'), password: 'Wrong-password-1' });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(15).fill(429)]);
  });

  it('records the address the proxy saw, never the one the client claims', async () => {
    const { accessToken } = await signUp(t.url, `${spoofed()}, 203.0.113.51`);
    expect(await recordedAddresses(t.url, accessToken)).toEqual({
      session: '203.0.113.51',
      event: '203.0.113.51',
    });
  });

  it('records the nearest valid hop when the forwarded one is not an address', async () => {
    const { accessToken } = await signUp(t.url, 'i-am-not-an-ip');
    expect(await recordedAddresses(t.url, accessToken)).toEqual({
      session: '127.0.0.1',
      event: '127.0.0.1',
    });
  });
});

describe('client address behind listed proxies (TRUST_PROXY=addresses and CIDRs)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: '127.0.0.1/32, 10.0.0.0/8' } });
  });
  afterAll(() => t.close());

  it('skips every trusted hop and stops at the first untrusted one', async () => {
    const { accessToken } = await signUp(t.url, `${spoofed()}, 203.0.113.52, 10.1.2.3`);
    expect((await recordedAddresses(t.url, accessToken)).session).toBe('203.0.113.52');
  });
});

describe('client address with no proxy (TRUST_PROXY unset)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT: '2/1m' } });
  });
  afterAll(() => t.close());

  it('ignores X-Forwarded-For entirely', async () => {
    const { accessToken } = await signUp(t.url, '203.0.113.53');
    expect((await recordedAddresses(t.url, accessToken)).session).toBe('127.0.0.1');
    const attempt = () =>
      request(t.url)
        .post('/auth/login')
        .set('X-Forwarded-For', spoofed())
        .send({ email: uniqueEmail('nobody'), password: 'Wrong-password-1' });
    await attempt().expect(401);
    await attempt().expect(401);
    expectContractError(await attempt(), 429, 'too_many_requests');
  });
});
