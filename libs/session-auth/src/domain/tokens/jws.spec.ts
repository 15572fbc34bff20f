import {
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { signJws, verifyHs256 } from './jws';

// In the order AccessTokens gives them: private claims first, then the registered ones.
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

describe('signJws with a frozen header', () => {
  it('signs as with the same header unfrozen, for every algorithm, however often', () => {
    const secret = createSecretKey(randomBytes(32));
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const frozen = Object.freeze({ alg: 'HS256' as const, typ: 'refresh+jwt' });
    const payload = claims();
    const first = signJws(frozen, payload, secret);
    expect(signJws(frozen, payload, secret)).toBe(first);
    expect(signJws({ alg: 'HS256', typ: 'refresh+jwt' }, payload, secret)).toBe(first);
    const es256 = Object.freeze({ alg: 'ES256' as const, kid: 'key-1', typ: 'at+jwt' });
    const token = signJws(es256, payload, privateKey);
    const unfrozen = signJws({ alg: 'ES256', kid: 'key-1', typ: 'at+jwt' }, payload, privateKey);
    expect(token.split('.')[0]).toBe(unfrozen.split('.')[0]);
    return expect(
      jwtVerify(token, publicKey, { currentDate: new Date(1_790_000_100_000) }),
    ).resolves.toMatchObject({ protectedHeader: es256 });
  });
});

describe('verifyHs256', () => {
  const key = createSecretKey(randomBytes(32));
  const header = { alg: 'HS256' as const, typ: 'refresh+jwt' };

  it('returns the header and claims of a token signed with the key', () => {
    const payload = claims();
    expect(verifyHs256(signJws(header, payload, key), key)).toEqual({ header, claims: payload });
  });

  it('decodes each header as its own text says, remembered or not, and hands it back frozen', () => {
    const other = { alg: 'HS256' as const, typ: 'other+jwt', extra: 1 };
    for (const given of [header, header, other, header, other]) {
      const verified = verifyHs256(signJws(given, claims(), key), key);
      expect(verified?.header).toEqual(given);
      expect(Object.isFrozen(verified?.header)).toBe(true);
    }
  });

  it('refuses another key, a changed header, claims or MAC, and alg none', () => {
    const token = signJws(header, claims(), key);
    const [h, p, s] = token.split('.');
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    expect(verifyHs256(token, createSecretKey(randomBytes(32)))).toBeNull();
    expect(verifyHs256(`${b64({ ...header, kid: 'x' })}.${p}.${s}`, key)).toBeNull();
    expect(verifyHs256(`${h}.${b64({ ...claims() })}.${s}`, key)).toBeNull();
    expect(
      verifyHs256(`${h}.${p}.${s.slice(0, -1)}${s.endsWith('A') ? 'B' : 'A'}`, key),
    ).toBeNull();
    expect(verifyHs256(`${b64({ alg: 'none' })}.${p}.`, key)).toBeNull();
  });

  it('refuses a second spelling of the same MAC, and anything not three base64url parts', () => {
    const token = signJws(header, claims(), key);
    const [h, p, s] = token.split('.');
    // 32 bytes take 43 characters: the last one carries 2 spare bits that decoding ignores.
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = last[last.indexOf(s[42]) ^ 1];
    expect(Buffer.from(`${s.slice(0, 42)}${sibling}`, 'base64url')).toEqual(
      Buffer.from(s, 'base64url'),
    );
    expect(verifyHs256(`${h}.${p}.${s.slice(0, 42)}${sibling}`, key)).toBeNull();
    expect(verifyHs256(`${h}.${p}.${s}=`, key)).toBeNull();
    expect(verifyHs256(`${h}.${p}`, key)).toBeNull();
    expect(verifyHs256(`${token}.x`, key)).toBeNull();
    expect(verifyHs256(`${h}.${p}.${s} `, key)).toBeNull();
  });

  it('refuses a correctly signed part that is not a JSON object', () => {
    const input = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('[1]').toString('base64url')}`;
    const mac = createHmac('sha256', key).update(input).digest('base64url');
    expect(verifyHs256(`${input}.${mac}`, key)).toBeNull();
  });
});
