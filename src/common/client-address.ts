import type { FastifyRequest } from 'fastify';
import { isIP } from 'node:net';

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The client's address: the nearest hop that TRUST_PROXY does not trust, and always a valid IP.
 * Fastify's `request.ips` lists the hops from the socket up to that one. A proxy in front that
 * passes on a client's X-Forwarded-For without appending to it could hand us anything there, so an
 * entry that is not an address stands for nothing: the nearest valid hop before it (ultimately the
 * socket's peer) is taken instead. IPv4-mapped IPv6 addresses are written as IPv4.
 */
export function clientAddress(request: FastifyRequest): string | null {
  const hops = request.ips ?? [request.ip];
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    if (typeof hop === 'string' && isIP(hop) !== 0) return IPV4_MAPPED.exec(hop)?.[1] ?? hop;
  }
  return null;
}
