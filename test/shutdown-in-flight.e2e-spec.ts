import request from 'supertest';
import { registerUser } from './factories/users';
import { createTestApp } from './support/test-app';

/**
 * SIGTERM while several sign-ins are being worked on (each ~20–50 ms of argon2 on this machine,
 * more when they queue for the thread pool): every one is answered in full, nothing new is taken
 * on, and the process exits 0.
 */
describe('shutdown with sign-ins in flight', () => {
  it('finishes every login under way, takes no new request, exits 0', async () => {
    // One thread for argon2: the eight hashes queue one after the other (8 × 20–50 ms), so every
    // request has long been read when the signal comes, and most are still hashing.
    const t = await createTestApp({ env: { UV_THREADPOOL_SIZE: '1' } });
    try {
      const user = await registerUser(t.url);
      const logins = Array.from({ length: 8 }, () =>
        request(t.url).post('/auth/login').send({ email: user.email, password: user.password }),
      );
      const answers = Promise.all(logins.map((login) => login.then((res) => res)));
      // Time for the requests to be read and queued for hashing: a request the service has not
      // read yet when it stops is refused, not in flight.
      await new Promise((resolve) => setTimeout(resolve, 150));
      const signalled = Date.now();
      const exit = t.stop('SIGTERM');

      const responses = await answers;
      expect(responses.map((res) => res.status)).toEqual(Array(8).fill(200));
      // They really were in flight: the last was answered after the signal.
      expect(Date.now()).toBeGreaterThan(signalled);
      for (const res of responses) expect(res.body.sessionId).toEqual(expect.any(String));

      const late = await request(t.url)
        .get('/health')
        .then((res) => res.status)
        .catch((error: { code?: string }) => error.code);
      expect([503, 'ECONNREFUSED', 'ECONNRESET']).toContain(late);
      expect(await exit).toBe(0);
    } finally {
      await t.close();
    }
  });
});
