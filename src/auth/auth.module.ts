import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AccessTokens, JwkSet } from '@session-service/nestjs/internal';
import { LimitsModule } from '../limits/limits.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AccessTokenGuard } from './guards/access-token.guard';
import { LogoutGuard } from './guards/logout.guard';
import { RateLimitGuard } from './guards/rate-limit.guard';
import { RefreshTokenGuard } from './guards/refresh-token.guard';
import { RolesGuard } from './guards/roles.guard';
import { JwksController } from './jwks.controller';
import { AccessTokenStrategy } from './strategies/access-token.strategy';
import { RefreshTokenStrategy } from './strategies/refresh-token.strategy';

/**
 * Authentication for the whole app: every route needs an access token unless `@Public()`, and
 * `@Roles()` narrows it further. Other modules only use the decorators.
 */
@Module({
  imports: [PassportModule, UsersModule, SessionsModule, LimitsModule],
  controllers: [AuthController, JwksController],
  providers: [
    AuthService,
    AccessTokens,
    JwkSet,
    AccessTokenStrategy,
    RefreshTokenStrategy,
    RefreshTokenGuard,
    LogoutGuard,
    // Global guards run in this order: the rate limit first, so that every request counts.
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: AccessTokenGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
})
export class AuthModule {}
