import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createKeyMaterial, jwkThumbprint } from './key-material';
import { SessionAuthOptionsError } from './session-auth-options-error';

// Fixed keys and secret, with the kids and derived secrets that the service's key loading
// produced for them before it moved into the library: tokens, CSRF values, device cookies and
// lockout counters issued before the move stay valid only if these never change.
const EC_PRIVATE = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgWx2v8fptqiFp50PX
c/YsAVgfHWGZcJKGoa0DfkzndQqhRANCAAQ1EVWwk2ww2pddkQ8JnFGxcSZrLiYE
/ZYQypN6/pT40p1gu0Hb94c5FgcR9XGGNxbBTtoLxbI5x5Tz4w7h9u0q
-----END PRIVATE KEY-----`;
const ED_PRIVATE = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIFALYi0y6VJ01UdN0bNp0bUN6aeLY4pvcq9vXf/KezWT
-----END PRIVATE KEY-----`;
const ED_PUBLIC = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAgLUcYVTr9QHiHZ3jmacDQWMtYFBUukQPxAC++ajNjMM=
-----END PUBLIC KEY-----`;
const OLD_EC_PUBLIC = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEo0DxVJPiKzZ9dKJTd1wX4HUSvkol
fGpBA6/u897fFZreNB58/PZYpnHfvVpJeXtKgVTvgNCFG8stp0vfuTw+cg==
-----END PUBLIC KEY-----`;
const SECRET = 'a-fixed-refresh-token-secret-of-more-than-32-bytes';

const EC_KID = 'fx3hZ4D1VQgGTxz5Xwe6UxmelnlhHJ-QWHYryLYVLvg';
const ED_KID = '6QUsXE1TWLVLj5hP_HOneoIYxDMn9H-dG1zXZcpg_wg';
const OLD_EC_KID = 'kOHQKacv3GJ0rkkdnGzZxad9E5r83KzltxNH8K3BkEU';
const DERIVED = {
  refreshSecret: 'fec876679d243b6910907e4450495dbb9bf2d52b39659e710400856141706aab',
  csrfSecret: 'dbbc0d57d7a9426f3704f3dafa56a1ae1b447f7fdf9f2a44d876dd76db3bc2d0',
  lockoutSecret: '992bbf3bb42ac54245bd31a4a52c93fbf706a613eab2d806ca85d22f498c60ae',
  deviceSecret: '9619b2ce4aef3e26fe5afcf58cadc04599b43f3ec9f56f17580f29a5b52252a4',
};

function errorOf(run: () => unknown): SessionAuthOptionsError {
  try {
    run();
  } catch (error) {
    if (error instanceof SessionAuthOptionsError) return error;
    throw error;
  }
  throw new Error('expected a SessionAuthOptionsError');
}

