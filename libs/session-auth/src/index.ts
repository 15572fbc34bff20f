/**
 * `@session-service/nestjs`: sessions with short-lived access tokens and rotating refresh-token
 * families, for any Nest app. The public API grows here as the modules move in.
 */
export type { AuthenticatedUser, ClientInfo, SessionUser } from './core/types';
export { SESSION_AUTH_USERS, type SessionAuthUsers } from './core/users';
export {
  SessionAuthError,
  serviceUnavailable,
  type ErrorCode,
  type ErrorDetails,
  type ErrorReason,
  type FieldError,
} from './core/errors';
export { SessionsService, type SessionView } from './domain/sessions/sessions.service';
export {
  SessionAuthModule,
  type SessionAuthExtras,
  type SessionAuthForRootAsyncOptions,
  type SessionAuthForRootOptions,
  type SessionAuthModuleOptions,
} from './session-auth.module';
export {
  ACCESS_COOKIE_SCHEME,
  Auth,
  type AuthenticatedRequest,
  BEARER_SCHEME,
  CurrentUser,
  IS_PUBLIC_KEY,
  NEEDS_AUTH_KEY,
  Public,
  RECENT_AUTH_KEY,
  RecentAuth,
  type RecentAuthRequirement,
  Roles,
  ROLES_KEY,
} from './http/decorators';
export { SessionAuthGuard } from './http/auth.guard';
export { RateLimitGuard } from './http/rate-limit.guard';
export { ACCESS_STRATEGY, REFRESH_STRATEGY } from './http/strategies';
export {
  type ContractError,
  type ContractErrorBody,
  SessionAuthHttpException,
  toContractError,
} from './http/errors/contract-body';
export { SessionAuthExceptionFilter } from './http/errors/exception.filter';
export { clientAddress } from './http/client-address';
export { changeUserRole } from './users/builtin/change-user-role';
export { revokeAllSessions } from './domain/sessions/revoke-all-sessions';
export { createContractValidationPipe } from './http/validation';
export { ErrorResponseDto } from './http/dto/error-response.dto';
export type { SecurityEventType } from './persistence/entities/security-event.entity';
export type {
  LoginOutcome,
  RefreshOutcome,
  RevocationReason,
  SessionAuthObserver,
} from './core/observer';
export {
  SESSION_AUTH_CORE_ENTITIES,
  SESSION_AUTH_CORE_MIGRATIONS,
  SESSION_AUTH_ENTITIES,
  SESSION_AUTH_MIGRATIONS,
} from './persistence/schema';
export {
  ResolvedSessionAuthOptions,
  type AccessAlgorithm,
  type AccessVerificationKey,
  type KeyMaterial,
  type OriginCheck,
  type SessionLimitPolicy,
} from './core/resolved-options';
export { normaliseSessionAuthOptions } from './options/normalise-options';
export type { Duration, SessionAuthKeys, SessionAuthOptions } from './options/session-auth-options';
export { SessionAuthOptionsError } from './options/session-auth-options-error';
