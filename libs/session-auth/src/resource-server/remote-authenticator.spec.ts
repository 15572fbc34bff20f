import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { SessionAuthError } from '../core/errors';
import type { HttpRequest } from '../http/request';
import { RemoteAuthenticator } from './remote-authenticator';
import { normaliseResourceServerOptions } from './resource-server-options';
import { RevocationFeedStatus } from './revocation-feed-status';
import { RevokedTokens } from './revoked-tokens';

const ISSUER = 'https://auth.example.test';
const AUDIENCE = 'session-service';

/** A JWK Set over HTTP, as the service's /.well-known/jwks.json, that counts its fetches. */
let server: Server;
let jwksUrl: string;
let served: JWK[] = [];
let fetches = 0;
let signingKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  signingKey = pair.privateKey;
  served = [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }];
  server = createServer((_request, response) => {
    fetches++;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

function authenticator(extra: { maxFeedSilence?: '16s'; jwksUrl?: string } = {}) {
  const options = normaliseResourceServerOptions({
    issuer: ISSUER,
    jwksUrl: extra.jwksUrl ?? jwksUrl,
    ...(extra.maxFeedSilence
      ? {
          maxFeedSilence: extra.maxFeedSilence,
          revocationFeed: { url: 'http://127.0.0.1:1/feed', token: 'x'.repeat(32) },
        }
      : {}),
  });
  const revoked = new RevokedTokens(options);
  const status = new RevocationFeedStatus(options, revoked);
  return { revoked, status, remote: new RemoteAuthenticator(options, revoked, status) };
}

interface TokenShape {
  kid?: string;
  typ?: string;
  iss?: string;
  aud?: string;
  sid?: string;
  exp?: number;
  roles?: unknown;
  key?: CryptoKey;
}

async function token(shape: TokenShape = {}): Promise<{ token: string; sid: string; sub: string }> {
  const sid = shape.sid ?? randomUUID();
  const sub = randomUUID();
  const now = Math.floor(Date.now() / 1000);
  const signed = await new SignJWT({ sid, roles: shape.roles ?? ['user'] })
    .setProtectedHeader({ alg: 'ES256', kid: shape.kid ?? 'k1', typ: shape.typ ?? 'at+jwt' })
    .setIssuer(shape.iss ?? ISSUER)
    .setAudience(shape.aud ?? AUDIENCE)
    .setSubject(sub)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(shape.exp ?? now + 600)
    .sign(shape.key ?? signingKey);
  return { token: signed, sid, sub };
}

function bearer(value: string): HttpRequest {
  return { method: 'GET', url: '/', headers: { authorization: `Bearer ${value}` } };
}

async function refusal(attempt: () => unknown): Promise<string> {
  try {
    await attempt();
  } catch (error) {
    if (error instanceof SessionAuthError) return error.reason;
    throw error;
  }
  throw new Error('accepted');
}

describe('RemoteAuthenticator', () => {
  it('accepts the service’s access token, as the same user shape the service hands out', async () => {
    const { remote } = authenticator();
    const issued = await token({ roles: ['user', 'admin'] });
    const user = await remote.authenticateRequest(bearer(issued.token));
    expect(user).toMatchObject({
      id: issued.sub,
      sessionId: issued.sid,
      roles: ['user', 'admin'],
      via: 'bearer',
    });
    // Remembered: the next request is answered without awaiting anything.
    expect(remote.authenticateRequest(bearer(issued.token))).toMatchObject({ id: issued.sub });
  });

  it('pins typ, issuer, audience and the claims, as the service does', async () => {
    const { remote } = authenticator();
    const check = async (shape: TokenShape) =>
      refusal(async () => remote.authenticateRequest(bearer((await token(shape)).token)));
    expect(await check({ typ: 'refresh+jwt' })).toBe('access_token_invalid');
    expect(await check({ iss: 'https://elsewhere.test' })).toBe('access_token_invalid');
    expect(await check({ aud: 'another-service' })).toBe('access_token_invalid');
    expect(await check({ sid: 'not-a-uuid' })).toBe('access_token_invalid');
    expect(await check({ roles: 'admin' })).toBe('access_token_invalid');
    expect(await check({ exp: Math.floor(Date.now() / 1000) - 10 })).toBe('access_token_expired');
    expect(
      await refusal(() => remote.authenticateRequest({ method: 'GET', url: '/', headers: {} })),
    ).toBe('access_token_missing');
  });

  it('fetches the key set again for an unknown kid (a key rotation), and refuses a kid it still lacks', async () => {
    const { remote } = authenticator();
    await remote.authenticateRequest(bearer((await token()).token));
    const before = fetches;
    const rotated = await generateKeyPair('ES256', { extractable: true });
    served = [...served, { ...(await exportJWK(rotated.publicKey)), kid: 'k2', alg: 'ES256' }];
    const rotatedToken = (await token({ kid: 'k2', key: rotated.privateKey })).token;
    // jose fetches again at most once per 30 s cooldown after its last fetch.
    expect(await refusal(() => remote.authenticateRequest(bearer(rotatedToken)))).toBe(
      'access_token_invalid',
    );
    expect(fetches).toBe(before);
    const realNow = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 31_000);
    try {
      const user = await remote.authenticateRequest(bearer(rotatedToken));
      expect(user.via).toBe('bearer');
    } finally {
      jest.restoreAllMocks();
    }
    expect(fetches).toBe(before + 1);
    const forged = await generateKeyPair('ES256');
    expect(
      await refusal(async () =>
        remote.authenticateRequest(
          bearer((await token({ kid: 'k1', key: forged.privateKey })).token),
        ),
      ),
    ).toBe('access_token_invalid');
  });

  it('answers 503, not 401, while the key set cannot be fetched', async () => {
    const { remote } = authenticator({ jwksUrl: 'http://127.0.0.1:1/.well-known/jwks.json' });
    expect(
      await refusal(async () => remote.authenticateRequest(bearer((await token()).token))),
    ).toBe('service_unavailable');
  });

  it('refuses a session the feed revoked, even for a token it remembered', async () => {
    const { remote, revoked } = authenticator();
    const issued = await token();
    await remote.authenticateRequest(bearer(issued.token));
    revoked.revokeSession(issued.sid, Date.now() + 60_000);
    expect(await refusal(() => remote.authenticateRequest(bearer(issued.token)))).toBe(
      'session_revoked',
    );
  });

  it('answers service_unavailable once the feed has been silent past maxFeedSilence', async () => {
    const { remote, status } = authenticator({ maxFeedSilence: '16s' });
    const issued = await token();
    status.heard(null, Date.now() - 15_000);
    await remote.authenticateRequest(bearer(issued.token));
    status.heard(null, Date.now() - 16_001);
    expect(await refusal(() => remote.authenticateRequest(bearer(issued.token)))).toBe(
      'service_unavailable',
    );
  });
});
