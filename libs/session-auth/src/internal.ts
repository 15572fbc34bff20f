/**
 * The library's internals, for this repository's own tooling alone: the benchmark runs the exact
 * SQL the service runs, and some tests reach below the public API. Not a public API: it changes
 * without notice. The service itself (`src/`) uses only the public entry point.
 */
export { formatDuration, parseDuration } from './core/duration';
export * from './core/types';
export { isUuid } from './core/uuid';
export { csrfTokenFor, isValidCsrfToken } from './domain/csrf';
export { addressNetwork } from './domain/limits/address-network';
export { deviceIdOf, issueDeviceCookie } from './domain/limits/device-cookie';
export {
  type LockoutClient,
  LoginLockout,
  type PasswordAttempt,
  UNTRUSTED_CLIENT_FAILURES_FACTOR,
} from './domain/limits/login-lockout';
export { RevokedSessions } from './domain/sessions/revoked-sessions';
export * from './domain/sessions/rotation';
export { AccessTokens, type SignedAccessToken } from './domain/tokens/access-tokens';
export type { AccessClaims } from './domain/tokens/access-claims';
export { JwkSet, type JwkSetDocument } from './domain/tokens/jwk-set';
export { RefreshTokens } from './domain/tokens/refresh-tokens';
export { clientAddress, type PlatformRequest } from './http/client-address';
export { httpStatusOf, publicCodeOf } from './http/errors/error-status';
export { CounterStore, type WindowCount } from './persistence/counters/counter-store';
export {
  MAX_MEMORY_ENTRIES,
  MemoryCounterStore,
} from './persistence/counters/memory-counter-store';
export { RedisCounterStore } from './persistence/counters/redis-counter-store';
export { LoginFailure } from './persistence/entities/login-failure.entity';
export {
  SECURITY_EVENT_TYPES,
  SecurityEvent,
  type SecurityEventType,
} from './persistence/entities/security-event.entity';
export { Session } from './persistence/entities/session.entity';
export type { RevocationReason } from './core/observer';
export { User } from './persistence/entities/user.entity';
export { UserRoleChange } from './persistence/entities/user-role-change.entity';
export {
  type FailureCount,
  LoginFailuresRepository,
} from './persistence/login-failures.repository';
export { PgPool, type Sql } from './persistence/pg-pool';
export {
  RevocationListener,
  RevocationListenerOptions,
  type RevocationSink,
} from './persistence/revocation-listener';
export { assertSessionAuthSchema } from './persistence/schema';
export {
  type SecurityEventInput,
  SecurityEventsRepository,
} from './persistence/security-events.repository';
export {
  type NewRefreshToken,
  type NewSession,
  DELETE_ENDED_SESSIONS,
  REVOCATION_CHANNEL,
  type RevocationEvent,
  type RevocationTarget,
  ROTATE_LIVE_TOKEN,
  type RotationRow,
  type SessionEvent,
  SessionsRepository,
} from './persistence/sessions.repository';
export {
  USER_ROLE_CHANGE_JSON,
  UserRoleChangesRepository,
} from './persistence/user-role-changes.repository';
export {
  ROLE_CHANGE_JSON,
  type RoleChange,
  ROLES_CHANNEL,
  UsersRepository,
} from './persistence/users.repository';
export { ARGON2_OPTIONS, PasswordHasher } from './users/builtin/password-hasher';
export {
  COMMON_PASSWORD_COUNT,
  COMMON_PASSWORD_MESSAGE,
  EMAIL_PASSWORD_MESSAGE,
  isCommonPassword,
  isTheEmail,
} from './users/builtin/password-policy';
export { UsersService } from './users/builtin/users.service';
