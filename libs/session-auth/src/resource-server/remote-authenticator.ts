import { Injectable } from '@nestjs/common';
import {
  createRemoteJWKSet,
  errors,
  type FlattenedJWSInput,
  type JWTHeaderParameters,
  type JWTVerifyOptions,
} from 'jose';
import { SessionAuthError, serviceUnavailable } from '../core/errors';
import { ACCESS_TOKEN_TYPE, type AuthenticatedUser } from '../core/types';
import {
  type AccessClaims,
  FORBIDDEN_HEADERS,
  invalidAccessToken,
  verifyAccessToken,
} from '../domain/tokens/access-claims';
import { VerifiedTokenCache } from '../domain/tokens/verified-token-cache';
import type { RequestAuthenticator } from '../http/access-guard';
import { bearerToken } from '../http/credentials';
import { headerOf, type HttpRequest } from '../http/request';
import { ResolvedResourceServerOptions } from './resource-server-options';
import { RevocationFeedStatus } from './revocation-feed-status';
import { RevokedTokens } from './revoked-tokens';

/** The service signs access tokens with one of these (API.md, "Tokens"). */
const ACCESS_ALGORITHMS = ['ES256', 'EdDSA'];
/** Verified access tokens remembered per process: about 1 KB each. */
const VERIFIED_ACCESS_TOKENS = 10_000;
/** jose's errors that mean the token names no key of the set, or one of another kind. */
const UNKNOWN_KEY = [
  errors.JWKSNoMatchingKey,
  errors.JWKSMultipleMatchingKeys,
  errors.JOSENotSupported,
];

/**
 * Verifies the service's access tokens (`Authorization: Bearer`) with its JWK Set, pinned as the
 * service pins them: ES256 or EdDSA with the named key's own algorithm, `typ: at+jwt`, issuer,
 * audience, and every claim present. jose's remote key set fetches the set again when a token
 * names an unknown `kid` (a key rotation), at most once per cooldown. Then the revocation feed's
 * set decides, on every request, remembered token or not.
 *
 * A key set out of reach is a 503, not a 401: the token may be good, and the client should retry
 * rather than sign in again.
 */
@Injectable()
export class RemoteAuthenticator implements RequestAuthenticator {
  private readonly verifyOptions: JWTVerifyOptions;
  private readonly verified: VerifiedTokenCache<AccessClaims>;
  private readonly keySet: ReturnType<typeof createRemoteJWKSet>;
  private readonly keyFor = (header: JWTHeaderParameters, token: FlattenedJWSInput) =>
    this.verificationKey(header, token);

  constructor(
    options: ResolvedResourceServerOptions,
    private readonly revoked: RevokedTokens,
    private readonly feed: RevocationFeedStatus,
  ) {
    const clockToleranceSec = Math.floor(options.clockToleranceMs / 1000);
    this.keySet = createRemoteJWKSet(options.jwksUrl);
    this.verifyOptions = {
      issuer: options.issuer,
      audience: options.audience,
      typ: ACCESS_TOKEN_TYPE,
      algorithms: ACCESS_ALGORITHMS,
      clockTolerance: clockToleranceSec,
      requiredClaims: ['iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp'],
    };
    this.verified = new VerifiedTokenCache(VERIFIED_ACCESS_TOKENS, clockToleranceSec);
  }

  authenticateRequest(request: HttpRequest): AuthenticatedUser | Promise<AuthenticatedUser> {
    const token = bearerToken(headerOf(request, 'authorization'));
    if (!token) throw new SessionAuthError('access_token_missing', 'An access token is required.');
    const remembered = this.verified.get(token);
    if (remembered) return this.accept(remembered);
    return this.verify(token).then((claims) => this.accept(claims));
  }

  /**
   * Accepted unless the feed has been silent past `maxFeedSilence` (then no one knows what was
   * revoked meanwhile) or it revoked the token's session, or every token issued before its `iat`.
   */
  private accept(claims: AccessClaims): AuthenticatedUser {
    if (this.feed.isSilentTooLong()) {
      throw serviceUnavailable('Revocations cannot be checked right now; try again shortly.');
    }
    if (this.revoked.isRevoked(claims.sessionId, claims.iat)) {
      throw new SessionAuthError('session_revoked', 'This session has been revoked.');
    }
    return {
      id: claims.userId,
      sessionId: claims.sessionId,
      roles: claims.roles,
      tokenId: claims.tokenId,
      expiresAt: new Date(claims.exp * 1000),
      authTime: new Date(claims.authTime * 1000),
      via: 'bearer',
    };
  }

  private async verify(token: string): Promise<AccessClaims> {
    const claims = await verifyAccessToken(token, this.keyFor, this.verifyOptions);
    this.verified.set(token, claims, claims.exp);
    return claims;
  }

  /** The key the header's `kid` names in the service's set; never a key the token brings. */
  private async verificationKey(header: JWTHeaderParameters, token: FlattenedJWSInput) {
    if (
      FORBIDDEN_HEADERS.some((name) => name in header) ||
      header.crit !== undefined ||
      typeof header.kid !== 'string'
    ) {
      throw invalidAccessToken();
    }
    try {
      return await this.keySet(header, token);
    } catch (error) {
      if (UNKNOWN_KEY.some((type) => error instanceof type)) throw invalidAccessToken();
      throw serviceUnavailable('The token cannot be checked right now; try again shortly.');
    }
  }
}
