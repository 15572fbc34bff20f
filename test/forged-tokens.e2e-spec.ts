import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { decodeJwt, me, refresh, registerUser, TokenResponse } from './factories/users';
import { createTestApp, TEST_DATA_DIR, TestApp } from './support/test-app';

const b64 = (value: object | string) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('forged and misused tokens', () => {
  let t: TestApp;
  let tokens: TokenResponse;
  let claims: Record<string, unknown>;
  let kid: string;
  const signingKey = () =>
    createPrivateKey(readFileSync(join(TEST_DATA_DIR, 'keys', 'access-private.pem'), 'utf8'));

  beforeAll(async () => {
    t = await createTestApp();
    tokens = (await registerUser(t.url)).tokens;
    claims = decodeJwt(tokens.accessToken).payload;
    kid = decodeJwt(tokens.accessToken).header.kid as string;
  });
  afterAll(() => t.close());

  /** Signs with the service's own key: only the part under test is wrong. */
  const sign = (payload: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt', ...header } as never)
      .sign(signingKey());

  const expectInvalid = async (token: string, code = 'access_token_invalid') => {
    const response = await me(t.url, token).expect(401);
    expect(response.body.code).toBe(code);
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
  };

  it('accepts the genuine token and one re-signed with the same key and claims', async () => {
    await me(t.url, tokens.accessToken).expect(200);
    await me(t.url, await sign(claims)).expect(200);
  });

  it('refuses a tampered signature', async () => {
    const [h, p, s] = tokens.accessToken.split('.');
    const flipped = s[0] === 'A' ? `B${s.slice(1)}` : `A${s.slice(1)}`;
    await expectInvalid(`${h}.${p}.${flipped}`);
  });

  it('refuses a tampered payload', async () => {
    const [h, , s] = tokens.accessToken.split('.');
    await expectInvalid(`${h}.${b64({ ...claims, roles: ['user', 'admin'] })}.${s}`);
  });

  it('refuses alg: none', async () => {
    await expectInvalid(`${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(claims)}.`);
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const publicPem = createPublicKey(signingKey()).export({ type: 'spki', format: 'pem' });
    const head = `${b64({ alg: 'HS256', typ: 'at+jwt', kid })}.${b64(claims)}`;
    const mac = createHmac('sha256', publicPem).update(head).digest('base64url');
    await expectInvalid(`${head}.${mac}`);
  });

  it('refuses an unknown kid, and a token signed by another key with a known kid', async () => {
    await expectInvalid(await sign(claims, { kid: 'unknown-key' }));
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .sign(other);
    await expectInvalid(forged);
  });

  it.each(['jku', 'x5u', 'jwk'])('refuses a %s header', async (name) => {
    await expectInvalid(
      await sign(claims, { [name]: name === 'jwk' ? { kty: 'EC' } : 'https://evil.example/keys' }),
    );
  });

  it('refuses a missing or wrong typ', async () => {
    await expectInvalid(await sign(claims, { typ: 'JWT' }));
  });

  it('refuses a wrong issuer or audience', async () => {
    await expectInvalid(await sign({ ...claims, iss: 'https://evil.example' }));
    await expectInvalid(await sign({ ...claims, aud: 'another-service' }));
  });

  it('answers access_token_expired for an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectInvalid(
      await sign({ ...claims, iat: now - 1000, exp: now - 10 }),
      'access_token_expired',
    );
  });

  it('never accepts a refresh token as an access token', async () => {
    await expectInvalid(tokens.refreshToken);
  });

  it('never accepts an access token as a refresh token', async () => {
    const response = await refresh(t.url, tokens.accessToken).expect(401);
    expect(response.body.code).toBe('refresh_token_invalid');
  });

  it('refuses a refresh token signed with the access key, or with a made-up secret', async () => {
    const payload = decodeJwt(tokens.refreshToken).payload;
    const withAccessKey = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', typ: 'refresh+jwt' })
      .sign(signingKey());
    expect((await refresh(t.url, withAccessKey).expect(401)).body.code).toBe(
      'refresh_token_invalid',
    );
    const withGuess = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'refresh+jwt' })
      .sign(new TextEncoder().encode('a guessed secret of enough length!!'));
    expect((await refresh(t.url, withGuess).expect(401)).body.code).toBe('refresh_token_invalid');
  });

  it('answers 401, never 500, for absurd tokens', async () => {
    for (const token of [
      'a',
      'a.b',
      'a.b.c.d',
      '....',
      'x'.repeat(8_000),
      `${b64('{')}.${b64('[')}.x`,
    ]) {
      const response = await me(t.url, token);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('access_token_invalid');
    }
  });
});
