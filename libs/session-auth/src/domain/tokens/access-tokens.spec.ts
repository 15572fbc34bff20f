import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { normaliseSessionAuthOptions } from '@session-service/nestjs';
import { AccessTokens } from './access-tokens';
import { JwkSet } from './jwk-set';
import { signJws } from './jws';

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

describe('AccessTokens', () => {
  const options = resolvedOptions();
  const tokens = new AccessTokens(options);
  const session = () => ({
    userId: randomUUID(),
    sessionId: randomUUID(),
    roles: ['user'],
    sessionEndsAt: new Date(Date.now() + 86_400_000),
    authTime: new Date(Date.now() - 90_500),
  });
  const refused = async (token: string) =>
    expect(new AccessTokens(options).verify(token)).rejects.toMatchObject({
      reason: 'access_token_invalid',
    });

  it('remembers a verified token as one frozen value that no caller can change', async () => {
    const userId = randomUUID();
    const sessionId = randomUUID();
    const signed = { ...session(), userId, sessionId };
    const { token, expiresAt, expiresIn } = tokens.sign(signed);
    expect(tokens.remembered(token)).toBeUndefined();

    const claims = await tokens.verify(token);
    expect(claims).toMatchObject({ userId, sessionId, roles: ['user'] });
    expect(claims.exp * 1000).toBe(expiresAt.getTime());
    expect(tokens.remembered(token)).toBe(claims);

    expect(() => (claims.roles as string[]).push('admin')).toThrow(TypeError);
    expect(() => Object.assign(claims, { userId: randomUUID() })).toThrow(TypeError);
    expect(await tokens.verify(token)).toEqual({
      userId,
      sessionId,
      roles: ['user'],
      tokenId: claims.tokenId,
      iat: claims.exp - expiresIn,
      exp: claims.exp,
      authTime: Math.floor(signed.authTime.getTime() / 1000),
    });
  });

  it('never signs an exp past the session’s absolute end', async () => {
    const sessionEndsAt = new Date((Math.floor(Date.now() / 1000) + 120) * 1000);
    const { token, expiresAt, expiresIn } = tokens.sign({ ...session(), sessionEndsAt });
    expect(expiresAt).toEqual(sessionEndsAt);
    expect(expiresIn).toBeLessThanOrEqual(120);
    expect(expiresIn).toBeGreaterThan(100);
    expect((await tokens.verify(token)).exp * 1000).toBe(sessionEndsAt.getTime());
  });

  it('answers an expired token with access_token_expired, and does not remember it', async () => {
    const sessionEndsAt = new Date((Math.floor(Date.now() / 1000) - 1) * 1000);
    const { token } = tokens.sign({ ...session(), sessionEndsAt });
    await expect(tokens.verify(token)).rejects.toMatchObject({ reason: 'access_token_expired' });
    expect(tokens.remembered(token)).toBeUndefined();
  });

  it('signs tokens that the published JWK Set verifies, with the pinned header and claims', async () => {
    const { token } = tokens.sign(session());
    // As a client reads it from the wire.
    const jwks = createLocalJWKSet(JSON.parse(JSON.stringify(new JwkSet(options).document)));
    const { protectedHeader, payload } = await jwtVerify(token, jwks, {
      issuer: options.issuer,
      audience: options.audience,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    expect(protectedHeader).toEqual({
      alg: 'ES256',
      kid: options.keys.accessSigning.kid,
      typ: 'at+jwt',
    });
    expect(Object.keys(payload)).toEqual([
      'sid',
      'roles',
      'iss',
      'aud',
      'sub',
      'jti',
      'iat',
      'exp',
      'auth_time',
    ]);
  });

  it('refuses a token that names its own key, or a key or type it was not given', async () => {
    const { kid, key } = options.keys.accessSigning;
    const claims = {
      sid: randomUUID(),
      roles: ['user'],
      iss: options.issuer,
      aud: options.audience,
      sub: randomUUID(),
      jti: randomUUID(),
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 60,
    };
    const forge = (header: Record<string, unknown>, body: Record<string, unknown> = claims) =>
      signJws({ alg: 'ES256', kid, typ: 'at+jwt', ...header }, body, key);
    await expect(new AccessTokens(options).verify(forge({}))).resolves.toMatchObject({
      sessionId: claims.sid,
    });
    await refused(forge({ kid: 'unknown' }));
    await refused(forge({ jku: 'https://evil.example/jwks' }));
    await refused(forge({ jwk: { kty: 'EC' } }));
    await refused(forge({ crit: ['exp'] }));
    await refused(forge({ typ: 'refresh+jwt' }));
    await refused(forge({}, { ...claims, aud: 'another-service' }));
    await refused(forge({}, { ...claims, sid: 'not-a-uuid' }));
    await refused(forge({}, { ...claims, roles: 'admin' }));
    await refused(forge({}, { ...claims, auth_time: String(claims.iat) }));
    await refused(forge({}, { ...claims, auth_time: -1 }));
    // A token from before the claim existed is valid, and counts as authenticated long ago.
    await expect(new AccessTokens(options).verify(forge({}))).resolves.toMatchObject({
      authTime: 0,
    });
    await refused(`${forge({})}${'A'.repeat(5_000)}`);
  });
});
