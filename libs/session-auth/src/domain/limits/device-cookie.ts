import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** `<device id>.<keyed hash of the account and the id>`: 16 random bytes and an HMAC-SHA256. */
const DEVICE_COOKIE_FORMAT = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/**
 * A device cookie for this account (OWASP's "device cookies"): proof that this browser signed in
 * to it before. Bound to the account by a keyed hash, not to a session, so it outlives sign-outs;
 * `deviceId` keeps a browser's existing id when it signs in again.
 */
export function issueDeviceCookie(
  secret: Buffer,
  email: string,
  deviceId: string = randomBytes(16).toString('base64url'),
): string {
  return `${deviceId}.${deviceMac(secret, email, deviceId)}`;
}

/**
 * The device id of a cookie issued for this account; null for anything else: absent, malformed,
 * made up, or issued for another account.
 */
export function deviceIdOf(secret: Buffer, email: string, cookie: string | null): string | null {
  const match = cookie ? DEVICE_COOKIE_FORMAT.exec(cookie) : null;
  if (!match) return null;
  const expected = Buffer.from(deviceMac(secret, email, match[1]));
  const presented = Buffer.from(match[2]);
  return presented.length === expected.length && timingSafeEqual(presented, expected)
    ? match[1]
    : null;
}

function deviceMac(secret: Buffer, email: string, deviceId: string): string {
  return createHmac('sha256', secret)
    .update(`device\0${email.trim().toLowerCase()}\0${deviceId}`)
    .digest('base64url');
}
