import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { promisify } from 'node:util';
import request from 'supertest';
import {
  PASSWORD,
  refresh,
  registerUser,
  sleep,
  type TestUser,
  type TokenResponse,
  uniqueEmail,
} from '../factories/users';
import { expectContractError } from '../support/expect-error';
import { TcpProxy } from '../support/tcp-proxy';
import { queryRows } from '../support/test-database';
import {
  createTestApp,
  type RunningService,
  startService,
  type TestApp,
} from '../support/test-app';
import {
  compileFixture,
  type InstalledFixture,
  installFixture,
  packLibrary,
  RESOURCE_SERVER_FIXTURE_SOURCE,
} from './installed-fixture';

const run = promisify(execFile);

/** A port nothing listens on (fetch refuses low "bad ports" such as 1 before connecting). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

const FEED_TOKEN = `feed-${randomBytes(24).toString('hex')}`;
/** The service's REVOCATION_PROPAGATION (its default), in ms. */
const PROPAGATION_MS = 1_000;
/** The issue's bound: a resource server refuses a revoked session within this of the revoking answer. */
const REFUSED_WITHIN_MS = PROPAGATION_MS + 1_000;
/** The service's issuer: its JWT_ISSUER defaults to the origin of PUBLIC_URL (test-app.ts). */
const ISSUER = 'http://localhost:3000';

/**
 * Issue 13: a Nest app that only verifies the service's access tokens, installed from the packed
 * tarball without typeorm, pg, argon2 or ioredis (test/library/resource-server-fixture), refuses a
 * revoked session as fast as the service does, through the revocation feed.
 */
