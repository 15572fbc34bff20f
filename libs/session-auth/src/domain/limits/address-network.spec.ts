import { addressNetwork } from './address-network';

describe('addressNetwork', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['127.0.0.1%x', '127.0.0.1'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2:abcd::9', '2001:db8:1:2::/64'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4::/64'],
    ['2001:db8:0:0:1:2:3:4', '2001:db8::/64'],
    ['2001:0:0:0:5:6:7:8', '2001::/64'],
    ['0:0:0:1:2:3:4:5', '0:0:0:1::/64'],
    ['fe80::1%eth0', 'fe80::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b::/64'],
    ['::', '::/64'],
    ['::2', '::/64'],
  ])('counts %s as %s', (ip, network) => {
    expect(addressNetwork(ip)).toBe(network);
  });

  it('keeps the IPv6 loopback, and maps an IPv4-mapped address to its IPv4 address', () => {
    expect(addressNetwork('::1')).toBe('::1');
    expect(addressNetwork('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressNetwork('::ffff:c000:0201')).toBe('192.0.2.1');
  });

  it('returns what is not an address unchanged', () => {
    expect(addressNetwork('not-an-ip')).toBe('not-an-ip');
    expect(addressNetwork('1:2:3')).toBe('1:2:3');
    expect(addressNetwork('')).toBe('');
  });
});
