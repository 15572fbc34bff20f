import { isIP } from 'node:net';

/**
 * The network a client address counts as for the limits: an IPv4 address as it is, an IPv6 one by
 * its /64 (one host usually holds a whole /64, so counting single IPv6 addresses would let it
 * rotate through billions), its loopback as `::1` and an IPv4-mapped address as the IPv4 one.
 * Anything that is not an address comes back unchanged. The output is the one
 * `@nestjs/throttler`'s `normalizeIp` gives, so counters keyed by it before stay the same keys.
 */
export function addressNetwork(ip: string): string {
  const zone = ip.indexOf('%');
  const bare = zone === -1 ? ip : ip.slice(0, zone);
  const version = isIP(bare);
  if (version === 4) return bare;
  if (version !== 6) return ip;
  const hextets = hextetsOf(bare.toLowerCase());
  const zeros = (from: number, to: number) => hextets.slice(from, to).every((h) => h === 0);
  if (zeros(0, 7) && hextets[7] === 1) return '::1';
  if (zeros(0, 5) && hextets[5] === 0xffff) {
    return [hextets[6] >> 8, hextets[6] & 0xff, hextets[7] >> 8, hextets[7] & 0xff].join('.');
  }
  return `${formatIpv6([...hextets.slice(0, 4), 0, 0, 0, 0])}/64`;
}

/** The eight 16-bit groups of an address `isIP` accepted as IPv6 (an IPv4 tail included). */
function hextetsOf(address: string): number[] {
  let head = address;
  const tail = head.slice(head.lastIndexOf(':') + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number);
    head = `${head.slice(0, -tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = head.split('::');
  const groups = (side: string | undefined) => (side ? side.split(':') : []);
  const known = [...groups(left), ...groups(right)].length;
  const all =
    right === undefined
      ? groups(left)
      : [...groups(left), ...Array<string>(8 - known).fill('0'), ...groups(right)];
  return all.map((group) => parseInt(group, 16));
}

/** RFC 5952's short form: the first longest run of two or more zero groups becomes `::`. */
function formatIpv6(hextets: number[]): string {
  let best = { start: -1, length: 0 };
  let start = -1;
  hextets.forEach((hextet, index) => {
    if (hextet !== 0) {
      start = -1;
      return;
    }
    if (start === -1) start = index;
    if (index - start + 1 > best.length) best = { start, length: index - start + 1 };
  });
  const groups = hextets.map((hextet) => hextet.toString(16));
  if (best.length < 2) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}
