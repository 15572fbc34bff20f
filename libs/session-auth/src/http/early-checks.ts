import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SessionAuthError } from '../core/errors';
import { ResolvedSessionAuthOptions } from '../core/resolved-options';
import { ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE } from './cookies';
import { Credentials } from './credentials';
import { contractBodyOf } from './errors/contract-body';
import { headerOf, type HttpRequest, pathOf } from './request';
import { RoutePaths } from './routes';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SESSION_COOKIES = [ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE];
/** The largest body the library's routes take. */
export const BODY_LIMIT_BYTES = 16 * 1024;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

type Refusal = { status: number; body: ReturnType<typeof contractBodyOf>['body'] };

/**
 * The browser defences, run on every request before its body is read, in the contract's order:
 * Origin, then CSRF, then (the library's routes only) the body's type and size, so that a
 * cross-site form post gets 403, not 415.
 * - Origin: an unsafe request from an origin that is neither the app's nor allowed is refused,
 *   whatever its credentials: every such request with `originCheck: 'all'`, else those to the
 *   library's routes or carrying its cookies (the app's other routes keep their own CORS rules).
 * - CSRF: decided with the credential itself (see Credentials), so the guards authenticate with
 *   the very credential whose CSRF value was checked.
 *
 * Installed on the platform itself (an Express middleware, a Fastify `onRequest` hook) as soon as
 * Nest has its HTTP adapter, which is before `app.init()` mounts the body parser: a Nest
 * middleware would run after it.
 */
@Injectable()
export class EarlyChecks implements OnModuleInit {
  private installed = false;
  private readonly allowedOrigins: ReadonlySet<string>;

  constructor(
    adapterHost: HttpAdapterHost,
    private readonly options: ResolvedSessionAuthOptions,
    private readonly credentials: Credentials,
    private readonly routes: RoutePaths,
  ) {
    this.allowedOrigins = new Set([options.publicUrl, ...options.corsOrigins]);
    adapterHost.init$.subscribe(() => this.install(adapterHost));
  }

  onModuleInit(): void {
    if (!this.installed) {
      throw new Error(
        'SessionAuthModule: the HTTP adapter was not ready while the module was built, so the ' +
          'Origin and CSRF checks could not be installed. Create the app with NestFactory.create().',
      );
    }
  }

  /**
   * The refusal a request gets before its body is read, or null to let it through. `library`:
   * whether the request is for one of the library's routes.
   */
  check(request: HttpRequest, library: boolean): Refusal | null {
    if (SAFE_METHODS.has(request.method)) return null;
    try {
      const origin = headerOf(request, 'origin');
      if (
        origin !== undefined &&
        !this.allowedOrigins.has(origin) &&
        this.guardsOrigin(request, library)
      ) {
        throw new SessionAuthError(
          'origin_not_allowed',
          'Requests from this origin are not allowed.',
        );
      }
      this.credentials.of(request);
      if (library) checkBody(request);
      return null;
    } catch (error) {
      if (!(error instanceof SessionAuthError)) throw error;
      return contractBodyOf(error);
    }
  }

  /** Whether the Origin check covers this request (see `SessionAuthOptions.originCheck`). */
  private guardsOrigin(request: HttpRequest, library: boolean): boolean {
    if (this.options.originCheck === 'all' || library) return true;
    const cookie = headerOf(request, 'cookie');
    return cookie !== undefined && SESSION_COOKIES.some((name) => cookie.includes(`${name}=`));
  }

  private isLibraryRoute(request: HttpRequest): boolean {
    return this.routes.isLibraryRoute(pathOf(request), request.method);
  }

  private install(adapterHost: HttpAdapterHost): void {
    const adapter = adapterHost.httpAdapter;
    const type = adapter.getType();
    if (type === 'fastify') {
      const fastify = adapter.getInstance<{
        addHook(
          name: 'onRequest',
          hook: (request: HttpRequest, reply: FastifyLike) => unknown,
        ): void;
      }>();
      fastify.addHook('onRequest', async (request, reply) => {
        const library = this.isLibraryRoute(request);
        // The library's answers carry tokens and personal data: no cache keeps them.
        if (library) reply.header('Cache-Control', 'no-store');
        const refusal = this.check(request, library);
        if (!refusal) return;
        return reply
          .code(refusal.status)
          .header('Cache-Control', 'no-store')
          .type('application/json; charset=utf-8')
          .send(refusal.body);
      });
    } else if (type === 'express') {
      const express = adapter.getInstance<{
        use(
          middleware: (request: HttpRequest, response: ExpressLike, next: () => void) => void,
        ): void;
      }>();
      express.use((request, response, next) => {
        const library = this.isLibraryRoute(request);
        if (library) response.set('Cache-Control', 'no-store');
        const refusal = this.check(request, library);
        if (!refusal) return next();
        response.status(refusal.status).set('Cache-Control', 'no-store').json(refusal.body);
      });
    } else {
      throw new Error(`SessionAuthModule runs on Express or Fastify, not on "${type}".`);
    }
    this.installed = true;
  }
}

interface FastifyLike {
  code(status: number): FastifyLike;
  header(name: string, value: string): FastifyLike;
  type(value: string): FastifyLike;
  send(body: unknown): FastifyLike;
}

interface ExpressLike {
  status(status: number): ExpressLike;
  set(name: string, value: string): ExpressLike;
  json(body: unknown): void;
}

/** JSON only, at most 16 KB, judged from the headers before a byte of the body is read. */
function checkBody(request: HttpRequest): void {
  const length = Number(headerOf(request, 'content-length') ?? 0);
  const chunked = headerOf(request, 'transfer-encoding') !== undefined;
  if (!chunked && !(length > 0)) return;
  const type = headerOf(request, 'content-type');
  if (type === undefined || !JSON_TYPE.test(type)) {
    throw new SessionAuthError(
      'unsupported_media_type',
      'The request body must be JSON (Content-Type: application/json).',
    );
  }
  if (length > BODY_LIMIT_BYTES) {
    throw new SessionAuthError('payload_too_large', 'The request body is larger than 16 KB.');
  }
}