describe('the resource server installed from the tarball', () => {
  let fixture: InstalledFixture;
  let tarball: string;

  beforeAll(async () => {
    tarball = await packLibrary();
    fixture = await installFixture(tarball, RESOURCE_SERVER_FIXTURE_SOURCE);
    await compileFixture(fixture);
  }, 600_000);

  afterAll(() => fixture?.remove());

  describe('the package', () => {
    it('holds the ./resource-server entry point', async () => {
      const { stdout } = await run('tar', ['tzf', tarball]);
      expect(stdout.split('\n')).toEqual(
        expect.arrayContaining([
          'package/dist/resource-server/index.js',
          'package/dist/resource-server/index.d.ts',
        ]),
      );
    });

    it('installs and loads without typeorm, pg, argon2, ioredis or @nestjs/typeorm', async () => {
      const probe = `
        const failure = (name) => { try { require.resolve(name); return 'resolved'; } catch (error) { return error.code; } };
        const rs = require('@session-service/nestjs/resource-server');
        console.log(JSON.stringify({
          absent: ['typeorm', 'pg', 'argon2', 'ioredis', '@nestjs/typeorm'].map(failure),
          exports: ['ResourceServerModule', 'RevocationFeedStatus', 'ResourceServerGuard', 'Public', 'Auth', 'Roles', 'CurrentUser']
            .filter((name) => rs[name] === undefined),
        }));`;
      const { stdout } = await run(process.execPath, ['-e', probe], { cwd: fixture.dir });
      expect(JSON.parse(stdout)).toEqual({
        absent: Array(5).fill('MODULE_NOT_FOUND'),
        exports: [],
      });
    });
  });

  describe('beside a running service', () => {
    let service: TestApp;
    const running: { stop(): Promise<unknown> }[] = [];

    beforeAll(async () => {
      service = await createTestApp({
        env: { REVOCATION_FEED_TOKENS: FEED_TOKEN, REFRESH_REUSE_GRACE: '0s' },
      });
    }, 60_000);

    afterAll(async () => {
      for (const process of running.reverse()) await process.stop();
      await service?.close();
    });

    function feedUrl(base = service.url): string {
      return `${base}/auth/revocations`;
    }

    /** The fixture app, pointed at the service's JWK Set and (unless told otherwise) its feed. */
    async function startResourceServer(env: Record<string, string> = {}): Promise<RunningService> {
      const app = await startService(
        {
          PORT: '0',
          ISSUER,
          JWKS_URL: `${service.url}/.well-known/jwks.json`,
          FEED_URL: feedUrl(),
          FEED_TOKEN,
          ...env,
        },
        fixture.main,
      );
      running.push(app);
      return app;
    }

    function notes(app: RunningService, accessToken: string) {
      return request(app.url).get('/notes').set('Authorization', `Bearer ${accessToken}`);
    }

    async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`Not within ${timeoutMs} ms`);
        await sleep(20);
      }
    }

    async function feedIsUp(app: RunningService): Promise<boolean> {
      return (await request(app.url).get('/ready')).body.state === 'up';
    }

    /** Polls until the app refuses the token as revoked; the time that took from `since`, in ms. */
    async function refusedAfter(app: RunningService, accessToken: string, since: number) {
      for (;;) {
        const response = await notes(app, accessToken);
        if (response.status === 401) {
          expectContractError(response, 401, 'session_revoked');
          return Date.now() - since;
        }
        expect(response.status).toBe(200);
        if (Date.now() - since > 10_000) throw new Error('Never refused');
        await sleep(20);
      }
    }

    it('starts with no feed reachable, verifies the service’s tokens with its JWK Set, and says the feed is down', async () => {
      const app = await startResourceServer({
        FEED_URL: `http://127.0.0.1:${await closedPort()}/auth/revocations`,
      });
      const user = await registerUser(service.url);
      const ok = await notes(app, user.tokens.accessToken).expect(200);
      expect(ok.body).toEqual({
        owner: user.tokens.user.id,
        sessionId: user.tokens.sessionId,
        roles: ['user'],
      });
      expectContractError(await request(app.url).get('/notes'), 401, 'access_token_missing');
      const forged = await notes(app, `${user.tokens.accessToken.slice(0, -4)}AAAA`);
      expectContractError(forged, 401, 'access_token_invalid');
      expect(forged.headers['www-authenticate']).toContain('error="invalid_token"');
      const refreshToken = await notes(app, user.tokens.refreshToken);
      expectContractError(refreshToken, 401, 'access_token_invalid');
      expectContractError(
        await request(app.url)
          .get('/admin/notes')
          .set('Authorization', `Bearer ${user.tokens.accessToken}`),
        403,
        'forbidden',
      );
      await request(app.url).get('/hello').expect(200, { hello: 'world' });
      const ready = await request(app.url).get('/ready').expect(503);
      expect(ready.body).toMatchObject({ state: 'down', healthy: false });
      expect(ready.body.problem).toContain('ECONNREFUSED');
      expect(app.logs.join('\n')).toContain('Revocation feed unreachable');
      expect(app.logs.join('\n')).not.toContain(FEED_TOKEN);
    });

    describe('following the service’s feed', () => {
      let app: RunningService;

      beforeAll(async () => {
        app = await startResourceServer();
        await waitFor(() => feedIsUp(app), 10_000);
      }, 30_000);

      it('the feed refuses a wrong token with 401 feed_token_invalid and answers the right one', async () => {
        const wrong = await request(service.url)
          .get('/auth/revocations')
          .set('Authorization', `Bearer ${'x'.repeat(40)}`);
        expectContractError(wrong, 401, 'feed_token_invalid');
        const right = await request(service.url)
          .get('/auth/revocations')
          .set('Authorization', `Bearer ${FEED_TOKEN}`)
          .expect(200);
        expect(right.body).toEqual({
          events: expect.any(Array),
          cursor: expect.stringMatching(/^\d+$/),
        });
      });

      it('refuses a session’s tokens within REVOCATION_PROPAGATION + 1 s of a logout', async () => {
        const user = await registerUser(service.url);
        await notes(app, user.tokens.accessToken).expect(200);
        await request(service.url)
          .post('/auth/logout')
          .send({ refreshToken: user.tokens.refreshToken })
          .expect(204);
        expect(await refusedAfter(app, user.tokens.accessToken, Date.now())).toBeLessThan(
          REFUSED_WITHIN_MS,
        );
      });

      it('… of a reuse detection', async () => {
        const user = await registerUser(service.url);
        const rotated = (await refresh(service.url, user.tokens.refreshToken).expect(200))
          .body as TokenResponse;
        await notes(app, rotated.accessToken).expect(200);
        await refresh(service.url, user.tokens.refreshToken).expect(401);
        const since = Date.now();
        expect(await refusedAfter(app, rotated.accessToken, since)).toBeLessThan(REFUSED_WITHIN_MS);
        expect(await refusedAfter(app, user.tokens.accessToken, since)).toBeLessThan(
          REFUSED_WITHIN_MS,
        );
      });

      it('… of logout-all, for every session of the user', async () => {
        const user = await registerUser(service.url);
        const second = (
          await request(service.url)
            .post('/auth/login')
            .send({ email: user.email, password: PASSWORD })
            .expect(200)
        ).body as TokenResponse;
        await request(service.url)
          .post('/auth/logout-all')
          .set('Authorization', `Bearer ${user.tokens.accessToken}`)
          .expect(204);
        const since = Date.now();
        expect(await refusedAfter(app, user.tokens.accessToken, since)).toBeLessThan(
          REFUSED_WITHIN_MS,
        );
        expect(await refusedAfter(app, second.accessToken, since)).toBeLessThan(REFUSED_WITHIN_MS);
      });

      it('… of an admin revocation', async () => {
        const admin = await adminUser();
        await request(app.url)
          .get('/admin/notes')
          .set('Authorization', `Bearer ${admin.accessToken}`)
          .expect(200);
        const user = await registerUser(service.url);
        await notes(app, user.tokens.accessToken).expect(200);
        await request(service.url)
          .delete(`/admin/users/${user.tokens.user.id}/sessions`)
          .set('Authorization', `Bearer ${admin.accessToken}`)
          .expect(204);
        expect(await refusedAfter(app, user.tokens.accessToken, Date.now())).toBeLessThan(
          REFUSED_WITHIN_MS,
        );
      });

      it('with two service instances, whichever revoked it', async () => {
        const other = await createTestApp({
          databaseUrl: service.databaseUrl,
          env: { REVOCATION_FEED_TOKENS: FEED_TOKEN },
        });
        running.push(other);
        const user = await registerUser(service.url);
        await notes(app, user.tokens.accessToken).expect(200);
        await request(other.url)
          .post('/auth/logout')
          .send({ refreshToken: user.tokens.refreshToken })
          .expect(204);
        expect(await refusedAfter(app, user.tokens.accessToken, Date.now())).toBeLessThan(
          REFUSED_WITHIN_MS,
        );
      });

      it('a resource server started after a revocation refuses that session from its first request', async () => {
        const user = await registerUser(service.url);
        await request(service.url)
          .post('/auth/logout')
          .send({ refreshToken: user.tokens.refreshToken })
          .expect(204);
        await sleep(PROPAGATION_MS);
        const late = await startResourceServer();
        expectContractError(await notes(late, user.tokens.accessToken), 401, 'session_revoked');
      });

      it('catches up within a second of reconnecting after its feed connection was cut', async () => {
        const proxy = await TcpProxy.start('127.0.0.1', service.port);
        running.push({ stop: () => proxy.close() });
        const behind = await startResourceServer({
          FEED_URL: feedUrl(`http://127.0.0.1:${proxy.port}`),
        });
        await waitFor(() => feedIsUp(behind), 10_000);
        const user = await registerUser(service.url);
        await notes(behind, user.tokens.accessToken).expect(200);

        await proxy.cut('refuse');
        await waitFor(() => behind.logs.join('\n').includes('Revocation feed unreachable'), 5_000);
        await request(service.url)
          .post('/auth/logout')
          .send({ refreshToken: user.tokens.refreshToken })
          .expect(204);
        await sleep(PROPAGATION_MS + 500);
        // Without its feed it cannot know yet: the token still passes.
        await notes(behind, user.tokens.accessToken).expect(200);

        await proxy.restore();
        await waitFor(() => behind.logs.join('\n').includes('Revocation feed is back'), 20_000);
        expect(await refusedAfter(behind, user.tokens.accessToken, Date.now())).toBeLessThan(1_000);
      }, 60_000);

      it('with a wrong feed token: keeps verifying, and its log and readiness say why', async () => {
        const wrong = await startResourceServer({
          FEED_TOKEN: `wrong-${randomBytes(20).toString('hex')}`,
        });
        const user = await registerUser(service.url);
        await notes(wrong, user.tokens.accessToken).expect(200);
        const ready = await request(wrong.url).get('/ready').expect(503);
        expect(ready.body.problem).toContain('401 feed_token_invalid');
        expect(wrong.logs.join('\n')).toContain('feed_token_invalid');
      });

      it('with maxFeedSilence: answers 503 service_unavailable on guarded routes once the feed is gone', async () => {
        const proxy = await TcpProxy.start('127.0.0.1', service.port);
        running.push({ stop: () => proxy.close() });
        const strict = await startResourceServer({
          FEED_URL: feedUrl(`http://127.0.0.1:${proxy.port}`),
          MAX_FEED_SILENCE: '16s',
        });
        await waitFor(() => feedIsUp(strict), 10_000);
        const user = await registerUser(service.url);
        await notes(strict, user.tokens.accessToken).expect(200);
        await proxy.cut('blackhole');
        await waitFor(
          async () => (await notes(strict, user.tokens.accessToken)).status === 503,
          25_000,
        );
        expectContractError(
          await notes(strict, user.tokens.accessToken),
          503,
          'service_unavailable',
        );
        await request(strict.url).get('/hello').expect(200);
        await proxy.restore();
        await waitFor(
          async () => (await notes(strict, user.tokens.accessToken)).status === 200,
          20_000,
        );
      }, 90_000);
    });

    it('forgets a revocation once its last access token has expired', async () => {
      const brief = await createTestApp({
        env: { REVOCATION_FEED_TOKENS: FEED_TOKEN, ACCESS_TOKEN_TTL: '2s' },
      });
      running.push(brief);
      const app = await startResourceServer({
        JWKS_URL: `${brief.url}/.well-known/jwks.json`,
        FEED_URL: feedUrl(brief.url),
      });
      await waitFor(() => feedIsUp(app), 10_000);
      const user = await registerUser(brief.url);
      await request(brief.url)
        .post('/auth/logout')
        .send({ refreshToken: user.tokens.refreshToken })
        .expect(204);
      await waitFor(
        async () => (await request(app.url).get('/ready')).body.revokedSessions === 1,
        3_000,
      );
      // until = revokedAt + ACCESS_TOKEN_TTL; the app drops entries on its sweep after that.
      await waitFor(
        async () => (await request(app.url).get('/ready')).body.revokedSessions === 0,
        15_000,
      );
    }, 40_000);

    /** A user granted `admin` in the database, with a token minted after the grant. */
    async function adminUser(): Promise<TokenResponse> {
      const user: TestUser = await registerUser(service.url, { email: uniqueEmail('admin') });
      await queryRows(
        service.databaseUrl,
        `UPDATE users SET roles = ARRAY['user', 'admin'], roles_changed_at = now() WHERE email = $1`,
        [user.email],
      );
      return (await refresh(service.url, user.tokens.refreshToken).expect(200))
        .body as TokenResponse;
    }
  });

  it('a service with no feed tokens serves no feed: 404', async () => {
    const plain = await createTestApp();
    try {
      const response = await request(plain.url)
        .get('/auth/revocations')
        .set('Authorization', `Bearer ${FEED_TOKEN}`);
      expectContractError(response, 404, 'not_found');
    } finally {
      await plain.close();
    }
  });
});
