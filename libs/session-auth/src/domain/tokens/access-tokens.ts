import { Injectable } from '@nestjs/common';
import { KeyObject, randomUUID } from 'node:crypto';
import { errors, JWTHeaderParameters, JWTPayload, jwtVerify, JWTVerifyOptions } from 'jose';
import { SessionAuthError } from '../../core/errors';
import { ResolvedSessionAuthOptions } from '../../core/resolved-options';
import { ACCESS_TOKEN_TYPE, MAX_TOKEN_LENGTH } from '../../core/types';
import { isUuid } from '../../core/uuid';
import { signJws } from './jws';
import { VerifiedTokenCache } from './verified-token-cache';

/**
 * What a verified access token says. Frozen, with `exp` as a number, so that one verified value
 * can be handed out for every request that presents the same token (see VerifiedTokenCache).
 */
export interface AccessClaims {
  readonly userId: string;
  readonly sessionId: string;
  readonly roles: readonly string[];
  readonly tokenId: string;
  /** The token's `iat`, in seconds: refused when before a revoke-all (see RevokedSessions). */
  readonly iat: number;
  /** The token's `exp`, in seconds. */
  readonly exp: number;
  /**
   * The token's `auth_time`, in seconds: when its session last proved the password. 0 for a token
   * minted before the claim existed, which no recent-authentication check then accepts.
   */
  readonly authTime: number;
}

export interface SignedAccessToken {
  token: string;
  expiresAt: Date;
  expiresIn: number;
}

/** Header parameters that would let a token choose its own verification key: never honoured. */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'x5t#S256'] as const;
/** Verified access tokens remembered per process: about 1 KB each. */
const VERIFIED_ACCESS_TOKENS = 10_000;

/**
 * Mints and verifies access tokens: ES256 (or EdDSA) with a `kid` from the JWK Set. Verification
 * pins the algorithm to the named key's, the `typ`, the issuer and the audience, so that a refresh
 * token (HS256, `refresh+jwt`) is never accepted as one, and remembers what it verified.
 */
@Injectable()
export class AccessTokens {
  private readonly verifyOptions: JWTVerifyOptions;
  private readonly keyFor = (header: JWTHeaderParameters): KeyObject =>
    this.verificationKey(header);
  private readonly verified: VerifiedTokenCache<AccessClaims>;

  constructor(private readonly options: ResolvedSessionAuthOptions) {
    const clockToleranceSec = Math.floor(options.clockToleranceMs / 1000);
    this.verifyOptions = {
      issuer: options.issuer,
      audience: options.audience,
      typ: ACCESS_TOKEN_TYPE,
      algorithms: [...new Set([...options.keys.accessVerification.values()].map((key) => key.alg))],
      clockTolerance: clockToleranceSec,
      requiredClaims: ['iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp'],
    };
    this.verified = new VerifiedTokenCache(VERIFIED_ACCESS_TOKENS, clockToleranceSec);
  }

  /**
   * `exp` is the earlier of now + `accessTokenTtl` and the session's absolute end; `auth_time` is
   * the session's, in whole seconds.
   */
  sign(claims: {
    userId: string;
    sessionId: string;
    roles: string[];
    sessionEndsAt: Date;
    authTime: Date;
  }): SignedAccessToken {
    const { kid, alg, key } = this.options.keys.accessSigning;
    const iat = Math.floor(Date.now() / 1000);
    const exp = Math.min(
      iat + Math.floor(this.options.accessTokenTtlMs / 1000),
      Math.floor(claims.sessionEndsAt.getTime() / 1000),
    );
    const token = signJws(
      { alg, kid, typ: ACCESS_TOKEN_TYPE },
      {
        sid: claims.sessionId,
        roles: claims.roles,
        iss: this.options.issuer,
        aud: this.options.audience,
        sub: claims.userId,
        jti: randomUUID(),
        iat,
        exp,
        auth_time: Math.floor(claims.authTime.getTime() / 1000),
      },
      key,
    );
    return { token, expiresAt: new Date(exp * 1000), expiresIn: exp - iat };
  }

  /**
   * Verifies an access token, or finds it among those verified before (and not expired since); the
   * caller checks the revoked-session set either way.
   */
  async verify(token: string): Promise<AccessClaims> {
    const remembered = this.verified.get(token);
    if (remembered) return remembered;
    const payload = await this.verifySignature(token);
    const { roles, auth_time: authTime = 0 } = payload;
    if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) {
      throw invalid();
    }
    if (!Number.isSafeInteger(authTime) || (authTime as number) < 0) throw invalid();
    const claims: AccessClaims = Object.freeze({
      userId: payload.sub as string,
      sessionId: payload.sid as string,
      roles: Object.freeze([...(roles as string[])]),
      tokenId: payload.jti as string,
      iat: payload.iat as number,
      exp: payload.exp as number,
      authTime: authTime as number,
    });
    this.verified.set(token, claims, claims.exp);
    return claims;
  }

  /**
   * The claims of an access token verified before and not expired since, synchronously; undefined
   * when it must be verified. The caller checks the revoked-session set either way.
   */
  remembered(token: string): AccessClaims | undefined {
    return this.verified.get(token);
  }

  private async verifySignature(token: string): Promise<JWTPayload> {
    if (token.length > MAX_TOKEN_LENGTH) throw invalid();
    try {
      const { payload } = await jwtVerify(token, this.keyFor, this.verifyOptions);
      if (!isUuid(payload.sub) || !isUuid(payload.sid) || !isUuid(payload.jti)) throw invalid();
      return payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        throw new SessionAuthError('access_token_expired', 'The token has expired.');
      }
      if (error instanceof SessionAuthError) throw error;
      throw invalid();
    }
  }

  /** The key the header's `kid` names, if its algorithm is that key's; never a key the token brings. */
  private verificationKey(header: JWTHeaderParameters): KeyObject {
    if (FORBIDDEN_HEADERS.some((name) => name in header) || header.crit !== undefined) {
      throw invalid();
    }
    const key = header.kid ? this.options.keys.accessVerification.get(header.kid) : undefined;
    if (!key || header.alg !== key.alg) throw invalid();
    return key.key;
  }
}

/** A new error for each caller, so that nothing one request changes reaches another. */
function invalid(): SessionAuthError {
  return new SessionAuthError('access_token_invalid', 'The token is not valid.');
}
