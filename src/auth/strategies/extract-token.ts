import type { FastifyRequest } from 'fastify';
import { ExtractJwt } from 'passport-jwt';

export const ACCESS_COOKIE = '__Host-access_token';
export const REFRESH_COOKIE = '__Secure-refresh_token';
export const CSRF_COOKIE = '__Host-csrf_token';

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
