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
import { AppError, ErrorCode, FieldError } from '../errors/app-error';

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
        ACCESS_TOKEN_FAILURES.has(body.code) && request.headers.authorization
          ? `Bearer error="invalid_token", error_description="${body.code}"`
          : 'Bearer realm="session-service"',
      );
    }
    if (exception instanceof AppError && exception.details.retryAfterSeconds !== undefined) {
      reply.header('Retry-After', String(exception.details.retryAfterSeconds));
    }
    reply.header('Cache-Control', 'no-store');
    void reply.status(body.statusCode).type('application/json; charset=utf-8').send(body);
  }

  private toBody(exception: unknown, request: FastifyRequest): ErrorBody {
    if (exception instanceof AppError) {
      return {
        statusCode: exception.status,
        code: exception.code,
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
    const fastifyCode = (exception as { code?: unknown } | null)?.code;
    if (typeof fastifyCode === 'string' && FASTIFY_ERRORS[fastifyCode]) {
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

function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  const status = (exception as { statusCode?: unknown } | null)?.statusCode;
  // Fastify's client errors (bad headers, aborted bodies) carry a 4xx; anything else is ours.
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
