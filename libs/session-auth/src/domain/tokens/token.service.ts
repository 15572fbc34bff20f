import { Injectable } from '@nestjs/common';
import { KeyObject, randomUUID } from 'node:crypto';
import { errors, JWTHeaderParameters, JWTPayload, jwtVerify, JWTVerifyOptions } from 'jose';
import { SessionAuthError, type ErrorCode } from '../../core/errors';
import { ResolvedSessionAuthOptions } from '../../core/resolved-options';
import {
  ACCESS_TOKEN_TYPE,
  MAX_TOKEN_LENGTH,
  REFRESH_ALGORITHM,
  REFRESH_TOKEN_TYPE,
  RefreshClaims,
} from '../../core/types';
import { isUuid } from '../../core/uuid';
import { signJws, verifyHs256 } from './jws';
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
  /** The token's `exp`, in seconds. */
  readonly exp: number;
}

export type VerifiedRefresh = RefreshClaims & { expired: boolean };

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
 * Mints and verifies both kinds of token. Access tokens: ES256 (or EdDSA) with a `kid` from the JWK
 * Set; refresh tokens: HS256 with a separate secret. Each verification pins algorithm, `typ`,
 * issuer and audience, so a token of one kind is never accepted as the other.
 */
@Injectable()
export class TokenService {
  private readonly clockToleranceSec: number;
  private readonly accessAlgorithms: string[];
  private readonly verifiedAccess: VerifiedTokenCache<AccessClaims>;
  /** Per request (see verifyPresentedRefreshToken); gone with the request. */
  private readonly presentedRefresh = new WeakMap<
    object,
    { token: string; result: Promise<VerifiedRefresh> }
  >();

  constructor(private readonly config: ResolvedSessionAuthOptions) {
    this.clockToleranceSec = Math.floor(config.clockToleranceMs / 1000);
    this.accessAlgorithms = [
      ...new Set([...config.keys.accessVerification.values()].map((key) => key.alg)),
    ];
    this.verifiedAccess = new VerifiedTokenCache(VERIFIED_ACCESS_TOKENS, this.clockToleranceSec);
  }

  /** `exp` is the earlier of now + ACCESS_TOKEN_TTL and the session's absolute end. */
  async signAccessToken(claims: {
    userId: string;
    sessionId: string;
    roles: string[];
    sessionEndsAt: Date;
  }): Promise<SignedAccessToken> {
    const { kid, alg, key } = this.config.keys.accessSigning;
    const iat = Math.floor(Date.now() / 1000);
    const exp = Math.min(
      iat + Math.floor(this.config.accessTokenTtlMs / 1000),
      Math.floor(claims.sessionEndsAt.getTime() / 1000),
    );
    const token = signJws(
      { alg, kid, typ: ACCESS_TOKEN_TYPE },
      {
        sid: claims.sessionId,
        roles: claims.roles,
        iss: this.config.issuer,
        aud: this.config.audience,
        sub: claims.userId,
        jti: randomUUID(),
        iat,
        exp,
      },
      key,
    );
    return { token, expiresAt: new Date(exp * 1000), expiresIn: exp - iat };
  }

  /** Deterministic: the same claims give the same token, which the grace window relies on. */
  async signRefreshToken(claims: RefreshClaims): Promise<string> {
    return signJws(
      { alg: REFRESH_ALGORITHM, typ: REFRESH_TOKEN_TYPE },
      {
        sid: claims.sessionId,
        iss: this.config.issuer,
        aud: this.config.audience,
        sub: claims.userId,
        jti: claims.tokenId,
        iat: claims.issuedAt,
        exp: claims.expiresAt,
      },
      this.config.keys.refreshSecret,
    );
  }

