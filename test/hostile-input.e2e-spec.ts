import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { registerUser, TestUser, uniqueEmail } from './factories/users';
import { expectContractError } from './support/expect-error';
import { createTestApp, jsonLogs, TestApp } from './support/test-app';
import { queryRows } from './support/test-database';

/**
 * The hostile requests that once made the service fail, and the absurd ones it must shrug off:
 * each a clear 4xx in the contract's shape, never a 500, never a stack trace. The fuzz test
 * covers the space at random; these pin the known cases.
 */
describe('hostile input', () => {
  let t: TestApp;
  let user: TestUser;
  beforeAll(async () => {
    t = await createTestApp();
    user = await registerUser(t.url);
  });
  afterAll(async () => {
    expect(jsonLogs(t).filter((line) => line.msg === 'Unhandled error')).toEqual([]);
    await t.close();
  });

  const post = (path: string, body: string) =>
    request(t.url).post(path).set('Content-Type', 'application/json').send(body);

  it.each([
    ['arrays', '['.repeat(5_000) + ']'.repeat(5_000)],
    ['objects', '{"email":'.repeat(1_500) + '1' + '}'.repeat(1_500)],
  ])('refuses %s nested thousands deep: 400 malformed_json', async (_kind, body) => {
    // (Refresh checks for its token before the body: 401 refresh_token_missing there.)
    for (const path of ['/auth/register', '/auth/login']) {
      expectContractError(await post(path, body), 400, 'malformed_json');
    }
  });

  it('refuses strings that are not Unicode text (lone surrogates), naming the field', async () => {
    const res = await post(
      '/auth/login',
      '{"email":"\\ud800@example.com","password":"\\udfffabcdefgh"}',
    );
    expectContractError(res, 400, 'validation_failed', ['errors']);
    expect(res.body.errors.map((error: { field: string }) => error.field).sort()).toEqual([
      'email',
      'password',
    ]);
  });

  it('refuses control characters in displayName (PostgreSQL cannot store NUL)', async () => {
    for (const displayName of ['a\u0000b', '\u001b[31mred', 'evil\u202etxt.exe']) {
      const res = await request(t.url)
        .post('/auth/register')
        .send({ email: uniqueEmail(), password: 'Zebra-Quartz-991', displayName });
      expectContractError(res, 400, 'validation_failed', ['errors']);
      expect(res.body.errors[0].field).toBe('displayName');
    }
    // Any other character a person can type is fine.
    await request(t.url)
      .post('/auth/register')
      .send({ email: uniqueEmail(), password: 'Zebra-Quartz-991', displayName: 'Zoë 👩‍👩‍👧 ʕ•ᴥ•ʔ' })
      .expect(201);
  });

  it('does not let __proto__ or constructor keys reach the user (no privilege by pollution)', async () => {
    const email = uniqueEmail('proto');
    const res = await post(
      '/auth/register',
      `{"email":"${email}","password":"Zebra-Quartz-991","__proto__":{"roles":["admin"]},"constructor":{"prototype":{"roles":["admin"]}}}`,
    );
    expect([201, 400]).toContain(res.status);
    if (res.status === 400) expectContractError(res, 400, 'validation_failed', ['errors']);
    const rows = await queryRows<{ roles: string[] }>(
      t.databaseUrl,
      'SELECT roles FROM users WHERE email = $1',
      [email],
    );
    for (const row of rows) expect(row.roles).toEqual(['user']);
    expect(({} as { roles?: unknown }).roles).toBeUndefined();
  });

  it.each([
    ['wrong types', '{"email":["a@b.co"],"password":{"length":12}}'],
    ['null fields', '{"email":null,"password":null}'],
    ['numbers', '{"email":1e308,"password":-0}'],
    ['a 15 KB string', JSON.stringify({ email: 'a@example.com', password: 'p'.repeat(15_000) })],
    ['unknown fields', '{"email":"a@example.com","password":"Zebra-Quartz-991","isAdmin":true}'],
  ])('answers %s with 400 validation_failed', async (_kind, body) => {
    expectContractError(await post('/auth/login', body), 400, 'validation_failed', ['errors']);
  });

  it.each([
    ['a 10 KB Authorization header', `Bearer ${'a'.repeat(10_240)}`, 'access_token_invalid'],
    ['a garbage token', 'Bearer !!!not-a-token!!!', 'access_token_invalid'],
    ['three dots', 'Bearer ...', 'access_token_invalid'],
    ['Bearer with nothing', 'Bearer', 'access_token_missing'],
    ['Bearer and spaces', 'Bearer    ', 'access_token_missing'],
    ['another scheme', 'Basic dXNlcjpwYXNz', 'access_token_missing'],
    ['alg none', 'Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.e30.', 'access_token_invalid'],
  ])('answers %s with 401', async (_kind, authorization, code) => {
    const res = await request(t.url).get('/auth/me').set('Authorization', authorization);
    expectContractError(res, 401, code);
  });

  it('answers a percent-escape that does not decode with 400, in the contract shape', async () => {
    const res = await request(t.url)
      .delete('/sessions/%ZZ')
      .set('Authorization', `Bearer ${user.tokens.accessToken}`);
    expectContractError(res, 400, 'validation_failed', ['errors']);
  });

  it('answers an id far longer than any id with 404', async () => {
    const res = await request(t.url)
      .delete(`/sessions/${'a'.repeat(1_000)}`)
      .set('Authorization', `Bearer ${user.tokens.accessToken}`);
    expectContractError(res, 404, 'not_found');
  });

  it('answers headers over 16 KB with 431, in the contract shape', async () => {
    const res = await rawGet(t.url, '/auth/me', { Authorization: `Bearer ${'a'.repeat(20_000)}` });
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toEqual({
      statusCode: 431,
      code: 'headers_too_large',
      message: expect.any(String),
    });
  });

  it('takes 200 junk headers, an 8 KB User-Agent and junk X-Forwarded-For in its stride', async () => {
    const headers: Record<string, string> = {
      'User-Agent': 'ü'.repeat(4_000),
      'X-Forwarded-For': 'not-an-ip, ::::, 999.1.1.1',
    };
    for (let i = 0; i < 200; i++) headers[`X-Junk-${i}`] = 'v';
    await request(t.url)
      .post('/auth/login')
      .set(headers)
      .send({ email: user.email, password: user.password })
      .expect(200);
  });
});

function rawGet(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
