import {
  type ConfigurableModuleAsyncOptions,
  ConfigurableModuleBuilder,
  DynamicModule,
  Module,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RemoteAuthenticator } from './remote-authenticator';
import { ResourceServerGuard } from './resource-server.guard';
import {
  normaliseResourceServerOptions,
  ResolvedResourceServerOptions,
  type ResourceServerOptions,
} from './resource-server-options';
import { RevocationFeed, RevocationFeedTiming } from './revocation-feed';
import { RevocationFeedStatus } from './revocation-feed-status';
import { RevokedTokens } from './revoked-tokens';

/** The options that shape the module itself: given beside `useFactory` in `forRootAsync`. */
export interface ResourceServerExtras {
  /** Makes `RevocationFeedStatus` injectable in every module of the app; default false. */
  isGlobal?: boolean;
}

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } =
  new ConfigurableModuleBuilder<ResourceServerOptions>({ moduleName: 'ResourceServer' })
    .setClassMethodName('forRoot')
    .setExtras<ResourceServerExtras>({ isGlobal: false }, (definition, extras) =>
      withResourceServer(definition, extras),
    )
    .build();

export type ResourceServerForRootOptions = ResourceServerOptions & ResourceServerExtras;
export type ResourceServerForRootAsyncOptions =
  ConfigurableModuleAsyncOptions<ResourceServerOptions> & ResourceServerExtras;

function withResourceServer(
  definition: DynamicModule,
  extras: ResourceServerExtras,
): DynamicModule {
  return {
    ...definition,
    global: extras.isGlobal,
    providers: [
      ...(definition.providers ?? []),
      {
        provide: ResolvedResourceServerOptions,
        inject: [MODULE_OPTIONS_TOKEN],
        useFactory: normaliseResourceServerOptions,
      },
      RevokedTokens,
      RevocationFeedStatus,
      RevocationFeedTiming,
      RevocationFeed,
      RemoteAuthenticator,
      // Registered even with `globalGuard: false`, when it acts only on routes that ask, so that
      // `@Auth()` works in every module of the app without importing this one.
      { provide: APP_GUARD, useClass: ResourceServerGuard },
    ],
    exports: [RevocationFeedStatus],
  };
}

/**
 * For a Nest app that holds no sessions and verifies the service's access tokens itself:
 * `ResourceServerModule.forRoot({ issuer, audience, jwksUrl, revocationFeed: { url, token } })` or
 * `forRootAsync({ imports, inject, useFactory })`. Guards the app's routes with the decorators of
 * `@session-service/nestjs` (all of them with `globalGuard`, else those marked `@Auth()` or
 * `@Roles()`), and refuses the sessions the revocation feed revokes. Needs none of typeorm, pg,
 * argon2 or ioredis.
 */
@Module({})
export class ResourceServerModule extends ConfigurableModuleClass {}
