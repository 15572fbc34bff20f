/**
 * The library's internals that the service in this repository still uses directly while its
 * modules move into the library. Not a public API: it changes without notice, and goes once the
 * service is wired through `SessionAuthModule` alone.
 */
export { formatDuration, parseDuration } from './core/duration';
export * from './core/types';
export { csrfTokenFor, isValidCsrfToken } from './domain/csrf';
export { deviceIdOf, issueDeviceCookie } from './domain/limits/device-cookie';
export * from './domain/sessions/rotation';
export {
  AccessTokens,
  type AccessClaims,
  type SignedAccessToken,
} from './domain/tokens/access-tokens';
export { JwkSet, type JwkSetDocument } from './domain/tokens/jwk-set';
export { RefreshTokens } from './domain/tokens/refresh-tokens';
export { clientAddress, type PlatformRequest } from './http/client-address';
export { httpStatusOf, publicCodeOf } from './http/errors/error-status';
