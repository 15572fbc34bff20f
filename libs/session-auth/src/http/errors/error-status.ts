import type { ErrorCode, ErrorReason } from '../../core/errors';

/** The one place where a failure becomes an HTTP status, and the code the client reads. */
const STATUS: Record<ErrorReason, number> = {
  validation_failed: 400,
  malformed_json: 400,
  access_token_missing: 401,
  access_token_invalid: 401,
  access_token_expired: 401,
  refresh_token_missing: 401,
  refresh_token_invalid: 401,
  refresh_token_expired: 401,
  refresh_token_reused: 401,
  session_revoked: 401,
  session_expired: 401,
  feed_token_invalid: 401,
  reauthentication_required: 401,
  invalid_credentials: 401,
  current_password_invalid: 403,
  csrf_token_invalid: 403,
  origin_not_allowed: 403,
  forbidden: 403,
  session_limit_reached: 403,
  not_found: 404,
  session_not_found: 404,
  email_taken: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  internal_error: 500,
  service_unavailable: 503,
};

const PUBLIC_CODE: Partial<Record<ErrorReason, ErrorCode>> = {
  current_password_invalid: 'invalid_credentials',
};

export function httpStatusOf(reason: ErrorReason): number {
  return STATUS[reason];
}

export function publicCodeOf(reason: ErrorReason): ErrorCode {
  return PUBLIC_CODE[reason] ?? (reason as ErrorCode);
}
