import request from 'supertest';
import { expectContractError } from './support/expect-error';
import {
  createAppBehindProxy,
  AppBehindProxy,
  type DatabaseProxy,
} from './support/app-behind-proxy';
import { TestApp } from './support/test-app';

/** Readiness follows the database: 503 while it is unreachable, 200 again once it is back. */
describe('readiness', () => {
  let behind: AppBehindProxy;
  let proxy: DatabaseProxy;
  let t: TestApp;

  beforeAll(async () => {
    behind = await createAppBehindProxy();
    ({ proxy, app: t } = behind);
  });
  afterAll(() => behind?.close());
  afterEach(() => proxy.restore());

  it('answers 200 while the database answers', async () => {
    const res = await request(t.url).get('/health/ready').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });

  it.each(['refuse', 'blackhole'] as const)(
    'answers 503 service_unavailable while the database is gone (%s), and 200 once it is back',
    async (mode) => {
      await request(t.url).get('/health/ready').expect(200);
      await proxy.cut(mode);

      const started = Date.now();
      const down = await request(t.url).get('/health/ready').expect(503);
      // A readiness probe must not hang on a partitioned database: the ping has its own timeout.
      expect(Date.now() - started).toBeLessThan(5_000);
      expectContractError(down, 503, 'service_unavailable');
      // Liveness does not depend on the database: the orchestrator must not restart the process.
      await request(t.url).get('/health').expect(200);

      await proxy.restore();
      await eventually(async () => {
        await request(t.url).get('/health/ready').expect(200);
      });
      expect(t.process.exitCode).toBeNull();
      // The outage is logged as structured lines like everything else, not as a stray stack trace.
      for (const line of t.logs) expect(() => JSON.parse(line)).not.toThrow();
    },
  );
});

/** Retries an assertion for up to `ms`: the pool reconnects on its own schedule. */
async function eventually(assertion: () => Promise<void>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
