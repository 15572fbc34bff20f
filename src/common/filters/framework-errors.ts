import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Failures Fastify answers before any route runs, and so before the exception filter: a URL whose
 * percent-escapes do not decode, a path parameter longer than any id, and requests Node's HTTP
 * parser refuses outright (oversized headers, broken syntax). Each gets the contract's error
 * shape instead of Fastify's own.
 */
export function answerFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const body =
    error.code === 'FST_ERR_BAD_URL'
      ? {
          statusCode: 400,
          code: 'validation_failed',
          message: 'The request is not valid.',
          errors: [{ field: 'path', messages: ['path is not a valid URL'] }],
        }
      : { statusCode: 404, code: 'not_found', message: 'There is nothing here.' };
  void reply
    .status(body.statusCode)
    .header('Cache-Control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(body);
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'The request headers are larger than 16 KB.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'The request took too long to arrive.'],
};

/** Node's `clientError`: a request too broken to route. Answers, then closes the connection. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [statusCode, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [
    400,
    'malformed_request',
    'The request is not valid HTTP.',
  ];
  const body = JSON.stringify({ statusCode, code, message });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\nConnection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}
