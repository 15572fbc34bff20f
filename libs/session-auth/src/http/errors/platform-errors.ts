import type { ErrorCode } from '../../core/errors';

type PlatformError = [status: number, code: ErrorCode, message: string];

const TOO_LARGE: PlatformError = [
  413,
  'payload_too_large',
  'The request body is larger than 16 KB.',
];
const NOT_JSON: PlatformError = [
  415,
  'unsupported_media_type',
  'The request body must be JSON (Content-Type: application/json).',
];
const INVALID_JSON: PlatformError = [400, 'malformed_json', 'The request body is not valid JSON.'];

/** Fastify's failures before a handler runs (body parsing, limits), by their stable codes. */
const FASTIFY: Record<string, PlatformError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: NOT_JSON,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    400,
    'malformed_json',
    'The request body does not match its Content-Length.',
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [
    400,
    'malformed_json',
    'The request body is empty but declared as JSON.',
  ],
  FST_ERR_CTP_INVALID_JSON_BODY: INVALID_JSON,
};

/** Express's body parser (body-parser) failures, by their `type`. */
const EXPRESS: Record<string, PlatformError> = {
  'entity.too.large': TOO_LARGE,
  'entity.parse.failed': INVALID_JSON,
  'encoding.unsupported': NOT_JSON,
  'charset.unsupported': NOT_JSON,
  'request.size.invalid': [
    400,
    'malformed_json',
    'The request body does not match its Content-Length.',
  ],
};

/**
 * The one map from a platform's own failure to the contract's code, for Express and Fastify.
 * Nest's Fastify adapter wraps Fastify's errors in an HttpException, the original as its cause.
 */
export function platformErrorOf(exception: unknown): PlatformError | null {
  const error = exception as { code?: unknown; type?: unknown; cause?: { code?: unknown } } | null;
  const code = error?.code ?? error?.cause?.code;
  if (typeof code === 'string' && FASTIFY[code]) return FASTIFY[code];
  if (typeof error?.type === 'string' && EXPRESS[error.type]) return EXPRESS[error.type];
  if (
    exception instanceof SyntaxError &&
    [400].includes(
      Number(
        (exception as { status?: unknown; statusCode?: unknown }).statusCode ??
          (exception as { status?: unknown }).status,
      ),
    )
  ) {
    return INVALID_JSON;
  }
  return null;
}
