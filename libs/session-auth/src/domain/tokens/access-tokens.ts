import { Injectable } from '@nestjs/common';
import { KeyObject, randomUUID } from 'node:crypto';
import type { JWTHeaderParameters, JWTVerifyOptions } from 'jose';
import { ResolvedSessionAuthOptions } from '../../core/resolved-options';
import { ACCESS_TOKEN_TYPE } from '../../core/types';
import {
  type AccessClaims,
  FORBIDDEN_HEADERS,
  invalidAccessToken,
  verifyAccessToken,
} from './access-claims';
import { type JwsAlgorithm, signJws } from './jws';
import { VerifiedTokenCache } from './verified-token-cache';

export interface SignedAccessToken {
  token: string;
  expiresAt: Date;
  expiresIn: number;
}

type SigningHeader = Readonly<{ alg: JwsAlgorithm; kid: string; typ: string }>;

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
  private header?: { signing: object; value: SigningHeader };

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
    const { key } = this.options.keys.accessSigning;
    const iat = Math.floor(Date.now() / 1000);
    const exp = Math.min(
      iat + Math.floor(this.options.accessTokenTtlMs / 1000),
      Math.floor(claims.sessionEndsAt.getTime() / 1000),
    );
    const token = signJws(
      this.signingHeader(),
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
    const claims = await verifyAccessToken(token, this.keyFor, this.verifyOptions);
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

  /** The header of the signing key's tokens, frozen (signJws encodes it once); made again if the key changes. */
  private signingHeader(): SigningHeader {
    const signing = this.options.keys.accessSigning;
    if (this.header?.signing !== signing) {
      const value = Object.freeze({ alg: signing.alg, kid: signing.kid, typ: ACCESS_TOKEN_TYPE });
      this.header = { signing, value };
    }
    return this.header.value;
  }

  /** The key the header's `kid` names, if its algorithm is that key's; never a key the token brings. */
  private verificationKey(header: JWTHeaderParameters): KeyObject {
    if (FORBIDDEN_HEADERS.some((name) => name in header) || header.crit !== undefined) {
      throw invalidAccessToken();
    }
    const key = header.kid ? this.options.keys.accessVerification.get(header.kid) : undefined;
    if (!key || header.alg !== key.alg) throw invalidAccessToken();
    return key.key;
  }
}
