import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerRequest,
  ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientAddress, CounterStore, RefreshTokens } from '@session-service/nestjs/internal';
import { SessionAuthError } from '@session-service/nestjs';
import { AppConfig } from '../../config/app-config';
import {
  RATE_LIMIT_COUNTER_PREFIX as COUNTER_PREFIX,
  toRecord,
} from '../../limits/counter-throttler.storage';
import { RATE_LIMIT_KEY, RateLimitKind } from '../decorators/rate-limit.decorator';
import { presentedRefreshToken } from '../strategies/extract-token';

/**
 * How long after a refresh token is first let through its replays stay exempt: the grace window,
 * plus room for the wait between this guard and the rotation that starts the window (row lock,
 * pool). A replay after the real window is answered 401 and revokes the session anyway.
 */
const REPLAY_MARGIN_MS = 5_000;

/**
 * AUTH_RATE_LIMIT on the routes marked `@RateLimit()`, per client address (Fastify's request.ip,
 * which follows X-Forwarded-For only with TRUST_PROXY; IPv6 by /64) and per route. A global guard
 * registered before the access-token guard, so that every request counts, authenticated or not.
 *
 * Refresh counts each refresh token once. The first request presenting a token is counted (and may
 * be refused); if it is let through, the token's jti is claimed in the same atomic step, and every
 * later request with that token inside its grace window passes without counting. Parallel
 * refreshes with one token — two tabs, a retry after a lost response — are therefore never
 * answered 429, while each new token, and every request without a valid one, still counts.
 * A refresh with the token that ends in a client error (revoked session, reuse, CSRF) releases
 * the claim: a token that cannot succeed is counted on every request.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override readonly logger = new Logger(RateLimitGuard.name);

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly counters: CounterStore,
    private readonly refreshTokens: RefreshTokens,
    private readonly config: AppConfig,
  ) {
    super(options, storage, reflector);
  }

  /** The validated client address (see clientAddress), IPv6 by /64 as the throttler does. */
  protected override getTracker(request: FastifyRequest): Promise<string> {
    return Promise.resolve(normalizeIp(clientAddress(request) ?? 'unknown', this.ipv6SubnetPrefix));
  }

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(context.getType() !== 'http' || !this.kindOf(context));
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    if (this.kindOf(props.context) === 'refresh') {
      const request = props.context.switchToHttp().getRequest<FastifyRequest>();
      const tokenId = await this.presentedRefreshTokenId(request);
      if (tokenId) return this.countRefreshToken(props, request, tokenId);
    }
    return super.handleRequest(props);
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new SessionAuthError('too_many_requests', 'Too many requests; slow down.', {
      retryAfterSeconds: detail.timeToBlockExpire,
    });
  }

  private async countRefreshToken(
    props: ThrottlerRequest,
    request: FastifyRequest,
    tokenId: string,
  ): Promise<boolean> {
    const { context, limit, ttl, throttler } = props;
    const tracker = await props.getTracker(request, context);
    const key = props.generateKey(context, tracker, throttler.name ?? 'default');
    const claimKey = `${COUNTER_PREFIX}refresh:${tokenId}`;
    const counted = await this.counters.hitUnlessClaimed(
      COUNTER_PREFIX + key,
      ttl,
      limit,
      claimKey,
      this.config.refreshReuseGraceMs + REPLAY_MARGIN_MS,
    );
    if (counted) {
      const record = toRecord(counted, limit);
      if (record.isBlocked) {
        await this.throwThrottlingException(context, { ...record, limit, ttl, key, tracker });
      }
    }
    this.releaseClaimOnClientError(context.switchToHttp().getResponse<FastifyReply>(), claimKey);
    return true;
  }

  /**
   * Only a refresh that can succeed stays exempt: once a request with the token is answered 4xx,
   * the claim goes, so that the next one counts. A 5xx keeps it: a retry may yet succeed.
   */
  private releaseClaimOnClientError(reply: FastifyReply, claimKey: string): void {
    reply.raw.once('finish', () => {
      const status = reply.raw.statusCode;
      if (status < 400 || status >= 500) return;
      this.counters.releaseClaim(claimKey).catch((error: unknown) =>
        this.logger.warn({
          msg: 'Could not release a refresh token claim; it expires by itself',
          err: error instanceof Error ? error.message : String(error),
        }),
      );
    });
  }

  /** The jti of a genuine, unexpired refresh token in the request; null for anything else. */
  private async presentedRefreshTokenId(request: FastifyRequest): Promise<string | null> {
    const token = presentedRefreshToken(request)?.token;
    if (!token) return null;
    try {
      const claims = await this.refreshTokens.verifyOnce(request, token);
      return claims.expired ? null : claims.tokenId;
    } catch {
      return null;
    }
  }

  private kindOf(context: ExecutionContext): RateLimitKind | undefined {
    return this.reflector.get<RateLimitKind | undefined>(RATE_LIMIT_KEY, context.getHandler());
  }
}
