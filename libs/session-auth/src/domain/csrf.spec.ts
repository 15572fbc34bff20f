import { csrfTokenFor, isValidCsrfToken } from './csrf';

const secret = Buffer.alloc(32, 7);
const session = '6f1c2d3e-0000-4000-8000-000000000001';
const other = '6f1c2d3e-0000-4000-8000-000000000002';

describe('CSRF values', () => {
  const value = csrfTokenFor(secret, session);

  it('accepts the session’s own value, sent as header and cookie', () => {
    expect(isValidCsrfToken(secret, session, value, value)).toBe(true);
  });

  it('refuses another session’s value, even when header and cookie agree', () => {
    const theirs = csrfTokenFor(secret, other);
    expect(isValidCsrfToken(secret, session, theirs, theirs)).toBe(false);
  });

  it('refuses a made-up value, a mismatch with the cookie, or no cookie', () => {
    expect(isValidCsrfToken(secret, session, 'made-up', 'made-up')).toBe(false);
    expect(isValidCsrfToken(secret, session, value, `${value}x`)).toBe(false);
    expect(isValidCsrfToken(secret, session, value, null)).toBe(false);
  });

  it('depends on the secret', () => {
    expect(csrfTokenFor(Buffer.alloc(32, 8), session)).not.toBe(value);
  });
});
