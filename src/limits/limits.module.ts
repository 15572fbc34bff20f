import { Module } from '@nestjs/common';
import { getOptionsToken, getStorageToken, ThrottlerModuleOptions } from '@nestjs/throttler';
import {
  CounterStore,
  LoginFailuresRepository,
  LoginLockout,
  MemoryCounterStore,
  RedisCounterStore,
} from '@session-service/nestjs/internal';
import { AppConfig } from '../config/app-config';
import { CounterThrottlerStorage } from './counter-throttler.storage';

/**
 * Abuse limits: the counters (Redis when REDIS_URL is set, else this process), the
 * @nestjs/throttler options and storage behind AUTH_RATE_LIMIT, and the login lockout, whose
 * counters are in PostgreSQL. The guard that applies AUTH_RATE_LIMIT lives with the routes it
 * protects, in AuthModule.
 */
@Module({
  providers: [
    {
      provide: CounterStore,
      inject: [AppConfig],
      useFactory: async (config: AppConfig): Promise<CounterStore> =>
        config.redisUrl
          ? RedisCounterStore.connect(config.redisUrl, config.redisKeyPrefix)
          : new MemoryCounterStore(),
    },
    {
      provide: getOptionsToken(),
      inject: [AppConfig],
      useFactory: (config: AppConfig): ThrottlerModuleOptions => ({
        throttlers: [
          { name: 'default', limit: config.authRateLimit.limit, ttl: config.authRateLimit.ttlMs },
        ],
        // The one header that matters, Retry-After, comes with the 429 itself.
        setHeaders: false,
      }),
    },
    { provide: getStorageToken(), useClass: CounterThrottlerStorage },
    LoginLockout,
    LoginFailuresRepository,
  ],
  exports: [
    CounterStore,
    getOptionsToken(),
    getStorageToken(),
    LoginLockout,
    LoginFailuresRepository,
  ],
})
export class LimitsModule {}
