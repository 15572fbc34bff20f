import request from 'supertest';
import { createTestApp, TestApp } from './support/test-app';

/** Security headers on every answer: success, error, and the docs with their one relaxation. */
describe('security headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each([
    ['a success', '/health', 200],
    ['an error', '/no-such-route', 404],
    ['the OpenAPI document', '/docs-json', 200],
  ])('%s carries HSTS, nosniff, no-referrer and a strict CSP', async (_, path, status) => {
    const res = await request(t.url).get(path).expect(status);
    const hsts = /^max-age=(\d+); includeSubDomains/.exec(res.headers['strict-transport-security']);
    expect(Number(hsts?.[1])).toBeGreaterThanOrEqual(180 * 24 * 3600);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-powered-by']).toBeUndefined();

    const csp = directives(res.headers['content-security-policy']);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(csp['default-src']).toEqual(["'self'"]);
    expect(csp['object-src']).toEqual(["'none'"]);
    expect(Object.values(csp).flat()).not.toContain("'unsafe-inline'");
    expect(Object.values(csp).flat()).not.toContain("'unsafe-eval'");
  });

  it('relaxes the CSP on /docs only as far as Swagger UI needs (inline styles)', async () => {
    const res = await request(t.url).get('/docs').expect(200);
    const csp = directives(res.headers['content-security-policy']);
    expect(csp['style-src']).toEqual(["'self'", "'unsafe-inline'"]);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('echoes a safe X-Request-Id, and makes one up otherwise', async () => {
    const given = await request(t.url).get('/health').set('X-Request-Id', 'trace-abc.123_x');
    expect(given.headers['x-request-id']).toBe('trace-abc.123_x');

    const none = await request(t.url).get('/health');
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    // A value that could forge log lines or headers is replaced, not echoed.
    for (const unsafe of ['a b', 'x'.repeat(65), 'id"},{"admin":true', '<script>']) {
      const res = await request(t.url).get('/health').set('X-Request-Id', unsafe);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }

    const error = await request(t.url).get('/no-such-route').set('X-Request-Id', 'err-1');
    expect(error.headers['x-request-id']).toBe('err-1');
  });
});

/** Parses a CSP header into directive name → sources. */
function directives(header: string | undefined): Record<string, string[]> {
  expect(header).toBeDefined();
  return Object.fromEntries(
    header!
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name, sources]),
  );
}
