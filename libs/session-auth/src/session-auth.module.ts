import {
  type ConfigurableModuleAsyncOptions,
  ConfigurableModuleBuilder,
  DynamicModule,
  Module,
  Provider,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, RouterModule } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ResolvedSessionAuthOptions } from './core/resolved-options';
import { SESSION_AUTH_USERS, type SessionAuthUsers } from './core/users';
import { AuthService } from './domain/auth.service';
import { LoginLockout } from './domain/limits/login-lockout';
import { RateLimiter } from './domain/limits/rate-limit';
import { Housekeeping } from './domain/sessions/housekeeping';
import { RevocationFeed } from './domain/sessions/revocation-feed';
import { RevokedSessions } from './domain/sessions/revoked-sessions';
import { SessionsService } from './domain/sessions/sessions.service';
import { AccessTokens } from './domain/tokens/access-tokens';
import { JwkSet } from './domain/tokens/jwk-set';
import { RefreshTokens } from './domain/tokens/refresh-tokens';
import { SessionAuthGuard } from './http/auth.guard';
import { AdminSessionsController } from './http/controllers/admin-sessions.controller';
import {
  AuthController,
  PasswordController,
  ReauthenticateController,
  RegisterController,
} from './http/controllers/auth.controller';
import { JwksController } from './http/controllers/jwks.controller';
import { RevocationsController } from './http/controllers/revocations.controller';
import { SessionsController } from './http/controllers/sessions.controller';
import {
  AccountDeletionController,
  UsersMeController,
} from './http/controllers/users-me.controller';
import { SessionCookies } from './http/cookies';
import { Credentials } from './http/credentials';
import { EarlyChecks } from './http/early-checks';
import { RateLimitGuard } from './http/rate-limit.guard';
import { LogoutGuard, RefreshTokenGuard } from './http/refresh-token.guard';
import { RoutePaths } from './http/routes';
import { AccessTokenStrategy, RefreshTokenStrategy } from './http/strategies';
import { normaliseSessionAuthOptions } from './options/normalise-options';
import type { SessionAuthOptions } from './options/session-auth-options';
import { CounterStore } from './persistence/counters/counter-store';
import { MemoryCounterStore } from './persistence/counters/memory-counter-store';
import { RedisCounterStore } from './persistence/counters/redis-counter-store';
import { LoginFailuresRepository } from './persistence/login-failures.repository';
import { RevocationListener, RevocationListenerOptions } from './persistence/revocation-listener';
import { RevocationLogRepository } from './persistence/revocation-log.repository';
import { SecurityEventsRepository } from './persistence/security-events.repository';
import { assertSessionAuthSchema } from './persistence/schema';
import { SessionsRepository } from './persistence/sessions.repository';
import { UserRoleChangesRepository } from './persistence/user-role-changes.repository';
import { UsersRepository } from './persistence/users.repository';
import { BuiltinUsers } from './users/builtin/builtin-users';
import { PasswordHasher } from './users/builtin/password-hasher';
import { UsersService } from './users/builtin/users.service';

/** The options that shape the module itself: given beside `useFactory` in `forRootAsync`. */
export interface SessionAuthExtras {
  /** Mounts the library's routes under this path (`'/api'`); default `''`. */
  routePrefix?: string;
  /** The app's own accounts; undefined: the built-in ones. See `SessionAuthOptions.users`. */
  users?: SessionAuthUsers | Type<SessionAuthUsers>;
  /** Makes `SessionsService` injectable in every module of the app; default false. */
  isGlobal?: boolean;
}

/** What `forRoot` takes besides the extras, and what `forRootAsync`'s factory returns. */
export type SessionAuthModuleOptions = Omit<SessionAuthOptions, 'routePrefix' | 'users'>;

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } =
  new ConfigurableModuleBuilder<SessionAuthModuleOptions>({ moduleName: 'SessionAuth' })
    .setClassMethodName('forRoot')
    .setExtras<SessionAuthExtras>(
      { routePrefix: '', users: undefined, isGlobal: false },
      (definition, extras) => withSessionAuth(definition, extras),
    )
    .build();

export type SessionAuthForRootOptions = SessionAuthModuleOptions & SessionAuthExtras;
export type SessionAuthForRootAsyncOptions =
  ConfigurableModuleAsyncOptions<SessionAuthModuleOptions> & SessionAuthExtras;