describe('createKeyMaterial', () => {
  it('gives an EC P-256 key its RFC 7638 kid, ES256, and the JWK the JWK Set publishes', () => {
    const keys = createKeyMaterial({ privateKey: EC_PRIVATE, refreshTokenSecret: SECRET });
    expect(keys.accessSigning.kid).toBe(EC_KID);
    expect(keys.accessSigning.alg).toBe('ES256');
    expect(keys.accessSigning.key.type).toBe('private');
    expect([...keys.accessVerification.keys()]).toEqual([EC_KID]);
    expect(keys.accessVerification.get(EC_KID)?.jwk).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: 'NRFVsJNsMNqXXZEPCZxRsXEmay4mBP2WEMqTev6U-NI',
      y: 'nWC7Qdv3hzkWBxH1cYY3FsFO2gvFsjnHlPPjDuH27So',
      kid: EC_KID,
      alg: 'ES256',
      use: 'sig',
    });
  });

  it('gives an Ed25519 key its kid and EdDSA', () => {
    const keys = createKeyMaterial({ privateKey: ED_PRIVATE, refreshTokenSecret: SECRET });
    expect(keys.accessSigning).toMatchObject({ kid: ED_KID, alg: 'EdDSA' });
    expect(keys.accessVerification.get(ED_KID)?.jwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: 'gLUcYVTr9QHiHZ3jmacDQWMtYFBUukQPxAC--ajNjMM',
      kid: ED_KID,
      alg: 'EdDSA',
      use: 'sig',
    });
  });

  it('derives the refresh, CSRF, lockout and device secrets exactly as before the move', () => {
    const keys = createKeyMaterial({ privateKey: EC_PRIVATE, refreshTokenSecret: SECRET });
    expect(keys.refreshSecret.type).toBe('secret');
    expect(keys.refreshSecret.export().toString('hex')).toBe(DERIVED.refreshSecret);
    expect(keys.csrfSecret.toString('hex')).toBe(DERIVED.csrfSecret);
    expect(keys.lockoutSecret.toString('hex')).toBe(DERIVED.lockoutSecret);
    expect(keys.deviceSecret.toString('hex')).toBe(DERIVED.deviceSecret);
  });

  it('derives the same secrets from the secret given as a Buffer', () => {
    const keys = createKeyMaterial({
      privateKey: EC_PRIVATE,
      refreshTokenSecret: Buffer.from(SECRET, 'utf8'),
    });
    expect(keys.csrfSecret.toString('hex')).toBe(DERIVED.csrfSecret);
    expect(keys.refreshSecret.export().toString('hex')).toBe(DERIVED.refreshSecret);
  });

  it('trusts older public keys after the signing key, once each, from one text or several', () => {
    const keys = createKeyMaterial({
      privateKey: EC_PRIVATE,
      publicKeys: [`${ED_PUBLIC}\n${OLD_EC_PUBLIC}`, OLD_EC_PUBLIC, createPublicKey(EC_PRIVATE)],
      refreshTokenSecret: SECRET,
    });
    expect([...keys.accessVerification.keys()]).toEqual([EC_KID, ED_KID, OLD_EC_KID]);
    expect(keys.accessVerification.get(OLD_EC_KID)?.alg).toBe('ES256');
  });

  it('accepts PEMs with literal \\n, as environment files carry them', () => {
    const keys = createKeyMaterial({
      privateKey: EC_PRIVATE.replace(/\n/g, '\\n'),
      publicKeys: [ED_PUBLIC.replace(/\n/g, '\\n')],
      refreshTokenSecret: SECRET,
    });
    expect([...keys.accessVerification.keys()]).toEqual([EC_KID, ED_KID]);
  });

  it('accepts a private KeyObject', () => {
    const keys = createKeyMaterial({
      privateKey: createPrivateKey(ED_PRIVATE),
      refreshTokenSecret: SECRET,
    });
    expect(keys.accessSigning.kid).toBe(ED_KID);
  });

  it('takes the thumbprint over the required members only, as RFC 7638 says', () => {
    const jwk = createPublicKey(EC_PRIVATE).export({ format: 'jwk' }) as Record<string, string>;
    expect(jwkThumbprint({ ...jwk, extra: 'ignored' })).toBe(EC_KID);
  });

  it.each<[string, () => unknown, string, string | undefined]>([
    [
      'a missing private key',
      () => createKeyMaterial({ privateKey: '', refreshTokenSecret: SECRET }),
      'keys.privateKey',
      undefined,
    ],
    [
      'a private key that is not a PEM, without echoing it',
      () => createKeyMaterial({ privateKey: EC_PRIVATE.slice(0, 120), refreshTokenSecret: SECRET }),
      'keys.privateKey',
      '(hidden)',
    ],
    [
      'a public KeyObject as the private key',
      () =>
        createKeyMaterial({ privateKey: createPublicKey(EC_PRIVATE), refreshTokenSecret: SECRET }),
      'keys.privateKey',
      '(hidden)',
    ],
    [
      'a public key that is not one',
      () =>
        createKeyMaterial({
          privateKey: EC_PRIVATE,
          publicKeys: ['-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----'],
          refreshTokenSecret: SECRET,
        }),
      'keys.publicKeys',
      '-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----',
    ],
    [
      'a missing secret',
      () => createKeyMaterial({ privateKey: EC_PRIVATE, refreshTokenSecret: '' }),
      'keys.refreshTokenSecret',
      undefined,
    ],
    [
      'a secret of 31 bytes, without echoing it',
      () => createKeyMaterial({ privateKey: EC_PRIVATE, refreshTokenSecret: 's'.repeat(31) }),
      'keys.refreshTokenSecret',
      '(hidden)',
    ],
  ])('refuses %s', (_, run, option, value) => {
    const error = errorOf(run);
    expect(error.option).toBe(option);
    expect(error.value).toBe(value);
    expect(error.message).toContain(option);
    expect(error.message).not.toContain('MIGHAgEAMBMG');
    expect(error.message).not.toContain('sssssssss');
  });

  it('refuses an RSA key, naming the curves it accepts', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const error = errorOf(() => createKeyMaterial({ privateKey: rsa, refreshTokenSecret: SECRET }));
    expect(error.option).toBe('keys.privateKey');
    expect(error.accepts).toContain('P-256');
    expect(error.value).toBe('RSA  key');
    expect(error.message).not.toContain(rsa.slice(40, 80));
  });

  it('accepts a secret of exactly 32 bytes, counted in UTF-8 bytes', () => {
    expect(() =>
      createKeyMaterial({ privateKey: EC_PRIVATE, refreshTokenSecret: 's'.repeat(32) }),
    ).not.toThrow();
    // 16 two-byte characters are 32 bytes.
    expect(() =>
      createKeyMaterial({ privateKey: EC_PRIVATE, refreshTokenSecret: 'é'.repeat(16) }),
    ).not.toThrow();
    expect(
      errorOf(() =>
        createKeyMaterial({ privateKey: EC_PRIVATE, refreshTokenSecret: 'é'.repeat(15) + 's' }),
      ).option,
    ).toBe('keys.refreshTokenSecret');
  });
});
