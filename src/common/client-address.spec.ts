import type { FastifyRequest } from 'fastify';
import { clientAddress } from './client-address';

const withHops = (ips: string[]) => ({ ips, ip: ips[ips.length - 1] }) as unknown as FastifyRequest;

describe('clientAddress', () => {
  it('is the nearest untrusted hop that Fastify found', () => {
    expect(clientAddress(withHops(['127.0.0.1', '203.0.113.9']))).toBe('203.0.113.9');
  });

  it('never takes something that is not an address: the nearest valid hop stands in', () => {
    expect(clientAddress(withHops(['127.0.0.1', 'i-am-not-an-ip']))).toBe('127.0.0.1');
    expect(clientAddress(withHops(['10.0.0.2', '203.0.113.9:4444']))).toBe('10.0.0.2');
    expect(clientAddress(withHops(['<script>']))).toBeNull();
  });

  it('writes IPv4-mapped IPv6 as IPv4', () => {
    expect(clientAddress(withHops(['::ffff:192.0.2.7']))).toBe('192.0.2.7');
    expect(clientAddress(withHops(['2001:db8::1']))).toBe('2001:db8::1');
  });

  it('uses the socket address when Fastify gives no hop list (no TRUST_PROXY)', () => {
    expect(clientAddress({ ip: '198.51.100.4' } as unknown as FastifyRequest)).toBe('198.51.100.4');
  });
});
