import type { FastifyRequest } from 'fastify';
import { DEVICE_COOKIE } from '../transport/cookies';
import type { RequestCredential } from '../transport/credential';

/** The access token the request authenticates with (Bearer header or cookie), if any. */
export function accessCredential(
  request: FastifyRequest,
): Extract<RequestCredential, { kind: 'access' }> | null {
  const credential = request.authCredential;
  return credential?.kind === 'access' ? credential : null;
}

export function bodyRefreshToken(request: FastifyRequest): string | null {
  const body = request.body as { refreshToken?: unknown } | null | undefined;
  const value = body && typeof body === 'object' ? body.refreshToken : undefined;
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/**
 * The refresh token a request presents: the body's, which wins (and is answered in the body), else
 * the refresh cookie the transport chose for this request's session (see chooseCredential).
 */
export function presentedRefreshToken(
  request: FastifyRequest,
): { token: string; via: 'body' | 'cookie' } | null {
  const body = bodyRefreshToken(request);
  if (body !== null) return { token: body, via: 'body' };
  const credential = request.authCredential;
  return credential?.kind === 'refresh' ? credential : null;
}

/**
 * The browser's device cookie, if it sent one (see LoginLockout). A `__Host-` cookie, so no
 * sibling subdomain can plant one; its HMAC is checked by the lockout.
 */
export function deviceCookie(request: FastifyRequest): string | null {
  const value = request.cookies?.[DEVICE_COOKIE];
  return typeof value === 'string' && value.length > 0 ? value : null;
}
