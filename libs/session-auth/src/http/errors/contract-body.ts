import { HttpException, HttpStatus } from '@nestjs/common';
import { type ErrorCode, type FieldError, SessionAuthError } from '../../core/errors';
import { httpStatusOf, publicCodeOf } from './error-status';
import { platformErrorOf } from './platform-errors';

/** The one error shape every failing answer has. */
export interface ContractErrorBody {
  statusCode: number;
  code: ErrorCode;
  message: string;
  errors?: FieldError[];
}

/** An answer to a failure: its status, body and the headers that go with it. */
export interface ContractError {
  status: number;
  body: ContractErrorBody;
  headers: Record<string, string>;
}

/** The 401s that refuse the Bearer credential presented, as RFC 6750's `invalid_token`. */
const ACCESS_TOKEN_FAILURES: ReadonlySet<ErrorCode> = new Set([
  'access_token_invalid',
  'access_token_expired',
  'session_revoked',
  'feed_token_invalid',
]);

/** A request that brought a Bearer credential (any other Authorization scheme is none). */
const BEARER_SCHEME = /^\s*bearer\s/i;

/** The answer to one of the library's own errors. */
export function contractBodyOf(error: SessionAuthError, authorization?: string): ContractError {
  const status = httpStatusOf(error.reason);
  const body: ContractErrorBody = {
    statusCode: status,
    code: publicCodeOf(error.reason),
    message: error.message,
    ...(error.details.errors ? { errors: error.details.errors } : {}),
  };
  return withHeaders(
    status,
    body,
    authorization,
    error.details.retryAfterSeconds,
    error.details.maxAgeSeconds,
  );
}

/**
 * One of the library's errors as Nest's own exception, for the guards to throw on the app's
 * routes: Nest's default exception filter sends its body as it is, so the app answers in the
 * contract's shape without any filter of ours; an app with a catch-all filter of its own keeps
 * its shape (and may call `toContractError` for ours).
 */
export class SessionAuthHttpException extends HttpException {
  constructor(readonly answer: ContractError) {
    super(answer.body, answer.status);
  }
}

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

/**
 * Any failure as the contract's answer: the library's errors keep their code, the platforms'
 * body-parsing failures and Nest's HTTP exceptions get theirs, a database out of reach is 503.
 * Null for what is unknown: the caller logs it and answers a bare 500.
 */
export function toContractError(exception: unknown, authorization?: string): ContractError | null {
  if (exception instanceof SessionAuthHttpException) return exception.answer;
  if (exception instanceof SessionAuthError) return contractBodyOf(exception, authorization);
  const platform = platformErrorOf(exception);
  if (platform) return withHeaders(platform[0], body(...platform));
  if (isDatabaseUnavailable(exception)) {
    return withHeaders(
      503,
      body(503, 'service_unavailable', 'The service is unavailable; try again shortly.'),
    );
  }
  const status = statusOf(exception);
  const known = status !== undefined ? STATUS_CODES[status] : undefined;
  if (status !== undefined && known)
    return withHeaders(status, body(status, ...known), authorization);
  return null;
}

export const INTERNAL_ERROR: ContractError = withHeaders(
  500,
  body(500, 'internal_error', 'Something went wrong on our side.'),
);

function body(statusCode: number, code: ErrorCode, message: string): ContractErrorBody {
  return { statusCode, code, message };
}

function withHeaders(
  status: number,
  body: ContractErrorBody,
  authorization?: string,
  retryAfterSeconds?: number,
  maxAgeSeconds?: number,
): ContractError {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (body.code === 'reauthentication_required') {
    // RFC 9470's step-up challenge, for cookie requests too: it is how a client learns max_age.
    headers['WWW-Authenticate'] =
      `Bearer error="insufficient_user_authentication", ` +
      `error_description="A more recent authentication is required.", max_age=${maxAgeSeconds}`;
  } else if (status === HttpStatus.UNAUTHORIZED) {
    headers['WWW-Authenticate'] =
      ACCESS_TOKEN_FAILURES.has(body.code) && BEARER_SCHEME.test(authorization ?? '')
        ? `Bearer error="invalid_token", error_description="${body.code}"`
        : 'Bearer realm="session-service"';
  }
  if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(retryAfterSeconds);
  return { status, body, headers };
}

function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  const status = (exception as { statusCode?: unknown } | null)?.statusCode;
  // The platforms' client errors (bad headers, aborted bodies) carry a 4xx; anything else is ours.
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
export function isDatabaseUnavailable(exception: unknown): boolean {
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
