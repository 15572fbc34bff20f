import request from 'supertest';
import { expectContractError } from './support/expect-error';
import { createTestApp, TestApp } from './support/test-app';

interface OpenApiDocument {
  openapi: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: { securitySchemes: Record<string, Record<string, unknown>> };
}

describe('docs', () => {
  describe('enabled (the default outside production)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(() => t.close());

    it('serves Swagger UI at /docs, with every script from the service itself', async () => {
      const res = await request(t.url).get('/docs').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('swagger-ui');
      // The CSP allows no inline script: Swagger UI only works if every script is a file.
      const scripts = [...res.text.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const attributes of scripts) expect(attributes).toMatch(/\ssrc="\.\/docs\/[\w.-]+\.js"/);

      for (const attributes of scripts) {
        const file = /src="\.\/(docs\/[\w.-]+\.js)"/.exec(attributes)![1];
        const asset = await request(t.url).get(`/${file}`).expect(200);
        expect(asset.headers['content-type']).toMatch(/javascript/);
      }
    });

    it('serves an OpenAPI 3 document at /docs-json with both security schemes', async () => {
      const res = await request(t.url).get('/docs-json').expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const doc = res.body as OpenApiDocument;
      expect(doc.openapi).toMatch(/^3\./);

      const schemes = Object.values(doc.components.securitySchemes);
      expect(schemes).toContainEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
      expect(schemes).toContainEqual(
        expect.objectContaining({ type: 'apiKey', in: 'cookie', name: '__Host-access_token' }),
      );
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/health/ready']));
    });

    it('names no server but the service itself', async () => {
      const doc = (await request(t.url).get('/docs-json').expect(200)).body as OpenApiDocument;
      for (const server of doc.servers ?? []) {
        const url = new URL(server.url, 'http://localhost:3000');
        expect(url.origin).toBe('http://localhost:3000');
      }
    });
  });

  describe('DOCS_ENABLED=false', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ env: { DOCS_ENABLED: 'false' } });
    });
    afterAll(() => t.close());

    it.each(['/docs', '/docs-json', '/docs/swagger-ui-init.js'])(
      '%s is 404 not_found',
      async (path) => {
        expectContractError(await request(t.url).get(path).expect(404), 404, 'not_found');
      },
    );

    it('still serves the API', async () => {
      await request(t.url).get('/health').expect(200);
    });
  });
});
