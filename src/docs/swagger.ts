import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ACCESS_COOKIE_SCHEME, BEARER_SCHEME } from '@session-service/nestjs';
import { AppConfig } from '../config/app-config';

const ACCESS_COOKIE = '__Host-access_token';

// Swagger UI styles itself inline and draws its icons from data: URLs; nothing else is relaxed.
const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
].join('; ');

/** Swagger UI at /docs and the OpenAPI 3 document at /docs-json. */
export function setupDocs(app: NestFastifyApplication, config: AppConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Session service')
      .setDescription(
        'Short-lived access tokens, rotating refresh-token families with reuse detection, ' +
          'and httpOnly cookies for browsers. Sign in with `POST /auth/login`, then press ' +
          '"Authorize" and paste the `accessToken` as the Bearer token.',
      )
      .setVersion('1.0')
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token' },
        BEARER_SCHEME,
      )
      .addCookieAuth(
        ACCESS_COOKIE,
        { type: 'apiKey', in: 'cookie', name: ACCESS_COOKIE, description: 'Browser sessions' },
        ACCESS_COOKIE_SCHEME,
      )
      .build(),
  );
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'Session service API',
    swaggerOptions: { persistAuthorization: false, displayRequestDuration: true },
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (request, reply) => {
    if (request.url === '/docs' || request.url.startsWith('/docs/')) {
      void reply.header('Content-Security-Policy', DOCS_CSP);
    }
  });
  void config;
}
