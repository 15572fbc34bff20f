import type { FastifyRequest } from 'fastify';
import { ExtractJwt } from 'passport-jwt';

import { REFRESH_COOKIE } from '../transport/cookies';

export { ACCESS_COOKIE, REFRESH_COOKIE } from '../transport/cookies';

const fromBearerHeader = ExtractJwt.fromAuthHeaderAsBearerToken();

export function bearerToken(request: FastifyRequest): string | null {
  return fromBearerHeader(request as never) || null;
}

export function cookie(request: FastifyRequest, name: string): string | null {
  const value = request.cookies?.[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
}

export function bodyRefreshToken(request: FastifyRequest): string | null {
  const body = request.body as { refreshToken?: unknown } | null | undefined;
  const value = body && typeof body === 'object' ? body.refreshToken : undefined;
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** True when the request names a refresh token at all (body or cookie), valid or not. */
export function hasRefreshToken(request: FastifyRequest): boolean {
  return bodyRefreshToken(request) !== null || cookie(request, REFRESH_COOKIE) !== null;
}
