import { Module } from '@nestjs/common';
import { getOptionsToken, getStorageToken, ThrottlerModuleOptions } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { CounterStore } from './counter-store';
import { CounterThrottlerStorage } from './counter-throttler.storage';
import { LoginFailuresRepository } from '@session-service/nestjs/internal';
import { LoginLockout } from './login-lockout.service';
import { MemoryCounterStore } from './memory-counter-store';
import { RedisCounterStore } from './redis-counter-store';

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
      useFactory: (config: AppConfig): CounterStore =>
        config.redisUrl
          ? new RedisCounterStore(config.redisUrl, config.redisKeyPrefix)
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
