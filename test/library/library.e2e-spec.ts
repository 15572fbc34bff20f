import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import request, { Response } from 'supertest';
import {
  decodeJwt,
  login,
  PASSWORD,
  refresh,
  registerUser,
  sleep,
  uniqueEmail,
} from '../factories/users';
import {
  ACCESS_COOKIE,
  CSRF_COOKIE,
  REFRESH_COOKIE,
  cookiesOf,
  signInWithCookies,
} from '../support/cookie-jar';
import { expectContractError } from '../support/expect-error';
import { openFeedStream, sidsOf } from '../support/feed-stream';
import { createTestSchema, dropTestSchema, queryRows } from '../support/test-database';
import { RunningService, startService } from '../support/test-app';
import { compileFixture, InstalledFixture, installFixture, packLibrary } from './installed-fixture';

const run = promisify(execFile);

/** The fixture's `refreshReuseGrace` and `revocationPropagation` (src/settings.ts), in ms. */
const GRACE_MS = 2_000;
const PROPAGATION_MS = 1_000;
/** The account the own-users fixture's migration seeds (src/own-users/app-users.migration.ts). */
const SEEDED = { email: 'owner@fixture.example', password: 'fixture-owner-password' };
/** The cookie the built-in fixture app sets of its own (src/builtin/visit-cookie.interceptor.ts). */
const HOST_COOKIE = 'fixture_visit';
/** The fixture apps' `revocationFeedTokens`. */
const FEED_TOKEN = 'fixture-feed-token-0123456789abcdef0123456789';

type Platform = 'express' | 'fastify';
interface FixtureApp extends RunningService {
  databaseUrl: string;
}

/**
 * What the issue asks of the library: `npm run pack:lib`'s tarball, installed with npm into fresh
 * Nest apps outside this repository (test/library/fixture), proves over HTTP on Express and on
 * Fastify that the contract holds on the library's routes and on the host's own.
 */
/**
 * A cross-site form post (no credentials, a body that is not JSON) to the sign-in route under
 * `base`: refused for its Origin before the body is read, and for its body without an Origin.
 */
async function expectFormPostRefused(base: string): Promise<void> {
  const formPost = () =>
    request(base)
      .post('/auth/login')
      .set('Content-Type', 'text/plain')
      .send(`{"email":"${uniqueEmail()}","password":"${PASSWORD}"}`);
  expectContractError(
    await formPost().set('Origin', 'https://evil.example'),
    403,
    'origin_not_allowed',
  );
  expectContractError(await formPost(), 415, 'unsupported_media_type');
}

