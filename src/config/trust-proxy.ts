import { isIP } from 'node:net';
import { ConfigError } from './config-error';

/**
 * Which hops in front of the service are trusted to report the client's address: none (`false`),
 * a number of proxies, or the proxies' own addresses and CIDR ranges. Fastify takes each form as it
 * is and walks X-Forwarded-For from the right, stopping at the first hop it does not trust.
 */
export type TrustProxy = false | number | string[];

const ACCEPTS =
  'false, a hop count (1: one proxy in front), or a comma-separated list of proxy addresses ' +
  'and CIDR ranges such as 10.0.0.0/8,192.0.2.1';
const MAX_HOPS = 16;

/**
 * `true` is refused: it trusts every hop, so the left-most X-Forwarded-For entry, which any client
 * writes itself, would become its address (and its rate-limit key).
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (lower === 'false' || lower === '0') return false;
  if (['true', 'yes', 'on'].includes(lower)) {
    throw new ConfigError(
      'TRUST_PROXY',
      `trusting every hop lets any client choose its address: say how many proxies are in front (such as 1) or list their addresses; ${ACCEPTS}`,
      value,
    );
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_HOPS)
      throw new ConfigError('TRUST_PROXY', `${ACCEPTS} (at most ${MAX_HOPS} hops)`, value);
    return hops;
  }
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.length === 0 || !entries.every(isAddressOrRange)) {
    throw new ConfigError('TRUST_PROXY', ACCEPTS, value);
  }
  return entries;
}

function isAddressOrRange(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Fastify's form of the setting. Fastify itself declines a bare hop count (it cannot tell the
 * proxy from a client that reached the service directly), so the count becomes a function: the
 * service must then be reachable only through its proxies, as SECURITY.md says.
 */
export function fastifyTrustProxy(
  trust: TrustProxy,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust !== 'number') return trust;
  return (_address, hop) => hop < trust;
}
