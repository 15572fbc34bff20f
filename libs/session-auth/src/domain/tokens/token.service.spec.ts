import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { normaliseSessionAuthOptions } from '@session-service/nestjs';
import { signJws } from './jws';
import { TokenService } from './token.service';

/** Resolved as the module resolves them; through the package, as the domain never imports options. */
function resolvedOptions() {
  return normaliseSessionAuthOptions({
    issuer: 'https://auth.example.com',
    keys: {
      privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      refreshTokenSecret: 'a-refresh-token-secret-of-more-than-32-bytes',
    },
  });
}

describe('TokenService refresh tokens', () => {
  const config = resolvedOptions();
  const tokens = new TokenService(config);

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
    signJws({ alg: 'HS256', ...header }, claims, config.keys.refreshSecret);
  const wire = (c: ReturnType<typeof refreshClaims>) => ({
    sid: c.sessionId,
    iss: config.issuer,
    aud: config.audience,
    sub: c.userId,
    jti: c.tokenId,
    iat: c.issuedAt,
    exp: c.expiresAt,
  });
  const refused = async (token: string) =>
    expect(tokens.verifyRefreshToken(token)).rejects.toMatchObject({
      reason: 'refresh_token_invalid',
    });

  it('verifies what it signs, and signs the same claims to the same token', async () => {
    const claims = refreshClaims();
    const token = await tokens.signRefreshToken(claims);
    expect(await tokens.signRefreshToken(claims)).toBe(token);
    expect(await tokens.verifyRefreshToken(token)).toEqual({ ...claims, expired: false });
  });

  it('verifies the token a request presents once, however many guards ask', async () => {
    const token = await tokens.signRefreshToken(refreshClaims());
    const other = await tokens.signRefreshToken(refreshClaims());
    const request = {};
    const first = tokens.verifyPresentedRefreshToken(request, token);
    expect(tokens.verifyPresentedRefreshToken(request, token)).toBe(first);
    expect(tokens.verifyPresentedRefreshToken({}, token)).not.toBe(first);
    expect(tokens.verifyPresentedRefreshToken(request, other)).not.toBe(first);
    await expect(first).resolves.toMatchObject({ expired: false });
    const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const forged = tokens.verifyPresentedRefreshToken({}, tampered);
    await expect(forged).rejects.toMatchObject({ reason: 'refresh_token_invalid' });
  });

  it('returns an expired token marked expired, for the session to decide the answer', async () => {
    const claims = { ...refreshClaims(), issuedAt: now - 700, expiresAt: now - 100 };
    expect(await tokens.verifyRefreshToken(await tokens.signRefreshToken(claims))).toEqual({
      ...claims,
      expired: true,
    });
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
    await refused(forge(header, { ...claims, aud: [config.audience] }));
    await refused(forge(header, { ...claims, sub: 'not-a-uuid' }));
    await refused(forge(header, { ...claims, sid: undefined }));
    await refused(forge(header, { ...claims, jti: 42 }));
    await refused(forge(header, { ...claims, iat: String(now) }));
    await refused(forge(header, { ...claims, exp: undefined }));
    await refused(forge(header, { ...claims, nbf: now + 3600 }));
  });

  it('refuses an access token, and an oversized token before reading it', async () => {
    const access = await tokens.signAccessToken({
      userId: randomUUID(),
      sessionId: randomUUID(),
      roles: ['user'],
      sessionEndsAt: new Date(Date.now() + 86_400_000),
    });
    await refused(access.token);
    await refused(`${await tokens.signRefreshToken(refreshClaims())}${'A'.repeat(5_000)}`);
  });
});

describe('TokenService access tokens', () => {
  const config = resolvedOptions();
  const tokens = new TokenService(config);

  it('remembers a verified token as one frozen value that no caller can change', async () => {
    const userId = randomUUID();
    const sessionId = randomUUID();
    const { token, expiresAt } = await tokens.signAccessToken({
      userId,
      sessionId,
      roles: ['user'],
      sessionEndsAt: new Date(Date.now() + 86_400_000),
    });
    expect(tokens.rememberedAccessToken(token)).toBeUndefined();

    const claims = await tokens.verifyAccessToken(token);
    expect(claims).toMatchObject({ userId, sessionId, roles: ['user'] });
    expect(claims.exp * 1000).toBe(expiresAt.getTime());
    expect(tokens.rememberedAccessToken(token)).toBe(claims);

    expect(() => (claims.roles as string[]).push('admin')).toThrow(TypeError);
    expect(() => Object.assign(claims, { userId: randomUUID() })).toThrow(TypeError);
    expect(await tokens.verifyAccessToken(token)).toEqual({
      userId,
      sessionId,
      roles: ['user'],
      tokenId: claims.tokenId,
      exp: claims.exp,
    });
  });

  it('never signs an exp past the session’s absolute end', async () => {
    const sessionEndsAt = new Date((Math.floor(Date.now() / 1000) + 120) * 1000);
    const { token, expiresAt, expiresIn } = await tokens.signAccessToken({
      userId: randomUUID(),
      sessionId: randomUUID(),
      roles: ['user'],
      sessionEndsAt,
    });
    expect(expiresAt).toEqual(sessionEndsAt);
    expect(expiresIn).toBeLessThanOrEqual(120);
    expect(expiresIn).toBeGreaterThan(100);
    expect((await tokens.verifyAccessToken(token)).exp * 1000).toBe(sessionEndsAt.getTime());
  });
});
