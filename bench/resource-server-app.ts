/**
 * The bench's resource server: a Nest app on Fastify (the service's platform) that holds no
 * sessions and verifies the service's access tokens with `@session-service/nestjs/resource-server`,
 * as the built package (`libs/session-auth/dist`) through the workspace link. One guarded route and
 * one public one, so that their ratio is the guard's cost as the service's `/auth/me ÷ /health` is.
 *
 * Environment: ISSUER, JWKS_URL, FEED_URL, FEED_TOKEN, PORT. Started by bench/lib/service.ts with an
 * IPC channel: it sends 'ready' once it listens and the revocation feed is caught up and live.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  type AuthenticatedUser,
  CurrentUser,
  Public,
  ResourceServerModule,
  RevocationFeedStatus,
} from '@session-service/nestjs/resource-server';

const HOST = '127.0.0.1';
/** The feed client waits up to 5 s for its first catch-up; the stream opens right after. */
const FEED_LIVE_TIMEOUT_MS = 15_000;

@Controller()
class ResourceController {
  @Get('me')
  me(@CurrentUser() user: AuthenticatedUser) {
    return { id: user.id, sessionId: user.sessionId, roles: user.roles };
  }

  @Public()
  @Get('health')
  health() {
    return { status: 'ok' };
  }
}

@Module({
  imports: [
    ResourceServerModule.forRoot({
      issuer: process.env.ISSUER ?? '',
      jwksUrl: process.env.JWKS_URL ?? '',
      revocationFeed: { url: process.env.FEED_URL ?? '', token: process.env.FEED_TOKEN ?? '' },
    }),
  ],
  controllers: [ResourceController],
})
class ResourceServerAppModule {}

/** Resolves once the feed is up, so that the bench never measures a server that misses revocations. */
async function feedLive(app: NestFastifyApplication): Promise<void> {
  const status = app.get(RevocationFeedStatus);
  const deadline = Date.now() + FEED_LIVE_TIMEOUT_MS;
  while (!status.isHealthy()) {
    if (Date.now() > deadline) {
      const { state, problem } = status.describe();
      throw new Error(`the revocation feed is ${state}: ${problem ?? 'no answer yet'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(
    ResourceServerAppModule,
    new FastifyAdapter(),
    { logger: ['error', 'warn'] },
  );
  await app.listen({ port: Number(process.env.PORT ?? '0'), host: HOST });
  await feedLive(app);
  // A clean stop exits 0, as the service's does: the bench treats anything else as a failure.
  process.once('SIGTERM', () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.send?.('ready');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `resource server: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