/** Everything the sessions, tokens, limits and the HTTP layer are made of. */
const PROVIDERS: Provider[] = [
  AccessTokens,
  RefreshTokens,
  JwkSet,
  SessionsService,
  SessionsRepository,
  UserRoleChangesRepository,
  SecurityEventsRepository,
  LoginFailuresRepository,
  RevokedSessions,
  RevocationListener,
  RevocationLogRepository,
  RevocationFeed,
  LoginLockout,
  RateLimiter,
  Housekeeping,
  AuthService,
  RoutePaths,
  Credentials,
  SessionCookies,
  EarlyChecks,
  AccessTokenStrategy,
  RefreshTokenStrategy,
  RefreshTokenGuard,
  LogoutGuard,
  {
    provide: CounterStore,
    inject: [ResolvedSessionAuthOptions],
    useFactory: async (options: ResolvedSessionAuthOptions): Promise<CounterStore> =>
      options.redisUrl
        ? RedisCounterStore.connect(options.redisUrl, options.redisKeyPrefix)
        : new MemoryCounterStore(),
  },
  {
    provide: RevocationListenerOptions,
    inject: [getDataSourceToken(), ResolvedSessionAuthOptions],
    useFactory: (
      dataSource: DataSource,
      options: ResolvedSessionAuthOptions,
    ): RevocationListenerOptions => ({
      connectionString: options.databaseDirectUrl ?? connectionStringOf(dataSource),
    }),
  },
  {
    // Fails the start, naming the missing tables, when the app's DataSource lacks our migrations.
    provide: 'SessionAuthSchemaCheck',
    inject: [getDataSourceToken(), ResolvedSessionAuthOptions],
    useFactory: (dataSource: DataSource, options: ResolvedSessionAuthOptions) =>
      assertSessionAuthSchema(dataSource, options.builtinUsers),
  },
  // Global guards run in this order: the rate limit first, so that every request counts. Both
  // act only on the routes that ask (and with `globalGuard`, every route for authentication).
  { provide: APP_GUARD, useClass: RateLimitGuard },
  { provide: APP_GUARD, useClass: SessionAuthGuard },
];

function withSessionAuth(definition: DynamicModule, extras: SessionAuthExtras): DynamicModule {
  const builtin = extras.users === undefined;
  // Optional routes follow the optional methods, known before any instance exists.
  const users: Partial<SessionAuthUsers> | undefined =
    typeof extras.users === 'function'
      ? (extras.users.prototype as Partial<SessionAuthUsers>)
      : extras.users;
  const changesPasswords = builtin || typeof users?.changePassword === 'function';
  const verifiesPasswords = builtin || typeof users?.verifyPassword === 'function';
  const routePrefix = extras.routePrefix ?? '';
  return {
    ...definition,
    global: extras.isGlobal,
    imports: [
      ...(definition.imports ?? []),
      ...(routePrefix
        ? [RouterModule.register([{ path: routePrefix, module: SessionAuthModule }])]
        : []),
    ],
    controllers: [
      AuthController,
      ...(builtin ? [RegisterController] : []),
      ...(changesPasswords ? [PasswordController] : []),
      ...(verifiesPasswords ? [ReauthenticateController] : []),
      SessionsController,
      AdminSessionsController,
      UsersMeController,
      ...(builtin ? [AccountDeletionController] : []),
      JwksController,
      RevocationsController,
    ],
    providers: [
      ...(definition.providers ?? []),
      {
        provide: ResolvedSessionAuthOptions,
        inject: [MODULE_OPTIONS_TOKEN],
        useFactory: (options: SessionAuthModuleOptions) =>
          normaliseSessionAuthOptions({ ...options, routePrefix, users: extras.users }),
      },
      ...PROVIDERS,
      ...usersProviders(extras.users),
    ],
    exports: [SessionsService, ResolvedSessionAuthOptions],
  };
}

function usersProviders(users: SessionAuthExtras['users']): Provider[] {
  if (users === undefined) {
    return [
      UsersRepository,
      UsersService,
      PasswordHasher,
      BuiltinUsers,
      { provide: SESSION_AUTH_USERS, useExisting: BuiltinUsers },
    ];
  }
  return typeof users === 'function'
    ? [{ provide: SESSION_AUTH_USERS, useClass: users }]
    : [{ provide: SESSION_AUTH_USERS, useValue: users }];
}

/** Without `databaseDirectUrl`, the revocation listener connects where the app's DataSource does. */
function connectionStringOf(dataSource: DataSource): string | undefined {
  const options = dataSource.options as {
    url?: string;
    host?: string;
    port?: number;
    username?: string;
    password?: string;
    database?: string;
  };
  if (options.url) return options.url;
  const url = new URL('postgresql://localhost');
  url.hostname = options.host ?? 'localhost';
  if (options.port) url.port = String(options.port);
  if (options.username) url.username = encodeURIComponent(options.username);
  if (options.password) url.password = encodeURIComponent(options.password);
  if (options.database) url.pathname = `/${encodeURIComponent(options.database)}`;
  return url.toString();
}

/**
 * Sessions for the app: `SessionAuthModule.forRoot(options)` or `forRootAsync({ imports, inject,
 * useFactory })`. Mounts the contract's routes, installs the Origin and CSRF checks, and guards
 * the app's routes (all of them with `globalGuard`, else those marked `@Auth()` or `@Roles()`).
 * The app's TypeORM DataSource must list `SESSION_AUTH_ENTITIES` and `SESSION_AUTH_MIGRATIONS`.
 */
@Module({})
export class SessionAuthModule extends ConfigurableModuleClass {}
