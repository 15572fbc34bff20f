import { Injectable } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { CounterStore } from '@session-service/nestjs/internal';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Key namespace of the per-address rate limits in the counter store. */
export const RATE_LIMIT_COUNTER_PREFIX = 'rl:';

/**
 * @nestjs/throttler's storage on top of the shared counters. The window is fixed: a client over the
 * limit waits until the window that counted it closes (`blockDuration` is the window itself).
 */
@Injectable()
export class CounterThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly counters: CounterStore) {}

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    return toRecord(await this.counters.hit(RATE_LIMIT_COUNTER_PREFIX + key, ttl), limit);
  }
}

export function toRecord(
  counted: { count: number; resetInMs: number },
  limit: number,
): ThrottlerStorageRecord {
  const seconds = Math.max(1, Math.ceil(counted.resetInMs / 1000));
  return {
    totalHits: counted.count,
    timeToExpire: seconds,
    isBlocked: counted.count > limit,
    timeToBlockExpire: seconds,
  };
}
