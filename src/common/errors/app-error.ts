import { HttpStatus } from '@nestjs/common';

/** The stable error codes of the HTTP contract, one place so that a typo is a type error. */
export type ErrorCode =
  | 'validation_failed'
  | 'malformed_json'
  | 'access_token_missing'
  | 'access_token_invalid'
  | 'access_token_expired'
  | 'refresh_token_missing'
  | 'refresh_token_invalid'
  | 'refresh_token_expired'
  | 'refresh_token_reused'
  | 'session_revoked'
  | 'session_expired'
  | 'invalid_credentials'
  | 'csrf_token_invalid'
  | 'origin_not_allowed'
  | 'forbidden'
  | 'not_found'
  | 'session_not_found'
  | 'email_taken'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'too_many_requests'
  | 'service_unavailable'
  | 'internal_error';

export interface FieldError {
  field: string;
  messages: string[];
}

/**
 * A failure the client is meant to see: a status, a stable code and a message safe to show.
 * Services throw these; the one exception filter turns them into the contract's JSON.
 */
export class AppError extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly code: ErrorCode,
    message: string,
    readonly details: { errors?: FieldError[]; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  static unauthorized(code: ErrorCode, message: string): AppError {
    return new AppError(HttpStatus.UNAUTHORIZED, code, message);
  }

  static forbidden(code: ErrorCode, message: string): AppError {
    return new AppError(HttpStatus.FORBIDDEN, code, message);
  }

  static notFound(code: ErrorCode, message: string): AppError {
    return new AppError(HttpStatus.NOT_FOUND, code, message);
  }

  static unavailable(message = 'The service is unavailable; try again shortly.'): AppError {
    return new AppError(HttpStatus.SERVICE_UNAVAILABLE, 'service_unavailable', message);
  }
}
