import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { ClientInfo } from '../core/types';
import { clientAddress } from './client-address';
import { headerOf, type HttpRequest } from './request';

export function clientInfoOf(request: HttpRequest): ClientInfo {
  const userAgent = headerOf(request, 'user-agent');
  return { ip: clientAddress(request), userAgent: userAgent?.slice(0, 512) ?? null };
}

/** Who is calling, as far as the network says: recorded with sessions and security events. */
export const Client = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ClientInfo =>
    clientInfoOf(context.switchToHttp().getRequest<HttpRequest>()),
);
