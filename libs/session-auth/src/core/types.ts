/** What a verified access token says, as guards hand it to route handlers. */
export interface AuthenticatedUser {
  id: string;
  sessionId: string;
  /** Shared by every request with the same token: frozen. */
  roles: readonly string[];
  /** The access token's jti. */
  tokenId: string;
  expiresAt: Date;
  /**
   * When the session last proved the password (sign-in, or `POST /auth/reauthenticate`): the
   * token's `auth_time`, which `@RecentAuth()` compares. The epoch for a token without the claim.
   */
  authTime: Date;
  /** How the token came: the Authorization header, or the browser's cookie. */
  via: 'bearer' | 'cookie';
}

/** Who is calling, as far as the network says: recorded with sessions and security events. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

/** The account a session belongs to, as token responses show it. */
export interface SessionUser {
  id: string;
  email: string;
  displayName: string | null;
  roles: string[];
  createdAt: Date;
}

export interface RefreshClaims {
  userId: string;
  sessionId: string;
  tokenId: string;
  issuedAt: number;
  expiresAt: number;
}

/** A refresh token just minted, with the claims it carries. */
export interface IssuedRefreshToken {
  token: string;
  claims: RefreshClaims;
}

/** A verified refresh token, with whether its `exp` has passed: the session's state decides the code. */
export interface VerifiedRefreshToken extends RefreshClaims {
  expired: boolean;
}

/** A verified refresh token as a request presented it. */
export interface PresentedRefreshToken extends VerifiedRefreshToken {
  raw: string;
  via: 'body' | 'cookie';
}

export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const REFRESH_TOKEN_TYPE = 'refresh+jwt';
export const REFRESH_ALGORITHM = 'HS256';
/** Far above any token this service mints; longer input is refused before any parsing. */
export const MAX_TOKEN_LENGTH = 4_096;
