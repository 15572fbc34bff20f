import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../common/errors/app-error';
import { AppConfig } from '../../config/app-config';
import { ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE, REFRESH_COOKIE_PATH } from './cookies';
import { isValidCsrfToken } from './csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The browser defences, run on every request before its body is read, in the contract's order:
 * Origin, then CSRF, then the body (so a cross-site form post gets 403, not 415).
 * - Origin: an unsafe request from an origin that is neither the service's nor allowed is refused,
 *   whatever its credentials.
 * - CSRF: an unsafe request that will authenticate by cookie (no Authorization header) must send
 *   X-CSRF-Token equal to the CSRF cookie and bound to the cookie's session.
 */
export function registerBrowserSecurity(fastify: FastifyInstance, config: AppConfig): void {
  const allowedOrigins = new Set([config.publicUrl, ...config.corsOrigins]);
  fastify.addHook('onRequest', async (request) => {
    if (SAFE_METHODS.has(request.method)) return;
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      throw AppError.forbidden('origin_not_allowed', 'Requests from this origin are not allowed.');
    }
    const sessionId = cookieSessionId(request);
    if (sessionId === null) return;
    const header = request.headers['x-csrf-token'];
    const cookie = request.cookies?.[CSRF_COOKIE] ?? null;
    if (
      typeof header !== 'string' ||
      !isValidCsrfToken(config.keys.csrfSecret, sessionId, header, cookie)
    ) {
      throw AppError.forbidden(
        'csrf_token_invalid',
        'The X-CSRF-Token header is missing or wrong.',
      );
    }
  });
}

/**
 * The session a request will authenticate with by cookie, or null when it brings its credentials
 * another way (a Bearer header) or none. The cookie's token is only decoded here; the guards
 * verify it. A forged token fails there, and its made-up session id cannot match a CSRF value.
 */
function cookieSessionId(request: FastifyRequest): string | null {
  if (request.headers.authorization !== undefined) return null;
  const token =
    request.cookies?.[ACCESS_COOKIE] ??
    (request.url.startsWith(`${REFRESH_COOKIE_PATH}/`)
      ? request.cookies?.[REFRESH_COOKIE]
      : undefined);
  if (!token) return null;
  return sessionIdOf(token) ?? '';
}

function sessionIdOf(token: string): string | null {
  try {
    const payload = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
    return typeof payload?.sid === 'string' ? payload.sid : null;
  } catch {
    return null;
  }
}
