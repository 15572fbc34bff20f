import { createSecretKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { signJws } from './jws-signer';

// In the order TokenService gives them: private claims first, then the registered ones.
const claims = (extra: Record<string, unknown> = {}) => ({
  sid: randomUUID(),
  ...extra,
  iss: 'https://sessions.example.com',
  aud: 'session-service',
  sub: randomUUID(),
  jti: randomUUID(),
  iat: 1_790_000_000,
  exp: 1_790_000_900,
});

function joseSign(
  payload: ReturnType<typeof claims> & Record<string, unknown>,
  header: Record<string, string>,
) {
  const { sid, iss, aud, sub, jti, iat, exp, ...rest } = payload;
  return new SignJWT({ sid, ...rest })
    .setProtectedHeader(header as never)
    .setIssuer(iss)
    .setAudience(aud)
    .setSubject(sub)
    .setJti(jti)
    .setIssuedAt(iat)
    .setExpirationTime(exp);
}

describe('signJws', () => {
  it('signs HS256 byte for byte as jose does, so that a re-signed refresh token is the same', async () => {
    const secret = createSecretKey(randomBytes(32));
    const payload = claims();
    const header = { alg: 'HS256' as const, typ: 'refresh+jwt' };
    expect(signJws(header, payload, secret)).toBe(await joseSign(payload, header).sign(secret));
  });

  it('signs ES256 tokens that jose verifies, with the header and claims given', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const payload = claims({ roles: ['user', 'admin'] });
    const header = { alg: 'ES256' as const, kid: 'key-1', typ: 'at+jwt' };
    const token = signJws(header, payload, privateKey);
    const verified = await jwtVerify(token, publicKey, {
      algorithms: ['ES256'],
      typ: 'at+jwt',
      currentDate: new Date(1_790_000_100_000),
    });
    expect(verified.protectedHeader).toEqual(header);
    expect(verified.payload).toEqual(payload);
    // Same serialisation as jose: only the (randomised) ECDSA signature differs.
    const fromJose = await joseSign(payload, header).sign(privateKey);
    expect(token.split('.').slice(0, 2)).toEqual(fromJose.split('.').slice(0, 2));
  });

  it('signs EdDSA tokens that jose verifies', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const payload = claims();
    const token = signJws({ alg: 'EdDSA', kid: 'k', typ: 'at+jwt' }, payload, privateKey);
    const verified = await jwtVerify(token, publicKey, {
      algorithms: ['EdDSA'],
      currentDate: new Date(1_790_000_100_000),
    });
    expect(verified.payload).toEqual(payload);
  });

  it('produces a signature jose refuses under another key', async () => {
    const token = signJws({ alg: 'HS256' }, claims(), createSecretKey(randomBytes(32)));
    await expect(
      jwtVerify(token, createSecretKey(randomBytes(32)), {
        currentDate: new Date(1_790_000_100_000),
      }),
    ).rejects.toThrow();
  });
});
