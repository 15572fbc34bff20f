import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { headerOf, type HttpRequest, type HttpResponse } from '../request';
import { INTERNAL_ERROR, isDatabaseUnavailable, toContractError } from './contract-body';

/**
 * Turns any failure into the contract's JSON: the library's controllers use it, and an app may
 * register it globally to answer every route so (the service does). Known failures keep their
 * code; anything unknown becomes a bare 500, logged with the request id and never shown to the
 * client. Writes through Nest's HTTP adapter, so it answers the same on Express and Fastify.
 */
@Catch()
export class SessionAuthExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(SessionAuthExceptionFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    const response = http.getResponse<HttpResponse>();
    const answer = toContractError(exception, headerOf(request, 'authorization')) ?? INTERNAL_ERROR;
    if (answer.status === 503 && isDatabaseUnavailable(exception)) {
      this.logger.warn({
        msg: 'Database unavailable',
        requestId: request.id,
        err: String(exception),
      });
    } else if (answer === INTERNAL_ERROR) {
      this.logger.error({
        msg: 'Unhandled error',
        requestId: request.id,
        method: request.method,
        url: request.url,
        err: exception instanceof Error ? exception : String(exception),
      });
    }
    const adapter = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(answer.headers)) {
      adapter.setHeader(response, name, value);
    }
    adapter.reply(response, answer.body, answer.status);
  }
}
