import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The CSRF value of a session: a keyed hash of its id (signed double submit). A value the client
 * made up, or another session's, never matches.
 */
export function csrfTokenFor(secret: Buffer, sessionId: string): string {
  return createHmac('sha256', secret).update(`csrf:${sessionId}`).digest('base64url');
}

export function isValidCsrfToken(
  secret: Buffer,
  sessionId: string,
  header: string,
  cookie: string | null,
): boolean {
  if (cookie === null || header !== cookie) return false;
  const expected = Buffer.from(csrfTokenFor(secret, sessionId));
  const presented = Buffer.from(header);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