describe('the library installed from its tarball into fresh Nest apps', () => {
  let tarball: string;
  let fixture: InstalledFixture;

  beforeAll(async () => {
    tarball = await packLibrary();
    fixture = await installFixture(tarball);
  }, 600_000);

  afterAll(() => fixture?.remove());

  describe('the package', () => {
    it('npm run pack:lib wrote one tarball to dist/pack/ and printed its path last', async () => {
      expect(existsSync(tarball)).toBe(true);
      expect(basename(dirname(tarball))).toBe('pack');
      expect(readdirSync(dirname(tarball)).filter((name) => name.endsWith('.tgz'))).toEqual([
        basename(tarball),
      ]);
      const { stdout } = await run('tar', ['tzf', tarball]);
      const files = stdout.split('\n');
      expect(files).toContain('package/dist/index.js');
      expect(files).toContain('package/dist/index.d.ts');
      expect(
        files.filter((file) => /\.spec\.|\.ts$/.test(file) && !file.endsWith('.d.ts')),
      ).toEqual([]);
    });

    it('is installed in the app’s own node_modules, exposes only its entry points, and needs no cookie plugin', async () => {
      const probe = `
        const library = require('@session-service/nestjs');
        const { parseDuration } = require('@session-service/nestjs/internal');
        const failure = (name) => { try { require.resolve(name); return 'resolved'; } catch (error) { return error.code; } };
        console.log(JSON.stringify({
          version: require('@session-service/nestjs/package.json').version,
          exports: typeof library,
          fifteenMinutes: parseDuration('15m'),
          entities: library.SESSION_AUTH_ENTITIES.map((entity) => entity.name),
          migrations: library.SESSION_AUTH_MIGRATIONS.map((migration) => migration.name),
          hidden: failure('@session-service/nestjs/dist/core/duration'),
          absent: ['cookie-parser', '@fastify/cookie', 'ioredis'].map(failure),
          peers: ['@nestjs/swagger', '@nestjs/passport', 'passport'].map(failure),
          location: require.resolve('@session-service/nestjs'),
        }));`;
      const { stdout } = await run(process.execPath, ['-e', probe], { cwd: fixture.dir });
      const result = JSON.parse(stdout);
      expect(result).toEqual({
        version: '0.1.0',
        exports: 'object',
        fifteenMinutes: 900_000,
        // What a host passes to its DataSource; deployed databases have these migration names recorded.
        entities: [
          'User',
          'SecurityEvent',
          'Session',
          'LoginFailure',
          'SessionRevocation',
          'SessionsRevokedBefore',
        ],
        migrations: [
          'InitialSchema1764086400000',
          'RolesChangedAt1765000000000',
          'LoginFailures1796536800000',
          'SessionRevocations1796544000000',
          'SessionPolicies1796545800000',
          'SessionAuthTime1796547600000',
          'BoundedSessionStorage1796553000000',
          'ClosedAccounts1796553600000',
        ],
        hidden: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
        // No cookie plugin, and Redis only with redisUrl; the OpenAPI metadata and the Passport
        // strategies need their packages, which npm installs as the library's peers.
        absent: Array(3).fill('MODULE_NOT_FOUND'),
        peers: Array(3).fill('resolved'),
        location: join(fixture.dir, 'node_modules/@session-service/nestjs/dist/index.js'),
      });
      // Extracted from the tarball, not a link back into this repository.
      expect(realpathSync(result.location)).toBe(result.location);
    });
  });

  describe('as a dependency of apps that run over HTTP', () => {
    const apps = {} as Record<
      Platform | 'expressPeer' | 'own' | 'routePrefix' | 'globalPrefix' | 'excluded',
      FixtureApp
    >;
    const schemas: string[] = [];
    // Instances on one database sign with the same keys, as one deployment's do.
    const keys = {
      JWT_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
      REFRESH_TOKEN_SECRET: randomBytes(32).toString('base64url'),
    };

    async function startApp(
      platform: Platform,
      app: 'builtin' | 'own',
      options: { databaseUrl?: string; env?: Record<string, string> } = {},
    ): Promise<FixtureApp> {
      let databaseUrl = options.databaseUrl;
      if (!databaseUrl) {
        const schema = await createTestSchema();
        schemas.push(schema.schema);
        databaseUrl = schema.url;
      }
      const env = {
        PLATFORM: platform,
        APP: app,
        PORT: '0',
        DATABASE_URL: databaseUrl,
        REVOCATION_FEED_TOKENS: FEED_TOKEN,
        ...keys,
        ...options.env,
      };
      return { ...(await startService(env, fixture.main)), databaseUrl };
    }

    beforeAll(async () => {
      await compileFixture(fixture);
      // Each kept as soon as it runs, so that afterAll stops it even when another failed to start.
      const started = await Promise.allSettled([
        startApp('express', 'builtin').then((app) => (apps.express = app)),
        startApp('fastify', 'builtin').then((app) => (apps.fastify = app)),
        startApp('express', 'own').then((app) => (apps.own = app)),
        startApp('express', 'builtin', { env: { ROUTE_PREFIX: '/api' } }).then(
          (app) => (apps.routePrefix = app),
        ),
        startApp('fastify', 'builtin', { env: { GLOBAL_PREFIX: 'v1' } }).then(
          (app) => (apps.globalPrefix = app),
        ),
        startApp('express', 'builtin', {
          env: {
            GLOBAL_PREFIX: 'api',
            GLOBAL_PREFIX_EXCLUDE: 'auth/{*path}',
            DEFAULT_VERSION: '2',
          },
        }).then((app) => (apps.excluded = app)),
      ]);
      for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
      // Started once the first has migrated the schema they share.
      apps.expressPeer = await startApp('express', 'builtin', {
        databaseUrl: apps.express.databaseUrl,
      });
    }, 180_000);

    afterAll(async () => {
      await Promise.all(Object.values(apps).map(stopApp));
      for (const schema of schemas) await dropTestSchema(schema);
    });

    describe.each<Platform>(['express', 'fastify'])(
      'on %s, with the built-in accounts',
      (platform) => {
        const url = () => apps[platform].url;

        it('closes a host route without a decorator: 401 access_token_missing', async () => {
          expectContractError(await request(url()).get('/notes'), 401, 'access_token_missing');
          const { tokens } = await registerUser(url());
          const notes = await get(url(), '/notes', tokens.accessToken).expect(200);
          expect(notes.body).toEqual({ owner: tokens.user.id, notes: [] });
        });

        it('@Public() opens a host route', async () => {
          await request(url()).get('/notes/open').expect(200, { open: true });
        });

        it('@Roles("admin") answers 403 forbidden, and 200 once the role is granted and the token refreshed', async () => {
          const { tokens } = await registerUser(url());
          expectContractError(
            await get(url(), '/notes/admin', tokens.accessToken),
            403,
            'forbidden',
          );
          await queryRows(
            apps[platform].databaseUrl,
            `UPDATE users SET roles = array_append(roles, 'admin') WHERE id = $1`,
            [tokens.user.id],
          );
          const refreshed = await refresh(url(), tokens.refreshToken).expect(200);
          expect(refreshed.body.user.roles).toEqual(['user', 'admin']);
          await get(url(), '/notes/admin', refreshed.body.accessToken).expect(200, { admin: true });
        });

        it('@CurrentUser() gives the signed-in user', async () => {
          const { tokens } = await registerUser(url());
          const { payload } = decodeJwt(tokens.accessToken);
          const response = await get(url(), '/notes/me', tokens.accessToken).expect(200);
          expect(response.body).toEqual({
            id: tokens.user.id,
            sessionId: tokens.sessionId,
            roles: ['user'],
            tokenId: payload.jti,
            expiresAt: new Date((payload.exp as number) * 1000).toISOString(),
            // A sign-in is the session's last proof of the password.
            authTime: new Date((payload.auth_time as number) * 1000).toISOString(),
            via: 'bearer',
          });
        });

        it('registers and signs in: token responses, and 401 invalid_credentials for a wrong password', async () => {
          const email = uniqueEmail('library');
          const registered = await request(url())
            .post('/auth/register')
            .send({ email: `  ${email.toUpperCase()} `, password: PASSWORD })
            .expect(201);
          expect(registered.headers['cache-control']).toBe('no-store');
          expect(registered.body).toMatchObject({
            tokenType: 'Bearer',
            accessToken: expect.any(String),
            expiresIn: 900,
            refreshToken: expect.any(String),
            sessionId: expect.any(String),
            user: { email, displayName: null, roles: ['user'] },
          });
          const signedIn = await login(url(), { email, password: PASSWORD });
          expect(signedIn.user.id).toBe(registered.body.user.id);
          expect(signedIn.sessionId).not.toBe(registered.body.sessionId);
          const wrong = await request(url())
            .post('/auth/login')
            .send({ email, password: 'Wrong-Horse-Battery-9' });
          expectContractError(wrong, 401, 'invalid_credentials');
        });

        it('rotates the refresh token on every refresh, within one session', async () => {
          const { tokens } = await registerUser(url());
          const first = await refresh(url(), tokens.refreshToken).expect(200);
          expect(first.body.sessionId).toBe(tokens.sessionId);
          expect(decodeJwt(first.body.refreshToken).payload.jti).not.toBe(
            decodeJwt(tokens.refreshToken).payload.jti,
          );
          await get(url(), '/notes', first.body.accessToken).expect(200);
          const second = await refresh(url(), first.body.refreshToken).expect(200);
          expect(second.body.sessionId).toBe(tokens.sessionId);
          expect(second.body.refreshToken).not.toBe(first.body.refreshToken);
        });

        it('answers the previous token within refreshReuseGrace with the same successor', async () => {
          const { tokens } = await registerUser(url());
          const first = await refresh(url(), tokens.refreshToken).expect(200);
          const again = await refresh(url(), tokens.refreshToken).expect(200);
          const claims = (body: { refreshToken: string }) => {
            const { jti, exp } = decodeJwt(body.refreshToken).payload;
            return { jti, exp };
          };
          expect(claims(again.body)).toEqual(claims(first.body));
          expect(again.body.sessionId).toBe(tokens.sessionId);
          // The session did not fork: its one successor goes on.
          await refresh(url(), first.body.refreshToken).expect(200);
        });

        it('revokes the session when a used refresh token comes back after the grace window', async () => {
          const { tokens } = await registerUser(url());
          const rotated = await refresh(url(), tokens.refreshToken).expect(200);
          await sleep(GRACE_MS + 500);
          expectContractError(
            await refresh(url(), tokens.refreshToken),
            401,
            'refresh_token_reused',
          );
          const answeredAt = Date.now();
          expectContractError(
            await refresh(url(), rotated.body.refreshToken),
            401,
            'session_revoked',
          );
          const refused = await untilRefused(url(), rotated.body.accessToken, answeredAt);
          expectContractError(refused, 401, 'session_revoked');
        });

        it('logout ends the session: its access token refused within revocationPropagation', async () => {
          const { tokens } = await registerUser(url());
          await get(url(), '/notes', tokens.accessToken).expect(200);
          await request(url())
            .post('/auth/logout')
            .send({ refreshToken: tokens.refreshToken })
            .expect(204);
          const refused = await untilRefused(url(), tokens.accessToken, Date.now());
          expectContractError(refused, 401, 'session_revoked');
          expect(refused.headers['www-authenticate']).toContain('error="invalid_token"');
          expectContractError(await refresh(url(), tokens.refreshToken), 401, 'session_revoked');
        });

        it('serves the revocation feed: a logout streamed as an event and listed in JSON', async () => {
          expectContractError(
            await request(url()).get('/auth/revocations').set('Authorization', 'Bearer wrong'),
            401,
            'feed_token_invalid',
          );
          const stream = await openFeedStream(url(), FEED_TOKEN);
          try {
            expect(stream.response.statusCode).toBe(200);
            expect(stream.response.headers['content-type']).toBe(
              'text/event-stream; charset=utf-8',
            );
            expect(stream.response.headers['cache-control']).toBe('no-store');
            const { tokens } = await registerUser(url());
            await request(url())
              .post('/auth/logout')
              .send({ refreshToken: tokens.refreshToken })
              .expect(204);
            const answeredAt = Date.now();
            await stream.until(() => sidsOf(stream.events).includes(tokens.sessionId), 2_000);
            expect(Date.now() - answeredAt).toBeLessThan(PROPAGATION_MS + 1_000);
            const page = await request(url())
              .get('/auth/revocations')
              .set('Authorization', `Bearer ${FEED_TOKEN}`)
              .expect(200);
            expect(page.body.events.map((event: { sid?: string }) => event.sid)).toContain(
              tokens.sessionId,
            );
            expect(page.body.cursor).toBe(page.body.events.at(-1).id);
          } finally {
            stream.close();
          }
        });

        describe('cookie transport', () => {
          it('sets the three cookies with the contract’s attributes and puts no token in the body', async () => {
            const { jar, body, response } = await signInWithCookies(url());
            expect(body.accessToken).toBeUndefined();
            expect(body.refreshToken).toBeUndefined();
            expect(JSON.stringify(body)).not.toMatch(/eyJ/);
            const cookies = cookiesOf(response);
            const access = cookies[ACCESS_COOKIE].attributes;
            expect(access).toEqual(
              expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']),
            );
            expect(maxAge(access)).toBeGreaterThanOrEqual(890);
            expect(maxAge(access)).toBeLessThanOrEqual(900);
            const refreshCookie = cookies[REFRESH_COOKIE].attributes;
            expect(refreshCookie).toEqual(
              expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/auth']),
            );
            expect(maxAge(refreshCookie)).toBeGreaterThan(604_790);
            const csrf = cookies[CSRF_COOKIE].attributes;
            expect(csrf).toEqual(expect.arrayContaining(['Secure', 'SameSite=Strict', 'Path=/']));
            expect(csrf).not.toContain('HttpOnly');
            expect(maxAge(csrf)).toBeGreaterThan(604_790);
            // The host's routes read the cookie with no cookie plugin installed.
            const me = await request(url())
              .get('/notes/me')
              .set('Cookie', jar.header())
              .expect(200);
            expect(me.body).toMatchObject({ sessionId: body.sessionId, via: 'cookie' });
          });

          it('keeps the cookie the host sets on the same response beside its own three', async () => {
            const { jar, response } = await signInWithCookies(url());
            const signedIn = cookiesOf(response);
            expect(Object.keys(signedIn)).toEqual(
              expect.arrayContaining([HOST_COOKIE, ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE]),
            );
            expect(signedIn[HOST_COOKIE]).toEqual({
              value: '1',
              attributes: expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Lax']),
            });
            const refreshed = await request(url())
              .post('/auth/refresh')
              .set('Cookie', jar.header('/auth/refresh'))
              .set('X-CSRF-Token', jar.csrf)
              .expect(200);
            expect(Object.keys(cookiesOf(refreshed))).toEqual(
              expect.arrayContaining([HOST_COOKIE, ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE]),
            );
          });

          it('a host POST authenticated by the cookie needs X-CSRF-Token: 403 csrf_token_invalid without it', async () => {
            const { jar, body } = await signInWithCookies(url());
            const post = () => request(url()).post('/notes').set('Cookie', jar.header());
            expectContractError(await post().send({ text: 'hi' }), 403, 'csrf_token_invalid');
            expectContractError(
              await post().set('X-CSRF-Token', 'made-up').send({ text: 'hi' }),
              403,
              'csrf_token_invalid',
            );
            const created = await post()
              .set('X-CSRF-Token', jar.csrf)
              .send({ text: 'hi' })
              .expect(201);
            expect(created.body).toEqual({ owner: (body.user as { id: string }).id, text: 'hi' });
          });

          it('refuses an unsafe request from another origin before CSRF and before the body (403, not 415)', async () => {
            const { jar } = await signInWithCookies(url());
            const post = () =>
              request(url())
                .post('/notes')
                .set('Cookie', jar.header())
                .set('X-CSRF-Token', jar.csrf);
            expectContractError(
              await post().set('Origin', 'https://evil.example').send({ text: 'hi' }),
              403,
              'origin_not_allowed',
            );
            await post().set('Origin', 'https://app.example').send({ text: 'hi' }).expect(201);
            await post().set('Origin', 'http://localhost:3000').send({ text: 'hi' }).expect(201);

            await expectFormPostRefused(url());
          });

          it('refreshes by cookie with new cookies, and logout clears them and ends the session', async () => {
            const { jar, body } = await signInWithCookies(url());
            const accessBefore = jar.cookies[ACCESS_COOKIE];
            const refreshBefore = jar.cookies[REFRESH_COOKIE];
            expectContractError(
              await request(url()).post('/auth/refresh').set('Cookie', jar.header('/auth/refresh')),
              403,
              'csrf_token_invalid',
            );
            const refreshed = await request(url())
              .post('/auth/refresh')
              .set('Cookie', jar.header('/auth/refresh'))
              .set('X-CSRF-Token', jar.csrf)
              .expect(200);
            expect(refreshed.body).toMatchObject({ sessionId: body.sessionId });
            expect(refreshed.body.accessToken).toBeUndefined();
            expect(refreshed.body.refreshToken).toBeUndefined();
            jar.take(refreshed);
            expect(jar.cookies[ACCESS_COOKIE]).not.toBe(accessBefore);
            expect(jar.cookies[REFRESH_COOKIE]).not.toBe(refreshBefore);

            const accessCookie = `${ACCESS_COOKIE}=${jar.cookies[ACCESS_COOKIE]}`;
            const logout = await request(url())
              .post('/auth/logout')
              .set('Cookie', jar.header('/auth/logout'))
              .set('X-CSRF-Token', jar.csrf)
              .expect(204);
            const answeredAt = Date.now();
            const cleared = cookiesOf(logout);
            for (const name of [ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE]) {
              expect(cleared[name].attributes).toContain('Max-Age=0');
            }
            const refused = await untilRefused(url(), { cookie: accessCookie }, answeredAt);
            expectContractError(refused, 401, 'session_revoked');
          });
        });
      },
    );

    describe('two instances of the Express app on one database', () => {
      it('a logout on one refuses the access token on the other within revocationPropagation', async () => {
        const { tokens } = await registerUser(apps.express.url);
        // The other instance has verified (and remembered) the token before the logout.
        await get(apps.expressPeer.url, '/notes', tokens.accessToken).expect(200);
        await request(apps.express.url)
          .post('/auth/logout')
          .send({ refreshToken: tokens.refreshToken })
          .expect(204);
        const refused = await untilRefused(apps.expressPeer.url, tokens.accessToken, Date.now());
        expectContractError(refused, 401, 'session_revoked');
      });
    });

    describe('an app with its own accounts and globalGuard: false, through forRootAsync (Express)', () => {
      const url = () => apps.own.url;

      it('takes its options from the factory: access tokens live the 10m it returns', async () => {
        const tokens = await login(url(), SEEDED);
        expect(tokens.expiresIn).toBe(600);
        const { iat, exp } = decodeJwt(tokens.accessToken).payload;
        expect((exp as number) - (iat as number)).toBe(600);
      });

      it('leaves a route without a decorator open', async () => {
        await request(url()).get('/notes/open').expect(200, { open: true });
      });

      it('closes a route with @Auth(): 401 without a token, 200 with one', async () => {
        expectContractError(
          await request(url()).get('/notes/private'),
          401,
          'access_token_missing',
        );
        const tokens = await login(url(), SEEDED);
        await get(url(), '/notes/private', tokens.accessToken).expect(200, { private: true });
        const me = await get(url(), '/notes/me', tokens.accessToken).expect(200);
        expect(me.body).toMatchObject({ id: tokens.user.id, sessionId: tokens.sessionId });
      });

      it('signs in with the app’s own users, and 401 invalid_credentials for a wrong password or an unknown email', async () => {
        const [row] = await queryRows<{ id: string }>(
          apps.own.databaseUrl,
          `SELECT id FROM app_users WHERE email = $1`,
          [SEEDED.email],
        );
        const tokens = await login(url(), SEEDED);
        expect(tokens.user).toMatchObject({ id: row.id, email: SEEDED.email, roles: ['user'] });
        for (const credentials of [
          { email: SEEDED.email, password: 'not-the-password' },
          { email: uniqueEmail('nobody'), password: SEEDED.password },
        ]) {
          const response = await request(url()).post('/auth/login').send(credentials);
          expectContractError(response, 401, 'invalid_credentials');
        }
      });

      it('mounts no POST /auth/register', async () => {
        await request(url())
          .post('/auth/register')
          .send({ email: uniqueEmail(), password: PASSWORD })
          .expect(404);
      });

      it('refreshes with the user as the app’s findById reads it now', async () => {
        const tokens = await login(url(), SEEDED);
        await queryRows(
          apps.own.databaseUrl,
          `UPDATE app_users SET display_name = 'Renamed' WHERE id = $1`,
          [tokens.user.id],
        );
        const refreshed = await refresh(url(), tokens.refreshToken).expect(200);
        expect(refreshed.body.sessionId).toBe(tokens.sessionId);
        expect(refreshed.body.user).toMatchObject({ id: tokens.user.id, displayName: 'Renamed' });
        await get(url(), '/notes/private', refreshed.body.accessToken).expect(200);
      });

      it('keeps its sessions in the library’s tables and has no users table of the library’s', async () => {
        const [tables] = await queryRows<{ users: string | null; sessions: string | null }>(
          apps.own.databaseUrl,
          `SELECT to_regclass('users')::text AS users, to_regclass('sessions')::text AS sessions`,
        );
        expect(tables).toEqual({ users: null, sessions: 'sessions' });
      });
    });

    describe('an Express app that mounts the library under routePrefix "/api"', () => {
      const url = () => apps.routePrefix.url;
      const api = () => `${url()}/api`;

      it('answers the library’s routes under /api, and not at the root', async () => {
        const { email, tokens } = await registerUser(api());
        const signedIn = await login(api(), { email, password: PASSWORD });
        const answered = await get(api(), '/auth/me', signedIn.accessToken).expect(200);
        expect(answered.body).toMatchObject({ id: tokens.user.id, sessionId: signedIn.sessionId });
        // The early checks know the prefixed paths as the library's.
        expect(answered.headers['cache-control']).toBe('no-store');
        const jwks = await request(api()).get('/.well-known/jwks.json').expect(200);
        expect(jwks.body.keys).toContainEqual(
          expect.objectContaining({ kid: decodeJwt(tokens.accessToken).header.kid }),
        );

        await request(url()).post('/auth/login').send({ email, password: PASSWORD }).expect(404);
        await get(url(), '/auth/me', signedIn.accessToken).expect(404);
        await request(url()).get('/.well-known/jwks.json').expect(404);
      });

      it('scopes the refresh cookie to /api/auth, where a cookie refresh rotates and logout clears it', async () => {
        await expectCookieSessionUnder(url(), '/api');
      });

      it('refuses a cross-site form post to /api/auth/login with 403 before the body, and 415 without an Origin', async () => {
        await expectFormPostRefused(api());
      });

      it('leaves the host’s routes where they are, and closed', async () => {
        expectContractError(await request(url()).get('/notes'), 401, 'access_token_missing');
        const { tokens } = await registerUser(api());
        await get(url(), '/notes', tokens.accessToken).expect(200);
        await get(url(), '/api/notes', tokens.accessToken).expect(404);
      });
    });

    describe('a Fastify app whose host sets the global prefix "v1"', () => {
      const url = () => apps.globalPrefix.url;
      const v1 = () => `${url()}/v1`;

      it('serves the library’s routes and the host’s under /v1', async () => {
        const { tokens } = await registerUser(v1());
        await get(v1(), '/auth/me', tokens.accessToken).expect(200);
        expectContractError(await request(v1()).get('/notes'), 401, 'access_token_missing');
        await get(v1(), '/notes', tokens.accessToken).expect(200);
        await request(url())
          .post('/auth/register')
          .send({ email: uniqueEmail(), password: PASSWORD })
          .expect(404);
      });

      it('scopes the refresh cookie to /v1/auth, where a cookie refresh rotates and logout clears it', async () => {
        await expectCookieSessionUnder(url(), '/v1');
      });
    });

    describe('an Express app with the global prefix "api" excluding auth/{*path}, and URI versioning (default 2)', () => {
      const url = () => apps.excluded.url;
      const api = () => `${url()}/api`;

      it('serves the library’s auth routes at the root, its others under /api, none under a version', async () => {
        const { email, tokens } = await registerUser(url());
        const signedIn = await login(url(), { email, password: PASSWORD });
        const me = await get(url(), '/auth/me', signedIn.accessToken).expect(200);
        expect(me.body).toMatchObject({ id: tokens.user.id, sessionId: signedIn.sessionId });
        // The early checks know the excluded paths and the prefixed ones as the library's.
        expect(me.headers['cache-control']).toBe('no-store');
        const sessions = await get(api(), '/sessions', signedIn.accessToken).expect(200);
        expect(sessions.headers['cache-control']).toBe('no-store');
        await request(api()).get('/.well-known/jwks.json').expect(200);

        await get(api(), '/auth/me', signedIn.accessToken).expect(404);
        await get(url(), '/sessions', signedIn.accessToken).expect(404);
        await get(url(), '/v2/auth/me', signedIn.accessToken).expect(404);
        await get(api(), '/v2/sessions', signedIn.accessToken).expect(404);
      });

      it('scopes the refresh cookie to /auth, where a cookie refresh rotates and logout clears it', async () => {
        await expectCookieSessionUnder(url(), '');
      });

      it('refuses a cross-site form post to the excluded /auth/login with 403 before the body, and 415 without an Origin', async () => {
        await expectFormPostRefused(url());
      });

      it('leaves the host’s routes under /api/v2, and closed', async () => {
        expectContractError(await request(api()).get('/v2/notes'), 401, 'access_token_missing');
        const { tokens } = await registerUser(url());
        await get(api(), '/v2/notes', tokens.accessToken).expect(200);
      });
    });
  });
});

