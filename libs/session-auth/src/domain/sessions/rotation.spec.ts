import { decideRotation, PresentedToken, SessionState } from './rotation';

const NOW = new Date('2026-01-01T12:00:00.000Z');
const seconds = (n: number) => new Date(NOW.getTime() + n * 1000);
const USER = '11111111-1111-4111-8111-111111111111';

/** A session refreshed 10 s ago: `previous` was used then, `live` issued. */
function session(overrides: Partial<SessionState> = {}): SessionState {
  return {
    userId: USER,
    revokedAt: null,
    absoluteExpiresAt: seconds(3600),
    expiresAt: seconds(600),
    currentTokenId: 'live',
    previousTokenId: 'previous',
    currentIssuedAt: seconds(-10),
    ...overrides,
  };
}

const token = (tokenId: string): PresentedToken => ({ userId: USER, tokenId });
const decide = (s: SessionState | null, p: PresentedToken, extra: object = {}) =>
  decideRotation({ session: s, presented: p, now: NOW, graceMs: 10_000, ...extra });

describe('decideRotation', () => {
  it('rotates the live token', () => {
    expect(decide(session(), token('live'))).toEqual({ kind: 'rotate' });
  });

  it('replays the live token for its predecessor inside the grace window', () => {
    expect(decide(session(), token('previous'))).toEqual({ kind: 'replay' });
  });

  it('treats the predecessor just after the grace window as reuse', () => {
    const later = session({ currentIssuedAt: seconds(-10.001) });
    expect(decide(later, token('previous'))).toEqual({ kind: 'reuse' });
  });

  it('treats any other genuine token of the session as reuse, even inside the grace window', () => {
    // No row is kept per token: a token of this session that is neither the live one nor its
    // predecessor was used long ago (a session never forks).
    expect(decide(session({ currentIssuedAt: seconds(-1) }), token('older'))).toEqual({
      kind: 'reuse',
    });
    expect(decide(session({ previousTokenId: null }), token('previous'))).toEqual({
      kind: 'reuse',
    });
  });

  it('refuses an expired live token', () => {
    expect(decide(session({ expiresAt: NOW }), token('live'))).toEqual({
      kind: 'reject',
      code: 'refresh_token_expired',
    });
  });

  it('answers session_expired past the absolute end, before anything else about the token', () => {
    const expired = session({ absoluteExpiresAt: seconds(-1), expiresAt: seconds(-1) });
    expect(decide(expired, token('live'))).toEqual({ kind: 'reject', code: 'session_expired' });
    expect(decide(expired, token('older'))).toEqual({ kind: 'reject', code: 'session_expired' });
  });

  it('answers session_revoked for a revoked session, whatever the token', () => {
    const revoked = session({ revokedAt: seconds(-5) });
    for (const id of ['live', 'previous', 'older']) {
      expect(decide(revoked, token(id))).toEqual({ kind: 'reject', code: 'session_revoked' });
    }
  });

  it.each([
    ['no session', null, token('live')],
    ['another user’s session', session(), { userId: 'someone-else', tokenId: 'live' }],
  ])('refuses %s as invalid', (_label, s, p) => {
    expect(decide(s, p)).toEqual({ kind: 'reject', code: 'refresh_token_invalid' });
  });
});
