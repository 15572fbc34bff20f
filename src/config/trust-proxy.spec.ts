import { ConfigError } from './config-error';
import { fastifyTrustProxy, parseTrustProxy } from './trust-proxy';

describe('TRUST_PROXY', () => {
  it('takes false, a hop count, or addresses and CIDR ranges', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('0')).toBe(false);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('10.0.0.0/8, 192.0.2.1,2001:db8::/32')).toEqual([
      '10.0.0.0/8',
      '192.0.2.1',
      '2001:db8::/32',
    ]);
  });

  it('refuses true, which would let any client pick its own address', () => {
    for (const value of ['true', 'TRUE', 'yes']) {
      expect(() => parseTrustProxy(value)).toThrow(ConfigError);
    }
  });

  it('refuses names, bad ranges and absurd hop counts', () => {
    for (const value of ['proxy.internal', '10.0.0.0/33', '::1/129', '1.2.3.4/8/1', '17', '1,,2']) {
      expect(() => parseTrustProxy(value)).toThrow(ConfigError);
    }
  });

  it('trusts exactly as many hops as counted', () => {
    const trust = fastifyTrustProxy(2) as (address: string, hop: number) => boolean;
    expect([0, 1, 2].map((hop) => trust('192.0.2.1', hop))).toEqual([true, true, false]);
    expect(fastifyTrustProxy(false)).toBe(false);
  });
});
