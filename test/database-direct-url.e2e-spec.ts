import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { me, meUntilRefused, registerUser, sleep } from './factories/users';
import { TcpProxy } from './support/tcp-proxy';
import { createTestApp, TEST_DATA_DIR, TestApp } from './support/test-app';
import { createTestSchema, directUrlFor, dropTestSchema, queryRows } from './support/test-database';

const run = promisify(execFile);
const MIGRATE_CLI = resolve(process.cwd(), 'dist/database/migrate.js');
/** Nothing listens there: a connection to it fails at once. */
const UNREACHABLE = 'postgresql://postgres@127.0.0.1:1/unreachable';

/**
 * DATABASE_DIRECT_URL: what needs a database session of its own (the revocation listener's LISTEN,
 * migrations) connects there, everything else through DATABASE_URL, which may be a transaction
 * pooler. CI runs this file with DATABASE_URL at PgBouncer (see .ci/run).
 */
describe('DATABASE_DIRECT_URL', () => {
  describe('the revocation listener', () => {
    let a: TestApp;
    let b: TestApp;
    let direct: TcpProxy;

    beforeAll(async () => {
      const env = { REVOCATION_PROPAGATION: '1s' };
      a = await createTestApp({ env });
      const directUrl = directUrlFor(a.databaseUrl) ?? a.databaseUrl;
      direct = await TcpProxy.forUrl(directUrl);
      b = await createTestApp({
        databaseUrl: a.databaseUrl,
        databaseDirectUrl: direct.rewrite(directUrl),
        env,
      });
    });
    afterAll(async () => {
      await b?.close();
      await a?.close();
      await direct?.close();
    });

    it('a logout on A stops the session’s access token on B within REVOCATION_PROPAGATION', async () => {
      for (let round = 0; round < 3; round++) {
        const { tokens } = await registerUser(a.url);
        await me(b.url, tokens.accessToken).expect(200);
        await request(a.url)
          .post('/auth/logout')
          .set('Authorization', `Bearer ${tokens.accessToken}`)
          .expect(204);
        expect((await meUntilRefused(b.url, tokens.accessToken, 1_000)).status).toBe(401);
      }
    });

    it('listens there alone: cut off from it, B still serves but hears of no revocation until it is back', async () => {
      const { tokens } = await registerUser(a.url);
      await me(b.url, tokens.accessToken).expect(200);
      await direct.cut();
      try {
        // Rows still come through DATABASE_URL.
        await request(b.url)
          .get('/users/me')
          .set('Authorization', `Bearer ${tokens.accessToken}`)
          .expect(200);
        await request(a.url)
          .post('/auth/logout')
          .set('Authorization', `Bearer ${tokens.accessToken}`)
          .expect(204);
        // Well past REVOCATION_PROPAGATION and several catch-up reads: neither went elsewhere.
        await sleep(2_500);
        await me(b.url, tokens.accessToken).expect(200);
      } finally {
        await direct.restore();
      }
      expect((await meUntilRefused(b.url, tokens.accessToken, 5_000, Date.now(), 50)).status).toBe(
        401,
      );
    });
  });

  describe('migrations', () => {
    const schemas: string[] = [];
    afterAll(async () => {
      for (const schema of schemas) await dropTestSchema(schema);
    });

    async function freshSchema(): Promise<{ url: string; directUrl: string }> {
      const created = await createTestSchema();
      schemas.push(created.schema);
      return { url: created.url, directUrl: created.directUrl ?? created.url };
    }

    const appliedIn = async (url: string) =>
      (await queryRows<{ name: string }>(url, 'SELECT name FROM migrations ORDER BY id')).map(
        (row) => row.name,
      );

    it('npm run migration:run migrates DATABASE_DIRECT_URL, and the service migrates it at start', async () => {
      const migrated = await freshSchema();
      const { stdout } = await run(process.execPath, [MIGRATE_CLI], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_ENV: 'test',
          DATA_DIR: TEST_DATA_DIR,
          LOG_LEVEL: 'warn',
          // Never connected to: the command needs only the direct connection.
          DATABASE_URL: UNREACHABLE,
          DATABASE_DIRECT_URL: migrated.directUrl,
        },
      });
      expect(stdout).toMatch(/^Applied /m);
      const names = await appliedIn(migrated.url);
      expect(names.length).toBeGreaterThan(0);

      // Serving from the migrated schema, the service applies its migrations to the direct one.
      const other = await freshSchema();
      const app = await createTestApp({
        databaseUrl: migrated.url,
        databaseDirectUrl: other.directUrl,
      });
      try {
        await request(app.url).get('/health/ready').expect(200);
        expect(await appliedIn(other.directUrl)).toEqual(names);
      } finally {
        await app.close();
      }
    });
  });
});
