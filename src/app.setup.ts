import fastifyStatic from '@fastify/static';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet, { HelmetOptions } from 'helmet';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { answerClientError, answerFrameworkError } from './common/filters/framework-errors';
import { createLogger, PinoNestLogger, RequestLogController } from './common/logger';
import { AppConfig } from './config/app-config';
import { fastifyTrustProxy } from './config/trust-proxy';
import { setupDocs } from './docs/swagger';
import type { ServiceMetrics } from './management/service-metrics';
import { WebhookDeliveryOutcomes } from './webhooks/webhook-delivery-outcomes';

export const BODY_LIMIT_BYTES = 16 * 1024;
/** The demo page, built by `npm run build` (scripts/build-public.js) beside the compiled service. */
export const PUBLIC_DIR = join(__dirname, 'public');
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface CreateAppOptions {
  /** The structured logger; one writing to stdout at the configured level when absent. */
  logger?: Logger;
  /** Counts the app's requests and the library's outcomes; nothing is counted when absent. */
  metrics?: ServiceMetrics;
}

/**
 * Builds the whole application, exactly as it serves in production: used by `main.ts` and by every
 * end-to-end test, so that what the tests prove is what runs.
 */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    logController: new RequestLogController(),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    genReqId: requestId,
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    return503OnClosing: true,
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  // Before the app is built: the library installs its Origin and CSRF checks while it is, and
  // its refusals must carry these headers too.
  addResponseHeaders(adapter.getInstance());
  options.metrics?.observeRequests(adapter.getInstance());
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, options.metrics),
    adapter,
    {
      bodyParser: false,
      bufferLogs: true,
      abortOnError: false,
    },
  );
  app.useLogger(new PinoNestLogger(logger));
  if (options.metrics) options.metrics.observeWebhooks(app.get(WebhookDeliveryOutcomes));
  await configureHttp(app, config);
  if (config.docsEnabled) setupDocs(app, config);
  await app.init();
  return app;
}

async function configureHttp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  // JSON is the only body this API takes: anything else is 415, never parsed as text.
  fastify.removeContentTypeParser(['text/plain']);

  app.enableCors({
    origin: config.corsOrigins,
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-CSRF-Token', 'X-Auth-Transport'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'WWW-Authenticate'],
    maxAge: 600,
    // An OPTIONS request that is no browser preflight gets 204, not a plain-text 400 (every error
    // this service gives is JSON).
    strictPreflight: false,
  });

  await registerDemoPage(app);

  // Once the service is stopping, each answer closes its connection: a client that keeps idle
  // connections open (a proxy, a load balancer) would otherwise hold the shutdown to its deadline.
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onSend', async (_request, reply) => {
    if (closing) void reply.header('Connection', 'close');
  });
}

function addResponseHeaders(fastify: FastifyInstance): void {
  const security = securityHeaders();
  fastify.addHook('onRequest', (request, reply, done) => {
    // Answers carry tokens and personal data: no cache keeps them, unless a route says otherwise.
    void reply
      .headers(security)
      .header('X-Request-Id', request.id)
      .header('Cache-Control', 'no-store');
    done();
  });
}

/**
 * The demo page at `/`: static files only, each its own GET route (no wildcard), so that any other
 * path still gets the JSON 404. Not a Nest route, so not in the route-permission table. Skipped
 * when the page was not built (a build of the service alone).
 */
async function registerDemoPage(app: NestFastifyApplication): Promise<void> {
  if (!existsSync(join(PUBLIC_DIR, 'index.html'))) return;
  await app.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/',
    wildcard: false,
    decorateReply: false,
    // The service's own Cache-Control (no-store) stays: the page is small and changes with builds.
    cacheControl: false,
    etag: true,
  });
}

/** Helmet's policy for an API that serves JSON, its docs and one small demo page. */
const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      objectSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
    },
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
};

/**
 * The headers helmet sets for HELMET_OPTIONS, worked out once at start. They never change from one
 * answer to the next, but @fastify/helmet ran helmet() afresh on every request, parsing the whole
 * policy again: a seventh of the CPU of a guarded request.
 */
function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => (headers[name] = String(value)),
    removeHeader: () => undefined,
  };
  helmet(HELMET_OPTIONS)(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    (error?: unknown) => {
      if (error) throw error;
    },
  );
  return headers;
}

function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}
