/**
 * The stable error codes a client reads in `{ statusCode, code, message }`: one union, so that a
 * typo is a type error.
 */
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
  | 'feed_token_invalid'
  | 'reauthentication_required'
  | 'invalid_credentials'
  | 'csrf_token_invalid'
  | 'origin_not_allowed'
  | 'forbidden'
  | 'session_limit_reached'
  | 'not_found'
  | 'session_not_found'
  | 'email_taken'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'too_many_requests'
  | 'service_unavailable'
  | 'internal_error';

/**
 * What went wrong, as the code that throws knows it. Mostly the client's code itself; a few
 * failures that the client must see under one code but that call for another status are told
 * apart here (a wrong current password is `invalid_credentials` with 403, not login's 401).
 */
export type ErrorReason = ErrorCode | 'current_password_invalid';

export interface FieldError {
  field: string;
  messages: string[];
}

export interface ErrorDetails {
  /** Each invalid field, for `validation_failed`. */
  errors?: FieldError[];
  /** When to try again, for `too_many_requests`. */
  retryAfterSeconds?: number;
  /** How recent the authentication must be, for `reauthentication_required`. */
  maxAgeSeconds?: number;
}

/**
 * A failure the client is meant to see: a reason and a message safe to show, and nothing about
 * HTTP. The HTTP layer alone decides the status and the code the client reads (error-status.ts).
 */
export class SessionAuthError extends Error {
  constructor(
    readonly reason: ErrorReason,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'SessionAuthError';
  }
}

/** A passing failure (the database unreachable): the client should try again, not give up. */
export function serviceUnavailable(
  message = 'The service is unavailable; try again shortly.',
): SessionAuthError {
  return new SessionAuthError('service_unavailable', message);
}
