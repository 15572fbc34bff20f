import { Injectable } from '@nestjs/common';
import { SessionAuthError } from '../../core/errors';
import { ResolvedSessionAuthOptions } from '../../core/resolved-options';
import {
  MAX_TOKEN_LENGTH,
  REFRESH_ALGORITHM,
  REFRESH_TOKEN_TYPE,
  RefreshClaims,
  VerifiedRefreshToken,
} from '../../core/types';
import { isUuid } from '../../core/uuid';
import { signJws, verifyHs256 } from './jws';

/** The one header every refresh token carries, frozen: signJws encodes it once. */
const REFRESH_HEADER = Object.freeze({ alg: REFRESH_ALGORITHM, typ: REFRESH_TOKEN_TYPE });

/**
 * Where `verifyOnce` keeps a key's verified token: a property of the key object itself (symbol
 * keyed, so that no property of the caller's is touched). A WeakMap keyed by requests cost every
 * garbage collection an ephemeron per request in flight.
 */
const VERIFIED = Symbol('session-auth:verified-refresh-token');
type WithVerified = { [VERIFIED]?: { token: string; claims: VerifiedRefreshToken } };

/**
 * Mints and verifies refresh tokens: HS256 with a secret of their own, read by no one but this
 * library, so that anything it would not have minted is refused.
 */
@Injectable()
export class RefreshTokens {
  private readonly clockToleranceSec: number;

  constructor(private readonly options: ResolvedSessionAuthOptions) {
    this.clockToleranceSec = Math.floor(options.clockToleranceMs / 1000);
  }

  /** Deterministic: the same claims give the same token, which the grace window relies on. */
  sign(claims: RefreshClaims): string {
    return signJws(
      REFRESH_HEADER,
      {
        sid: claims.sessionId,
        iss: this.options.issuer,
        aud: this.options.audience,
        sub: claims.userId,
        jti: claims.tokenId,
        iat: claims.issuedAt,
        exp: claims.expiresAt,
      },
      this.options.keys.refreshSecret,
    );
  }

  /**
   * `verify`, once per `key` and token, synchronously: the same claims for every later call with
   * both (a refused token is checked again, and refused with a new error, each time). A request is
   * the key in practice: its rate limit, which counts each refresh token once, and its
   * authentication both need its token verified, and neither needs to wait for it (the check is
   * an HMAC). Any object serves, so no HTTP type enters here.
   */
  verifyOnce(key: object, token: string): VerifiedRefreshToken {
    const holder = key as WithVerified;
    const memo = holder[VERIFIED];
    if (memo?.token === token) return memo.claims;
    const claims = this.verify(token);
    holder[VERIFIED] = { token, claims };
    return claims;
  }

  /**
   * Verifies a refresh token: its HMAC first (node:crypto, see jws.ts), then exactly the header
   * `sign` writes, then the claims. An expired one is still returned, marked expired, so that the
   * session's state can decide between `session_expired`, `refresh_token_expired` and
   * `session_revoked`. Synchronous: the check is an HMAC.
   */
  verify(token: string): VerifiedRefreshToken {
    const verified =
      token.length <= MAX_TOKEN_LENGTH ? verifyHs256(token, this.options.keys.refreshSecret) : null;
    if (!verified || !isRefreshHeader(verified.header)) throw invalid();
    const { iss, aud, sub, sid, jti, iat, exp, nbf } = verified.claims;
    const now = Math.floor(Date.now() / 1000);
    if (
      iss !== this.options.issuer ||
      aud !== this.options.audience ||
      !isUuid(sub) ||
      !isUuid(sid) ||
      !isUuid(jti) ||
      !isNumericDate(iat) ||
      !isNumericDate(exp) ||
      (nbf !== undefined && (!isNumericDate(nbf) || nbf > now + this.clockToleranceSec))
    ) {
      throw invalid();
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
}

/** A new error for each caller, so that nothing one request changes reaches another. */
function invalid(): SessionAuthError {
  return new SessionAuthError('refresh_token_invalid', 'The token is not valid.');
}

/** Exactly the header `sign` writes: no `kid`, no key-bearing or critical parameter. */
function isRefreshHeader(header: Readonly<Record<string, unknown>>): boolean {
  return (
    Object.keys(header).length === 2 &&
    header.alg === REFRESH_ALGORITHM &&
    header.typ === REFRESH_TOKEN_TYPE
  );
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
