import { randomBytes } from 'node:crypto';

/** The machine's Redis; REDIS_TEST_URL points elsewhere. */
export const REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

/** A REDIS_KEY_PREFIX of its own for one test, so that runs and files never share counters. */
export function redisPrefix(): string {
  return `test-${randomBytes(6).toString('hex')}:`;
}
