/**
 * `@session-service/nestjs/resource-server`: for apps that verify the service's access tokens
 * without holding sessions. Loads nothing that needs typeorm, pg, argon2 or ioredis (a unit test
 * walks the import graph from here to keep it so).
 */
export type { Duration } from '../core/duration';
export type { AuthenticatedUser } from '../core/types';
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
} from '../http/decorators';
export {
  type ContractError,
  type ContractErrorBody,
  SessionAuthHttpException,
} from '../http/errors/contract-body';
export {
  ResourceServerModule,
  type ResourceServerExtras,
  type ResourceServerForRootAsyncOptions,
  type ResourceServerForRootOptions,
} from './resource-server.module';
export {
  ResourceServerOptionsError,
  type ResourceServerOptions,
  type RevocationFeedOptions,
} from './resource-server-options';
export { ResourceServerGuard } from './resource-server.guard';
export {
  RevocationFeedStatus,
  type RevocationFeedDescription,
  type RevocationFeedState,
} from './revocation-feed-status';
