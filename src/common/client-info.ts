import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Who is calling, as far as the network says: recorded with sessions and security events. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export function clientInfoOf(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return {
    // Fastify derives request.ip from X-Forwarded-For only when TRUST_PROXY is set.
    ip: request.ip ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
  };
}

export const Client = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ClientInfo =>
    clientInfoOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
