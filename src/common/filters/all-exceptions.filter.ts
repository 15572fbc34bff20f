import { httpStatusOf, publicCodeOf } from '@session-service/nestjs/internal';
import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SessionAuthError, type ErrorCode, type FieldError } from '@session-service/nestjs';

interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  errors?: FieldError[];
}

/** Fastify's own failures before a handler runs (body parsing, limits), by their stable codes. */
const FASTIFY_ERRORS: Record<string, [HttpStatus, ErrorCode, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [
    HttpStatus.PAYLOAD_TOO_LARGE,
    'payload_too_large',
    'The request body is larger than 16 KB.',
  ],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    'unsupported_media_type',
    'The request body must be JSON (Content-Type: application/json).',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    HttpStatus.BAD_REQUEST,
    'malformed_json',
    'The request body does not match its Content-Length.',
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [
    HttpStatus.BAD_REQUEST,
    'malformed_json',
    'The request body is empty but declared as JSON.',
  ],
  FST_ERR_CTP_INVALID_JSON_BODY: [
    HttpStatus.BAD_REQUEST,
    'malformed_json',
    'The request body is not valid JSON.',
  ],
};

const STATUS_CODES: Partial<Record<number, [ErrorCode, string]>> = {
  400: ['validation_failed', 'The request is not valid.'],
  401: ['access_token_missing', 'Authentication is required.'],
  403: ['forbidden', 'You are not allowed to do this.'],
  404: ['not_found', 'There is nothing here.'],
  405: ['not_found', 'There is nothing here.'],
  413: ['payload_too_large', 'The request body is larger than 16 KB.'],
  415: ['unsupported_media_type', 'The request body must be JSON.'],
  429: ['too_many_requests', 'Too many requests; slow down.'],
  503: ['service_unavailable', 'The service is unavailable; try again shortly.'],
};

const ACCESS_TOKEN_FAILURES: ReadonlySet<ErrorCode> = new Set([
  'access_token_invalid',
  'access_token_expired',
  'session_revoked',
]);

/**
 * The one place that turns any failure into the contract's JSON. Known failures keep their code;
 * anything unknown becomes a bare 500, logged with the request id and never shown to the client.
 */
/** A request that brought a Bearer credential (any other Authorization scheme is none). */
const BEARER_SCHEME = /^\s*bearer\s/i;

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const body = this.toBody(exception, request);

    if (body.statusCode === HttpStatus.UNAUTHORIZED) {
      reply.header(
        'WWW-Authenticate',
        ACCESS_TOKEN_FAILURES.has(body.code) &&
          BEARER_SCHEME.test(request.headers.authorization ?? '')
          ? `Bearer error="invalid_token", error_description="${body.code}"`
          : 'Bearer realm="session-service"',
      );
    }
    if (
      exception instanceof SessionAuthError &&
      exception.details.retryAfterSeconds !== undefined
    ) {
      reply.header('Retry-After', String(exception.details.retryAfterSeconds));
    }
    reply.header('Cache-Control', 'no-store');
    void reply.status(body.statusCode).type('application/json; charset=utf-8').send(body);
  }

  private toBody(exception: unknown, request: FastifyRequest): ErrorBody {
    if (exception instanceof SessionAuthError) {
      return {
        statusCode: httpStatusOf(exception.reason),
        code: publicCodeOf(exception.reason),
        message: exception.message,
        ...(exception.details.errors ? { errors: exception.details.errors } : {}),
      };
    }
    if (exception instanceof ThrottlerException) {
      return {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        code: 'too_many_requests',
        message: 'Too many requests; slow down.',
      };
    }
    const fastifyCode = fastifyErrorCode(exception);
    if (fastifyCode !== undefined && FASTIFY_ERRORS[fastifyCode]) {
      const [statusCode, code, message] = FASTIFY_ERRORS[fastifyCode];
      return { statusCode, code, message };
    }
    if (exception instanceof SyntaxError && statusOf(exception) === HttpStatus.BAD_REQUEST) {
      return {
        statusCode: HttpStatus.BAD_REQUEST,
        code: 'malformed_json',
        message: 'The request body is not valid JSON.',
      };
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({
        msg: 'Database unavailable',
        requestId: request.id,
        err: String(exception),
      });
      return {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        code: 'service_unavailable',
        message: 'The service is unavailable; try again shortly.',
      };
    }
    const status = statusOf(exception);
    const known = status !== undefined ? STATUS_CODES[status] : undefined;
    if (status !== undefined && known) {
      return { statusCode: status, code: known[0], message: known[1] };
    }
    this.logger.error({
      msg: 'Unhandled error',
      requestId: request.id,
      method: request.method,
      url: request.url,
      err: exception instanceof Error ? exception : String(exception),
    });
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      code: 'internal_error',
      message: 'Something went wrong on our side.',
    };
  }
}

/** Nest's Fastify adapter wraps Fastify's own errors in an HttpException, the original as its cause. */
function fastifyErrorCode(exception: unknown): string | undefined {
  const error = exception as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = error?.code ?? error?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  const status = (exception as { statusCode?: unknown } | null)?.statusCode;
  // Fastify's client errors (bad headers, aborted bodies) carry a 4xx; anything else is ours.
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
]);

/**
 * A passing failure to reach PostgreSQL: connection refused or lost, pool timeout, server shutting
 * down (SQLSTATE class 08 and 57P0x). Answered 503 so that clients keep good sessions.
 */
function isDatabaseUnavailable(exception: unknown): boolean {
  for (let error = exception, depth = 0; error && depth < 4; depth++) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (CONNECTION_ERRORS.has(code) || code.startsWith('08') || /^57P0[1-3]$/.test(code)) {
        return true;
      }
    }
    if (
      typeof message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(
        message,
      )
    ) {
      return true;
    }
    error =
      (error as { driverError?: unknown; cause?: unknown }).driverError ??
      (error as { cause?: unknown }).cause;
  }
  return false;
}
