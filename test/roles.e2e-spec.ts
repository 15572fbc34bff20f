import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import request from 'supertest';
import { me, refresh, registerUser, sleep, TokenResponse } from './factories/users';
import { createTwoInstances, type DatabaseProxy, TwoInstances } from './support/app-behind-proxy';
import { TEST_DATA_DIR, TestApp } from './support/test-app';

const CLI = resolve(process.cwd(), 'dist/users/user-role.cli.js');

/**
 * "A granted role shows in access tokens from the next refresh, and a removed one stops working on
 * every instance within REVOCATION_PROPAGATION." Two instances on one database; B reaches it
 * through a proxy the test can cut. The role changes through `npm run user:role`'s own process.
 */
describe('role changes', () => {
  let a: TestApp;
  let b: TestApp;
  let proxy: DatabaseProxy;
  let instances: TwoInstances;

  beforeAll(async () => {
    instances = await createTwoInstances({ REVOCATION_PROPAGATION: '1s' });
    ({ a, b, proxy } = instances);
  });
  afterAll(() => instances?.close());

  function userRole(email: string, role: string, remove = false): Promise<string> {
    const args = [CLI, email, role, ...(remove ? ['--remove'] : [])];
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      DATA_DIR: TEST_DATA_DIR,
      DATABASE_URL: a.databaseUrl,
      LOG_LEVEL: 'warn',
    };
    return new Promise((done, fail) =>
      execFile(process.execPath, args, { env }, (error, stdout, stderr) =>
        error ? fail(new Error(`user:role failed: ${stderr}`)) : done(stdout),
      ),
    );
  }

  function adminCall(url: string, tokens: TokenResponse) {
    return request(url)
      .get(`/admin/users/${tokens.user.id}/sessions`)
      .set('Authorization', `Bearer ${tokens.accessToken}`);
  }

  /** Polls until the admin route refuses the token; the time it took, in ms. */
  async function refusedWithin(url: string, tokens: TokenResponse, since: number, limitMs: number) {
    let status = (await adminCall(url, tokens)).status;
    while (status === 200 && Date.now() - since < limitMs) {
      await sleep(20);
      status = (await adminCall(url, tokens)).status;
    }
    return status;
  }

  async function admin(): Promise<{ email: string; tokens: TokenResponse }> {
    const user = await registerUser(a.url);
    expect(await userRole(user.email, 'admin')).toContain('admin');
    const refreshed = await refresh(a.url, user.tokens.refreshToken).expect(200);
    const tokens = refreshed.body as TokenResponse;
    expect(tokens.user.roles).toEqual(['user', 'admin']);
    return { email: user.email, tokens };
  }

  it('shows a granted role from the next refresh, not in the tokens before it', async () => {
    const user = await registerUser(a.url);
    await userRole(user.email, 'admin');
    // The token minted before the grant does not gain the role.
    expect((await adminCall(b.url, user.tokens)).status).toBe(403);
    const refreshed = await refresh(a.url, user.tokens.refreshToken).expect(200);
    await adminCall(a.url, refreshed.body).expect(200);
    await adminCall(b.url, refreshed.body).expect(200);
  });

  it('stops a removed role on every instance within REVOCATION_PROPAGATION', async () => {
    const { email, tokens } = await admin();
    await adminCall(a.url, tokens).expect(200);
    await adminCall(b.url, tokens).expect(200);

    await userRole(email, 'admin', true);
    const removedAt = Date.now();
    expect(await refusedWithin(a.url, tokens, removedAt, 1_000)).toBe(403);
    expect(await refusedWithin(b.url, tokens, removedAt, 1_000)).toBe(403);
    // The rest of the token still works, without the removed role.
    const whoAmI = await me(b.url, tokens.accessToken).expect(200);
    expect(whoAmI.body.roles).toEqual(['user']);
    // And it does not come back with a refresh.
    const refreshed = await refresh(a.url, tokens.refreshToken).expect(200);
    expect(refreshed.body.user.roles).toEqual(['user']);
    expect((await adminCall(b.url, refreshed.body)).status).toBe(403);
  });

  it('catches up a removal an instance missed while cut off from the database', async () => {
    const { email, tokens } = await admin();
    await adminCall(b.url, tokens).expect(200);
    await proxy.cut();
    try {
      await userRole(email, 'admin', true);
      // B cannot know yet: it has no connection to hear the notification on.
      expect((await me(b.url, tokens.accessToken).expect(200)).body.roles).toEqual([
        'user',
        'admin',
      ]);
    } finally {
      await proxy.restore();
    }
    expect(await refusedWithin(b.url, tokens, Date.now(), 10_000)).toBe(403);
  });
});
