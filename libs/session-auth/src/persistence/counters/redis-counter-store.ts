import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Redis, RedisOptions } from 'ioredis';
import { CounterStore, WindowCount } from './counter-store';
import { MemoryCounterStore } from './memory-counter-store';

/** INCR, opening the window on the first hit: returns {count, ms until the window closes}. */
const HIT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

/** HIT unless KEYS[2] is claimed ({-1, 0}); a hit within the limit ARGV[2] claims it. */
const HIT_UNLESS_CLAIMED = `
if redis.call('EXISTS', KEYS[2]) == 1 then return {-1, 0} end
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
if count <= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
end
return {count, ttl}`;

const CONNECTION: RedisOptions = {
  // Fail at once while disconnected instead of queueing: a sign-in must not wait for Redis.
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 2_000,
  commandTimeout: 500,
  retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  connectionName: 'session-service:limits',
};

interface CounterCommands {
  counterHit(key: string, windowMs: number): Promise<[number, number]>;
  counterHitUnlessClaimed(
    key: string,
    claimKey: string,
    windowMs: number,
    limit: number,
    claimTtlMs: number,
  ): Promise<[number, number]>;
}

/**
 * Counters in Redis, shared by every instance: each operation is one Lua script, atomic on the
 * server. While Redis is unreachable the service fails open to counters in this process (and says
 * so once in the log) rather than refusing sign-ins: a limit per instance beats a 500.
 */
export class RedisCounterStore extends CounterStore implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisCounterStore.name);
  private readonly redis: Redis & CounterCommands;
  private readonly fallback = new MemoryCounterStore();
  private degraded = false;

  /**
   * Loads ioredis only here, so that an app without REDIS_URL need not install it: the package
   * declares it an optional peer dependency.
   */
  static async connect(url: string, prefix: string): Promise<RedisCounterStore> {
    const { Redis: Client } = await import('ioredis').catch((error: unknown) => {
      throw new Error('Shared rate-limit counters (redisUrl) need ioredis: npm install ioredis', {
        cause: error,
      });
    });
    return new RedisCounterStore(new Client(url, CONNECTION), prefix);
  }

  private constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    super();
    redis.defineCommand('counterHit', { numberOfKeys: 1, lua: HIT });
    redis.defineCommand('counterHitUnlessClaimed', { numberOfKeys: 2, lua: HIT_UNLESS_CLAIMED });
    redis.on('error', (error: Error) => this.failed(error));
    this.redis = redis as Redis & CounterCommands;
  }

  hit(key: string, windowMs: number): Promise<WindowCount> {
    return this.attempt(
      async () => {
        const [count, ttl] = await this.redis.counterHit(this.prefix + key, windowMs);
        return { count, resetInMs: ttl };
      },
      () => this.fallback.hit(key, windowMs),
    );
  }

  hitUnlessClaimed(
    key: string,
    windowMs: number,
    limit: number,
    claimKey: string,
    claimTtlMs: number,
  ): Promise<WindowCount | null> {
    return this.attempt(
      async () => {
        const [count, ttl] = await this.redis.counterHitUnlessClaimed(
          this.prefix + key,
          this.prefix + claimKey,
          windowMs,
          limit,
          claimTtlMs,
        );
        return count < 0 ? null : { count, resetInMs: ttl };
      },
      () => this.fallback.hitUnlessClaimed(key, windowMs, limit, claimKey, claimTtlMs),
    );
  }

  releaseClaim(claimKey: string): Promise<void> {
    return this.attempt(
      async () => {
        await this.redis.del(this.prefix + claimKey);
      },
      () => this.fallback.releaseClaim(claimKey),
    );
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }

  private async attempt<T>(shared: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    try {
      const result = await shared();
      if (this.degraded) {
        this.degraded = false;
        this.logger.log('Redis is back: rate-limit counters are shared again');
      }
      return result;
    } catch (error) {
      this.failed(error);
      return local();
    }
  }

  private failed(error: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn({
      msg: 'Redis unreachable: counting rate limits in this process until it is back',
      err: error instanceof Error ? error.message : String(error),
    });
  }
}