function get(baseUrl: string, path: string, accessToken: string) {
  return request(baseUrl).get(path).set('Authorization', `Bearer ${accessToken}`);
}

/**
 * Polls a guarded host route with this credential (a Bearer token, or a Cookie header) until it is
 * refused or revocationPropagation plus a second has passed since `since`: the last answer.
 */
async function untilRefused(
  baseUrl: string,
  credential: string | { cookie: string },
  since: number,
): Promise<Response> {
  const deadline = since + PROPAGATION_MS + 1_000;
  for (;;) {
    const call = request(baseUrl).get('/notes');
    if (typeof credential === 'string') call.set('Authorization', `Bearer ${credential}`);
    else call.set('Cookie', credential.cookie);
    const response = await call;
    if (response.status !== 200 || Date.now() > deadline) return response;
    await sleep(50);
  }
}

/**
 * A browser session with the library's routes under `prefix`: the refresh cookie is scoped to
 * `<prefix>/auth`, so a browser sends it there and nowhere else; a refresh by that cookie (with the
 * CSRF header) rotates it, and logout there clears it on the same path and ends the session.
 */
async function expectCookieSessionUnder(origin: string, prefix: string): Promise<void> {
  const base = `${origin}${prefix}`;
  const authPath = `${prefix}/auth`;
  const { jar, body, response } = await signInWithCookies(base);
  const issued = cookiesOf(response);
  expect(issued[REFRESH_COOKIE].attributes).toContain(`Path=${authPath}`);
  expect(issued[ACCESS_COOKIE].attributes).toContain('Path=/');
  expect(issued[CSRF_COOKIE].attributes).toContain('Path=/');
  expect(jar.header(`${authPath}/refresh`)).toContain(REFRESH_COOKIE);

  const refreshBefore = jar.cookies[REFRESH_COOKIE];
  // Without the refresh cookie there is nothing to refresh with: the cookie is what rotates.
  expectContractError(
    await request(base)
      .post('/auth/refresh')
      .set('Cookie', jar.header('/'))
      .set('X-CSRF-Token', jar.csrf),
    401,
    'refresh_token_missing',
  );
  const refreshed = await request(base)
    .post('/auth/refresh')
    .set('Cookie', jar.header(`${authPath}/refresh`))
    .set('X-CSRF-Token', jar.csrf)
    .expect(200);
  expect(refreshed.body).toMatchObject({ sessionId: body.sessionId });
  expect(cookiesOf(refreshed)[REFRESH_COOKIE].attributes).toContain(`Path=${authPath}`);
  jar.take(refreshed);
  expect(jar.cookies[REFRESH_COOKIE]).not.toBe(refreshBefore);

  const rotatedCookies = jar.header(`${authPath}/refresh`);
  const logout = await request(base)
    .post('/auth/logout')
    .set('Cookie', jar.header(`${authPath}/logout`))
    .set('X-CSRF-Token', jar.csrf)
    .expect(204);
  // A browser deletes a cookie only when the clearing one names the same path.
  expect(cookiesOf(logout)[REFRESH_COOKIE].attributes).toEqual(
    expect.arrayContaining(['Max-Age=0', `Path=${authPath}`]),
  );
  expectContractError(
    await request(base)
      .post('/auth/refresh')
      .set('Cookie', rotatedCookies)
      .set('X-CSRF-Token', jar.csrf),
    401,
    'session_revoked',
  );
}

function maxAge(attributes: string[]): number {
  return Number(attributes.find((attribute) => attribute.startsWith('Max-Age='))?.slice(8));
}

/** SIGTERM, then SIGKILL if the app has not ended within 10 s. */
async function stopApp(app: FixtureApp): Promise<void> {
  const timer = setTimeout(() => void app.stop('SIGKILL'), 10_000);
  await app.stop();
  clearTimeout(timer);
}
