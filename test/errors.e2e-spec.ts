import request from 'supertest';
import { expectContractError } from './support/expect-error';
import { createTestApp, TestApp } from './support/test-app';

/**
 * Every failure answers in the contract's one shape, with a stable code and nothing internal.
 * Body checks run against a real POST route (`/auth/login`): Fastify skips the media-type check
 * for unknown routes, so only a real route proves 415.
 */
describe('errors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const LOGIN = '/auth/login';

  it.each([
    ['GET', '/no-such-route'],
    ['POST', '/no-such-route'],
    ['DELETE', '/health'],
  ])('%s %s is 404 not_found', async (method, path) => {
    const res = await request(t.url)[method.toLowerCase() as 'get'](path).expect(404);
    expectContractError(res, 404, 'not_found');
  });

  it('an OPTIONS request that is no CORS preflight gets 204, not a plain-text error', async () => {
    await request(t.url).options('/auth/login').expect(204);
  });

  it('malformed JSON is 400 malformed_json', async () => {
    const res = await request(t.url)
      .post(LOGIN)
      .set('Content-Type', 'application/json')
      .send('{"email": "a@example.com", "password": ')
      .expect(400);
    expectContractError(res, 400, 'malformed_json');
    expect(res.body.message).not.toMatch(/Unexpected|position|SyntaxError/);
  });

  it('an empty body declared as JSON is 400 malformed_json', async () => {
    const res = await request(t.url)
      .post(LOGIN)
      .set('Content-Type', 'application/json')
      .send('')
      .expect(400);
    expectContractError(res, 400, 'malformed_json');
  });

  it('a JSON body over 16 KB is 413 payload_too_large', async () => {
    const body = JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(16 * 1024) });
    const res = await request(t.url)
      .post(LOGIN)
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(413);
    expectContractError(res, 413, 'payload_too_large');
  });

  it('a body of exactly 16 KB is still read', async () => {
    const padding = 16 * 1024 - JSON.stringify({ email: '', password: '' }).length;
    const body = JSON.stringify({ email: 'x'.repeat(padding), password: '' });
    expect(Buffer.byteLength(body)).toBe(16 * 1024);
    const res = await request(t.url).post(LOGIN).set('Content-Type', 'application/json').send(body);
    expect(res.status).not.toBe(413);
    expect(res.body.code).toBe('validation_failed');
  });

  it.each([
    ['text/plain', 'email=a@example.com&password=secret-password'],
    ['application/x-www-form-urlencoded', 'email=a%40example.com&password=secret-password'],
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--',
    ],
    ['application/xml', '<login/>'],
  ])('a %s body is 415 unsupported_media_type', async (type, body) => {
    const res = await request(t.url).post(LOGIN).set('Content-Type', type).send(body).expect(415);
    expectContractError(res, 415, 'unsupported_media_type');
  });

  it('a body with no Content-Type is 415 unsupported_media_type', async () => {
    const res = await request(t.url)
      .post(LOGIN)
      .set('Content-Length', '2')
      .send(Buffer.from('{}'))
      .expect(415);
    expectContractError(res, 415, 'unsupported_media_type');
  });

  it('JSON with a charset parameter is accepted as JSON', async () => {
    const res = await request(t.url)
      .post(LOGIN)
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(JSON.stringify({}));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
  });

  it('an invalid JSON body is 400 validation_failed naming each field', async () => {
    const res = await request(t.url)
      .post(LOGIN)
      .send({ email: 'not-an-email', unexpected: true })
      .expect(400);
    expectContractError(res, 400, 'validation_failed', ['errors']);
    const fields = (res.body.errors as { field: string; messages: string[] }[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['email', 'password', 'unexpected']));
    for (const error of res.body.errors) expect(error.messages.length).toBeGreaterThan(0);
  });
});
