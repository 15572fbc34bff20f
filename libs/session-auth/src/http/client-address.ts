import { isIP } from 'node:net';

/**
 * What both Nest platforms give a request: Express's `req` and Fastify's request alike have `ip`,
 * the nearest hop their trust-proxy setting does not trust, and the socket it came in on.
 */
export interface PlatformRequest {
  ip?: string;
  socket?: { remoteAddress?: string };
}

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The client's address: the nearest hop that TRUST_PROXY does not trust, and always a valid IP.
 * A proxy in front that passes on a client's X-Forwarded-For without appending to it could hand
 * anything there, so an entry that is not an address stands for nothing: the socket's peer (the
 * nearest proxy) is taken instead. IPv4-mapped IPv6 addresses are written as IPv4.
 */
export function clientAddress(request: PlatformRequest): string | null {
  return validAddress(request.ip) ?? validAddress(request.socket?.remoteAddress);
}

function validAddress(address: string | undefined): string | null {
  if (typeof address !== 'string' || isIP(address) === 0) return null;
  return IPV4_MAPPED.exec(address)?.[1] ?? address;
}
