import { clientAddress, PlatformRequest } from './client-address';

const from = (ip: string | undefined, peer = '10.0.0.2'): PlatformRequest => ({
  ip,
  socket: { remoteAddress: peer },
});

describe('clientAddress', () => {
  it('is the nearest untrusted hop that the platform found', () => {
    expect(clientAddress(from('203.0.113.9'))).toBe('203.0.113.9');
    expect(clientAddress(from('2001:db8::1'))).toBe('2001:db8::1');
  });

  it('never takes something that is not an address: the socket’s peer stands in', () => {
    expect(clientAddress(from('i-am-not-an-ip', '127.0.0.1'))).toBe('127.0.0.1');
    expect(clientAddress(from('203.0.113.9:4444'))).toBe('10.0.0.2');
    expect(clientAddress(from(undefined))).toBe('10.0.0.2');
    expect(clientAddress({ ip: '<script>' })).toBeNull();
  });

  it('writes IPv4-mapped IPv6 as IPv4', () => {
    expect(clientAddress(from('::ffff:192.0.2.7'))).toBe('192.0.2.7');
    expect(clientAddress(from('garbage', '::ffff:127.0.0.1'))).toBe('127.0.0.1');
  });
});
