import { deviceIdOf, issueDeviceCookie } from './device-cookie';

const secret = Buffer.alloc(32, 7);

describe('device cookies', () => {
  const cookie = issueDeviceCookie(secret, 'ada@example.com');
  const [deviceId] = cookie.split('.');

  it('name their device for the account they were issued for, however the email is spelt', () => {
    expect(deviceId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(deviceIdOf(secret, 'ada@example.com', cookie)).toBe(deviceId);
    expect(deviceIdOf(secret, ' ADA@example.com', cookie)).toBe(deviceId);
  });

  it('keep the device id when issued again, and give each new browser its own', () => {
    expect(issueDeviceCookie(secret, 'ada@example.com', deviceId)).toBe(cookie);
    expect(issueDeviceCookie(secret, 'ada@example.com').split('.')[0]).not.toBe(deviceId);
  });

  it('are worth nothing for another account, under another secret, altered or made up', () => {
    expect(deviceIdOf(secret, 'eve@example.com', cookie)).toBeNull();
    expect(deviceIdOf(Buffer.alloc(32, 8), 'ada@example.com', cookie)).toBeNull();
    const eves = issueDeviceCookie(secret, 'eve@example.com');
    expect(deviceIdOf(secret, 'ada@example.com', `${deviceId}.${eves.split('.')[1]}`)).toBeNull();
    expect(deviceIdOf(secret, 'ada@example.com', `${cookie}x`)).toBeNull();
    expect(deviceIdOf(secret, 'ada@example.com', 'made-up')).toBeNull();
    expect(deviceIdOf(secret, 'ada@example.com', '')).toBeNull();
    expect(deviceIdOf(secret, 'ada@example.com', null)).toBeNull();
  });
});
