import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { me, registerUser } from './factories/users';
import { REDIS_URL, redisPrefix } from './support/redis';
import { createTestApp, jsonLogs, startService, TEST_DATA_DIR } from './support/test-app';

/**
 * WEB_CONCURRENCY=N: N worker processes share the port; the primary announces it once every
 * worker listens, and SIGTERM stops the workers, each finishing its requests, then exits 0.
 */
describe('WEB_CONCURRENCY', () => {
  it('serves from 2 workers on one port, and stops them all on SIGTERM with exit code 0', async () => {
    const t = await createTestApp({ env: { WEB_CONCURRENCY: '2' } });
    try {
      const logs = () => jsonLogs(t);
      const listening = logs().find((line) => String(line.msg).startsWith('Listening on'));
      expect(listening).toMatchObject({ workers: 2, port: expect.any(Number) });
      const started = logs().filter((line) => line.msg === 'Nest application successfully started');
      expect(new Set(started.map((line) => line.worker))).toEqual(new Set([1, 2]));
      // Without REDIS_URL each worker counts rate limits alone: said once, by the primary, as a
      // warning (pino's level 40).
      expect(logs().filter((line) => perWorkerLimitWarning(line))).toEqual([
        expect.objectContaining({ level: 40, workers: 2 }),
      ]);

      // Both workers answer, and a session begun on one is honoured by the other.
      const { tokens } = await registerUser(t.url);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => me(t.url, tokens.accessToken)),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
      await request(t.url).get('/health').expect(200);

      expect(await t.stop('SIGTERM')).toBe(0);
      const stopping = logs().filter((line) =>
        String(line.msg).startsWith('SIGTERM received: finishing requests'),
      );
      expect(new Set(stopping.map((line) => line.worker))).toEqual(new Set([1, 2]));
    } finally {
      await t.close();
    }
  });

  it('says nothing of per-worker rate limits when REDIS_URL shares the counts', async () => {
    const t = await createTestApp({
      env: { WEB_CONCURRENCY: '2', REDIS_URL, REDIS_KEY_PREFIX: redisPrefix() },
    });
    try {
      expect(jsonLogs(t).some((line) => String(line.msg).startsWith('Listening on'))).toBe(true);
      expect(jsonLogs(t).filter((line) => perWorkerLimitWarning(line))).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('without DATABASE_URL, starts the embedded database once for all workers, and stops it last', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'session-cluster-'));
    const clusterDir = join(dataDir, 'postgres');
    try {
      const service = await startService({
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
        WEB_CONCURRENCY: '2',
      });
      // One postmaster, whose parent is the primary: the workers attached to it.
      const postmaster = Number(
        readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0],
      );
      expect(parentOf(postmaster)).toBe(service.process.pid);
      const { tokens } = await registerUser(service.url);
      await me(service.url, tokens.accessToken).expect(200);
      await request(service.url).get('/health/ready').expect(200);

      expect(await service.stop('SIGTERM')).toBe(0);
      expect(existsSync(join(clusterDir, 'postmaster.pid'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a value that is not a whole number from 1 to 64, naming the variable', async () => {
    await expect(
      startService({
        NODE_ENV: 'test',
        DATA_DIR: TEST_DATA_DIR,
        PORT: '0',
        DATABASE_URL: 'postgresql://127.0.0.1:1/unused',
        WEB_CONCURRENCY: '0',
      }),
    ).rejects.toThrow(/WEB_CONCURRENCY/);
  });
});

function perWorkerLimitWarning(line: Record<string, unknown>): boolean {
  return String(line.msg).startsWith('AUTH_RATE_LIMIT is counted per worker');
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}
