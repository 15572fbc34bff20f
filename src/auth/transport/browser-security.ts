import type { FastifyInstance } from 'fastify';
import { SessionAuthError } from '@session-service/nestjs';
import { AppConfig } from '../../config/app-config';
import { chooseCredential } from './credential';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The browser defences, run on every request before its body is read, in the contract's order:
 * Origin, then CSRF, then the body (so a cross-site form post gets 403, not 415).
 * - Origin: an unsafe request from an origin that is neither the service's nor allowed is refused,
 *   whatever its credentials.
 * - CSRF: decided with the credential itself (see chooseCredential), which is recorded on the
 *   request; the strategies and guards authenticate with that one and read no cookie themselves.
 */
export function registerBrowserSecurity(fastify: FastifyInstance, config: AppConfig): void {
  const allowedOrigins = new Set([config.publicUrl, ...config.corsOrigins]);
  fastify.decorateRequest('authCredential', null);
  fastify.addHook('onRequest', async (request) => {
    if (!SAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin;
      if (origin !== undefined && !allowedOrigins.has(origin)) {
        throw new SessionAuthError(
          'origin_not_allowed',
          'Requests from this origin are not allowed.',
        );
      }
    }
    request.authCredential = chooseCredential(request, config.keys.csrfSecret);
  });
}
