import 'reflect-metadata';
import {
  Controller,
  type DynamicModule,
  Get,
  Module,
  ServiceUnavailableException,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import {
  type AuthenticatedUser,
  CurrentUser,
  Public,
  ResourceServerModule,
  type ResourceServerOptions,
  RevocationFeedStatus,
  Roles,
} from '@session-service/nestjs/resource-server';

const HOST = '127.0.0.1';

/** An app's own routes: closed by the global guard unless `@Public()`. */
@Controller()
class NotesController {
  constructor(private readonly feed: RevocationFeedStatus) {}

  @Get('notes')
  notes(@CurrentUser() user: AuthenticatedUser) {
    return { owner: user.id, sessionId: user.sessionId, roles: user.roles };
  }

  @Roles('admin')
  @Get('admin/notes')
  adminNotes(@CurrentUser() user: AuthenticatedUser) {
    return { admin: user.id };
  }

  @Public()
  @Get('hello')
  hello() {
    return { hello: 'world' };
  }

  /** Readiness as an app would write it: 503 while the feed is not caught up and live. */
  @Public()
  @Get('ready')
  ready() {
    const feed = this.feed.describe();
    if (!feed.healthy) throw new ServiceUnavailableException(feed);
    return feed;
  }
}

@Module({})
class AppModule {
  static forRoot(options: ResourceServerOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [ResourceServerModule.forRoot(options)],
      controllers: [NotesController],
    };
  }
}

/** From the environment: ISSUER, JWKS_URL, and optionally AUDIENCE, FEED_URL + FEED_TOKEN, MAX_FEED_SILENCE. */
function optionsFrom(env: NodeJS.ProcessEnv): ResourceServerOptions {
  return {
    issuer: env.ISSUER ?? '',
    audience: env.AUDIENCE,
    jwksUrl: env.JWKS_URL ?? '',
    revocationFeed: env.FEED_URL ? { url: env.FEED_URL, token: env.FEED_TOKEN ?? '' } : undefined,
    maxFeedSilence: env.MAX_FEED_SILENCE as ResourceServerOptions['maxFeedSilence'],
  };
}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(
    AppModule.forRoot(optionsFrom(process.env)),
    new ExpressAdapter(),
    {
      logger: ['log', 'error', 'warn'],
    },
  );
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? '0'), HOST);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  // The line the tests wait for, in the shape the service prints.
  console.log(JSON.stringify({ msg: `Listening on ${HOST}:${port}`, port }));
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
