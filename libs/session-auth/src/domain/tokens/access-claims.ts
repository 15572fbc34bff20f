import {
  errors,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import type { KeyObject } from 'node:crypto';
import { SessionAuthError } from '../../core/errors';
import { MAX_TOKEN_LENGTH } from '../../core/types';
import { isUuid } from '../../core/uuid';

/**
 * What a verified access token says. Frozen, with `exp` as a number, so that one verified value
 * can be handed out for every request that presents the same token (see VerifiedTokenCache).
 */
export interface AccessClaims {
  readonly userId: string;
  readonly sessionId: string;
  readonly roles: readonly string[];
  readonly tokenId: string;
  /** The token's `iat`, in seconds: refused when before a revoke-all. */
  readonly iat: number;
  /** The token's `exp`, in seconds. */
  readonly exp: number;
  /**
   * The token's `auth_time`, in seconds: when its session last proved the password. 0 for a token
   * minted before the claim existed, which no recent-authentication check then accepts.
   */
  readonly authTime: number;
}

/** Header parameters that would let a token choose its own verification key: never honoured. */
export const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'x5t#S256'] as const;

/**
 * Verifies an access token's signature and claims, the one way both the service and a resource
 * server do: `options` pin the algorithms, `typ`, issuer and audience; `key` finds the key the
 * header names (it refuses FORBIDDEN_HEADERS). `sub`, `sid` and `jti` must be UUIDs, `roles`
 * strings, `auth_time` a whole number of seconds.
 */
export async function verifyAccessToken(
  token: string,
  key: JWTVerifyGetKey | ((header: Parameters<JWTVerifyGetKey>[0]) => KeyObject),
  options: JWTVerifyOptions,
): Promise<AccessClaims> {
  const payload = await verifiedPayload(token, key, options);
  const { roles, auth_time: authTime = 0 } = payload;
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) {
    throw invalidAccessToken();
  }
  if (!Number.isSafeInteger(authTime) || (authTime as number) < 0) throw invalidAccessToken();
  return Object.freeze({
    userId: payload.sub as string,
    sessionId: payload.sid as string,
    roles: Object.freeze([...(roles as string[])]),
    tokenId: payload.jti as string,
    iat: payload.iat as number,
    exp: payload.exp as number,
    authTime: authTime as number,
  });
}

async function verifiedPayload(
  token: string,
  key: Parameters<typeof verifyAccessToken>[1],
  options: JWTVerifyOptions,
): Promise<JWTPayload> {
  if (token.length > MAX_TOKEN_LENGTH) throw invalidAccessToken();
  try {
    const { payload } = await jwtVerify(token, key as JWTVerifyGetKey, options);
    if (!isUuid(payload.sub) || !isUuid(payload.sid) || !isUuid(payload.jti)) {
      throw invalidAccessToken();
    }
    return payload;
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      throw new SessionAuthError('access_token_expired', 'The token has expired.');
    }
    if (error instanceof SessionAuthError) throw error;
    throw invalidAccessToken();
  }
}

/** A new error for each caller, so that nothing one request changes reaches another. */
export function invalidAccessToken(): SessionAuthError {
  return new SessionAuthError('access_token_invalid', 'The token is not valid.');
}
