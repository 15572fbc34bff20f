import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { normaliseSessionAuthOptions } from '@session-service/nestjs';
import { AccessTokens } from './access-tokens';
import { signJws } from './jws';
import { RefreshTokens } from './refresh-tokens';

/** Resolved as the module resolves them; through the package, as the domain never imports options. */
function resolvedOptions(refreshTokenSecret = 'a-refresh-token-secret-of-more-than-32-bytes') {
  return normaliseSessionAuthOptions({
    issuer: 'https://auth.example.com',
    keys: {
      privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      refreshTokenSecret,
    },
  });
}

describe('RefreshTokens', () => {
  const options = resolvedOptions();
  const tokens = new RefreshTokens(options);

  const now = Math.floor(Date.now() / 1000);
  const refreshClaims = () => ({
    userId: randomUUID(),
    sessionId: randomUUID(),
    tokenId: randomUUID(),
    issuedAt: now,
    expiresAt: now + 600,
  });
  /** Signed with the real secret: only the part under test is wrong. */
  const forge = (header: Record<string, unknown>, claims: Record<string, unknown>) =>
    signJws({ alg: 'HS256', ...header }, claims, options.keys.refreshSecret);
  const wire = (c: ReturnType<typeof refreshClaims>) => ({
    sid: c.sessionId,
    iss: options.issuer,
    aud: options.audience,
    sub: c.userId,
    jti: c.tokenId,
    iat: c.issuedAt,
    exp: c.expiresAt,
  });
  const refused = (token: string) =>
    expect(() => tokens.verify(token)).toThrow(
      expect.objectContaining({ reason: 'refresh_token_invalid' }),
    );

  it('verifies what it signs, and signs the same claims to the same token', async () => {
    const claims = refreshClaims();
    const token = tokens.sign(claims);
    expect(tokens.sign(claims)).toBe(token);
    expect(await tokens.verify(token)).toEqual({ ...claims, expired: false });
  });

  it('verifies the token a request presents once, however many guards ask', () => {
    const token = tokens.sign(refreshClaims());
    const other = tokens.sign(refreshClaims());
    const request = {};
    const first = tokens.verifyOnce(request, token);
    expect(first).toMatchObject({ expired: false });
    expect(tokens.verifyOnce(request, token)).toBe(first);
    expect(tokens.verifyOnce({}, token)).not.toBe(first);
    expect(tokens.verifyOnce(request, other)).not.toBe(first);
    expect(tokens.verifyOnce(request, other)).toBe(tokens.verifyOnce(request, other));
    const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect(() => tokens.verifyOnce({}, tampered)).toThrow(
      expect.objectContaining({ reason: 'refresh_token_invalid' }),
    );
    // A request that presents a forged token after a genuine one gets no genuine claims.
    expect(() => tokens.verifyOnce(request, tampered)).toThrow(
      expect.objectContaining({ reason: 'refresh_token_invalid' }),
    );
  });

  it('returns an expired token marked expired, for the session to decide the answer', async () => {
    const claims = { ...refreshClaims(), issuedAt: now - 700, expiresAt: now - 100 };
    expect(await tokens.verify(tokens.sign(claims))).toEqual({ ...claims, expired: true });
  });

  it('refuses any header but the one it writes', async () => {
    const claims = wire(refreshClaims());
    await refused(forge({}, claims));
    await refused(forge({ typ: 'at+jwt' }, claims));
    await refused(forge({ typ: 'refresh+jwt', kid: 'k' }, claims));
    await refused(forge({ typ: 'refresh+jwt', crit: ['exp'] }, claims));
    await refused(forge({ typ: 'refresh+jwt', jku: 'https://evil.example/jwks' }, claims));
  });

  it('refuses claims it would not have written', async () => {
    const claims = wire(refreshClaims());
    const header = { typ: 'refresh+jwt' };
    await refused(forge(header, { ...claims, iss: 'https://evil.example' }));
    await refused(forge(header, { ...claims, aud: 'another-service' }));
    await refused(forge(header, { ...claims, aud: [options.audience] }));
    await refused(forge(header, { ...claims, sub: 'not-a-uuid' }));
    await refused(forge(header, { ...claims, sid: undefined }));
    await refused(forge(header, { ...claims, jti: 42 }));
    await refused(forge(header, { ...claims, iat: String(now) }));
    await refused(forge(header, { ...claims, exp: undefined }));
    await refused(forge(header, { ...claims, nbf: now + 3600 }));
  });

  it('refuses an access token, and an oversized token before reading it', async () => {
    const access = new AccessTokens(options).sign({
      userId: randomUUID(),
      sessionId: randomUUID(),
      roles: ['user'],
      sessionEndsAt: new Date(Date.now() + 86_400_000),
      authTime: new Date(),
    });
    await refused(access.token);
    await refused(`${tokens.sign(refreshClaims())}${'A'.repeat(5_000)}`);
  });

  it('refuses a refresh token signed with another secret', async () => {
    const elsewhere = new RefreshTokens(
      resolvedOptions('another-refresh-token-secret-of-32-bytes-or-more'),
    );
    await refused(elsewhere.sign(refreshClaims()));
  });
});