  /**
   * Verifies an access token, or finds it among those verified before (and not expired since); the
   * caller checks the revoked-session set either way.
   */
  async verifyAccessToken(token: string): Promise<AccessClaims> {
    const remembered = this.rememberedAccessToken(token);
    if (remembered) return remembered;
    const payload = await this.verify(token, {
      typ: ACCESS_TOKEN_TYPE,
      algorithms: this.accessAlgorithms,
      key: (header) => this.accessKeyFor(header),
      invalid: 'access_token_invalid',
      expired: 'access_token_expired',
    });
    const roles = payload.roles;
    if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) {
      throw invalidToken('access_token_invalid');
    }
    const claims: AccessClaims = Object.freeze({
      userId: payload.sub as string,
      sessionId: payload.sid as string,
      roles: Object.freeze([...(roles as string[])]),
      tokenId: payload.jti as string,
      exp: payload.exp as number,
    });
    this.verifiedAccess.set(token, claims, claims.exp);
    return claims;
  }

  /**
   * The claims of an access token verified before and not expired since, synchronously; undefined
   * when it must be verified. The caller checks the revoked-session set either way.
   */
  rememberedAccessToken(token: string): AccessClaims | undefined {
    return this.verifiedAccess.get(token);
  }

  /**
   * verifyRefreshToken, once per request: the rate limiter, which counts each refresh token once,
   * and the refresh strategy both need the same request's token verified.
   */
  verifyPresentedRefreshToken(request: object, token: string): Promise<VerifiedRefresh> {
    const memo = this.presentedRefresh.get(request);
    if (memo?.token === token) return memo.result;
    const result = this.verifyRefreshToken(token);
    this.presentedRefresh.set(request, { token, result });
    return result;
  }

  /**
   * Verifies a refresh token: its HMAC first (node:crypto, see jws.ts), then exactly the header this
   * service mints, then the claims as jose checks them. Only this service ever reads a refresh
   * token, so anything it would not have minted is refused. An expired one is still returned,
   * marked expired, so that the session's state can decide between `session_expired`,
   * `refresh_token_expired` and `session_revoked`.
   */
  async verifyRefreshToken(token: string): Promise<VerifiedRefresh> {
    const verified =
      token.length <= MAX_TOKEN_LENGTH ? verifyHs256(token, this.config.keys.refreshSecret) : null;
    if (!verified || !isRefreshHeader(verified.header)) throw invalidToken('refresh_token_invalid');
    const { iss, aud, sub, sid, jti, iat, exp, nbf } = verified.claims;
    const now = Math.floor(Date.now() / 1000);
    if (
      iss !== this.config.issuer ||
      aud !== this.config.audience ||
      !isUuid(sub) ||
      !isUuid(sid) ||
      !isUuid(jti) ||
      !isNumericDate(iat) ||
      !isNumericDate(exp) ||
      (nbf !== undefined && (!isNumericDate(nbf) || nbf > now + this.clockToleranceSec))
    ) {
      throw invalidToken('refresh_token_invalid');
    }
    return {
      userId: sub,
      sessionId: sid,
      tokenId: jti,
      issuedAt: iat,
      expiresAt: exp,
      expired: exp <= now - this.clockToleranceSec,
    };
  }

  /** The public JWK Set: the signing key and every older key still trusted. */
  jwks(): { keys: Record<string, string>[] } {
    return { keys: [...this.config.keys.accessVerification.values()].map((key) => key.jwk) };
  }

  private async verify(
    token: string,
    options: {
      typ: string;
      algorithms: string[];
      key: (header: JWTHeaderParameters) => KeyObject;
      invalid: ErrorCode;
      expired: ErrorCode;
    },
  ): Promise<JWTPayload> {
    if (token.length > MAX_TOKEN_LENGTH) throw invalidToken(options.invalid);
    const verifyOptions: JWTVerifyOptions = {
      issuer: this.config.issuer,
      audience: this.config.audience,
      typ: options.typ,
      algorithms: options.algorithms,
      clockTolerance: this.clockToleranceSec,
      requiredClaims: ['iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp'],
    };
    try {
      const { payload } = await jwtVerify(token, options.key, verifyOptions);
      if (!isUuid(payload.sub) || !isUuid(payload.sid) || !isUuid(payload.jti)) {
        throw invalidToken(options.invalid);
      }
      return payload;
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        throw new SessionAuthError(options.expired, 'The token has expired.');
      }
      if (error instanceof SessionAuthError) throw error;
      throw invalidToken(options.invalid);
    }
  }

  private accessKeyFor(header: JWTHeaderParameters): KeyObject {
    rejectForbiddenHeaders(header, 'access_token_invalid');
    const key = header.kid ? this.config.keys.accessVerification.get(header.kid) : undefined;
    if (!key || header.alg !== key.alg) throw invalidToken('access_token_invalid');
    return key.key;
  }
}

function rejectForbiddenHeaders(header: JWTHeaderParameters, code: ErrorCode): void {
  if (FORBIDDEN_HEADERS.some((name) => name in header) || header.crit !== undefined) {
    throw invalidToken(code);
  }
}

/** A copy for each caller, so that nothing one request changes reaches the cache. */
function invalidToken(code: ErrorCode): SessionAuthError {
  return new SessionAuthError(code, 'The token is not valid.');
}

/** Exactly the header `signRefreshToken` writes: no `kid`, no key-bearing or critical parameter. */
function isRefreshHeader(header: Record<string, unknown>): boolean {
  return (
    Object.keys(header).length === 2 &&
    header.alg === REFRESH_ALGORITHM &&
    header.typ === REFRESH_TOKEN_TYPE
  );
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
