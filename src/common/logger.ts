import { LoggerService } from '@nestjs/common';
import { FastifyReply, FastifyRequest, LogController } from 'fastify';
import pino, { DestinationStream, Logger } from 'pino';
import type { LogLevel } from '../config/app-config';
import { clientAddress } from '@session-service/nestjs';

/**
 * Secrets never reach a log line: credentials in headers, and any password or token field,
 * wherever it sits in a logged object.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.refreshToken',
  '*.accessToken',
  '*.token',
  // A failed query's error carries its parameters: emails, password hashes, token hashes.
  'err.parameters',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'session-service' },
      redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
      serializers: {
        req: (request: FastifyRequest) => ({
          id: request.id,
          method: request.method,
          url: request.url,
          ip: clientAddress(request),
          headers: request.headers,
        }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}

/** Lets Nest's own `Logger` write through the same structured, redacting pino instance. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, traceOrContext?: string, context?: string): void {
    this.write('error', message, context ?? traceOrContext);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(level: pino.Level, message: unknown, context?: string): void {
    if (message !== null && typeof message === 'object') {
      this.logger[level]({ context, ...(message as object) });
    } else {
      this.logger[level]({ context }, String(message));
    }
  }
}

/** One line per request, written when it completes, with the request, status and duration. */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = {
      req: request,
      res: { statusCode: reply.statusCode },
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) request.log.error({ ...line, err: error }, 'request errored');
    else request.log.info(line, 'request completed');
  }
}
