import { decideRotation, SessionState, StoredToken } from './rotation';

const NOW = new Date('2026-01-01T12:00:00.000Z');
const seconds = (n: number) => new Date(NOW.getTime() + n * 1000);
const USER = '11111111-1111-4111-8111-111111111111';

function session(overrides: Partial<SessionState> = {}): SessionState {
  return {
    userId: USER,
    revokedAt: null,
    absoluteExpiresAt: seconds(3600),
    currentTokenId: 'live',
    ...overrides,
  };
}

function token(overrides: Partial<StoredToken> = {}): StoredToken {
  return { id: 'live', expiresAt: seconds(600), usedAt: null, successorId: null, ...overrides };
}

const presented = { userId: USER, hashMatches: true };
const decide = (s: SessionState | null, t: StoredToken | null, extra: object = {}) =>
  decideRotation({ session: s, token: t, presented, now: NOW, graceMs: 10_000, ...extra });

describe('decideRotation', () => {
  it('rotates the live, unused token', () => {
    expect(decide(session(), token())).toEqual({ kind: 'rotate' });
  });

  it('replays the successor for the live token’s predecessor inside the grace window', () => {
    const previous = token({ id: 'previous', usedAt: seconds(-10), successorId: 'live' });
    expect(decide(session(), previous)).toEqual({ kind: 'replay', successorId: 'live' });
  });

  it('treats the predecessor just after the grace window as reuse', () => {
    const previous = token({ id: 'previous', usedAt: seconds(-10.001), successorId: 'live' });
    expect(decide(session(), previous)).toEqual({ kind: 'reuse' });
  });

  it('treats an older token as reuse even inside the grace window', () => {
    const older = token({ id: 'older', usedAt: seconds(-1), successorId: 'previous' });
    expect(decide(session(), older)).toEqual({ kind: 'reuse' });
  });

  it('refuses an expired live token', () => {
    expect(decide(session(), token({ expiresAt: NOW }))).toEqual({
      kind: 'reject',
      code: 'refresh_token_expired',
    });
  });

  it('answers session_expired past the absolute end, before anything else about the token', () => {
    const expired = session({ absoluteExpiresAt: seconds(-1) });
    expect(decide(expired, token({ expiresAt: seconds(-1) }))).toEqual({
      kind: 'reject',
      code: 'session_expired',
    });
  });

  it('answers session_revoked for a revoked session, even for a used token', () => {
    const revoked = session({ revokedAt: seconds(-5) });
    expect(decide(revoked, token())).toEqual({ kind: 'reject', code: 'session_revoked' });
    expect(decide(revoked, token({ id: 'old', usedAt: seconds(-100), successorId: 'x' }))).toEqual({
      kind: 'reject',
      code: 'session_revoked',
    });
  });

  it.each([
    ['no session', null, token(), presented],
    ['no token row', session(), null, presented],
    ['a hash mismatch', session(), token(), { userId: USER, hashMatches: false }],
    ['another user’s session', session(), token(), { userId: 'someone-else', hashMatches: true }],
  ])('refuses %s as invalid', (_label, s, t, p) => {
    expect(decide(s, t, { presented: p })).toEqual({
      kind: 'reject',
      code: 'refresh_token_invalid',
    });
  });

  it('refuses an unused token that is not the live one rather than forking the session', () => {
    expect(decide(session({ currentTokenId: 'other' }), token())).toEqual({
      kind: 'reject',
      code: 'refresh_token_invalid',
    });
  });
});
