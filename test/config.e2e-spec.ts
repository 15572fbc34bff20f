import { generateKeyPairSync } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { createTestApp, spawnService } from './support/test-app';

const EC_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const RSA_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const SECRET = 'a-production-secret-of-more-than-32-bytes';
const WEBHOOK_SECRET = `whsec_${Buffer.from(SECRET).toString('base64')}`;

/**
 * A bad value stops the service before it does anything: a non-zero exit and exactly one line on
 * stderr naming the variable, never the secret it was given. Each case spawns `node dist/main.js`.
 */
describe('configuration', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'session-config-'));
  const productionDataDir = mkdtempSync(join(tmpdir(), 'session-config-production-'));
  afterAll(() => {
    for (const dir of [dataDir, productionDataDir]) rmSync(dir, { recursive: true, force: true });
  });

  it.concurrent.each<[string, string, Record<string, string>, string]>([
    ['ACCESS_TOKEN_TTL', '2h', { ACCESS_TOKEN_TTL: '2h' }, 'to 1h'],
    ['REFRESH_REUSE_GRACE', 'xyz', { REFRESH_REUSE_GRACE: 'xyz' }, '15m'],
    ['PORT', 'abc', { PORT: 'abc' }, 'from 0 to 65535'],
    ['DOCS_ENABLED', 'maybe', { DOCS_ENABLED: 'maybe' }, 'true or false'],
    ['AUTH_RATE_LIMIT', 'lots', { AUTH_RATE_LIMIT: 'lots' }, '30/1m'],
    ['JWT_PRIVATE_KEY', 'an RSA key', { JWT_PRIVATE_KEY: RSA_KEY }, 'P-256'],
    ['TRUST_PROXY', 'true', { TRUST_PROXY: 'true' }, 'say how many proxies'],
    ['TRUST_PROXY', 'a host name', { TRUST_PROXY: 'proxy.internal' }, 'CIDR'],
    ['TRUST_PROXY', 'a bad range', { TRUST_PROXY: '10.0.0.0/33' }, 'CIDR'],
  ])('%s: refuses %s', async (variable, _, env, accepts) => {
    const { code, stdout, stderr } = await runService({ DATA_DIR: dataDir, ...env });
    expect(code).toBe(1);
    expect(stdout).toEqual([]);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toContain(variable);
    expect(stderr[0]).toContain(accepts);
  });

  it.concurrent.each<[string, Record<string, string>, string]>([
    ['REFRESH_TOKEN_SECRET', { REFRESH_TOKEN_SECRET: 'short-but-secret' }, 'short-but-secret'],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://app:hunter2-password@db/app' }, 'hunter2'],
    ['JWT_PRIVATE_KEY', { JWT_PRIVATE_KEY: EC_KEY.slice(0, 120) }, EC_KEY.slice(30, 60)],
    [
      'WEBHOOK_SECRET',
      {
        WEBHOOK_URL: 'https://hooks.example.com/in',
        WEBHOOK_SECRET: 'whsec_dG9vLXNob3J0LXNlY3JldA==',
      },
      'dG9vLXNob3J0',
    ],
    [
      'WEBHOOK_URL',
      { WEBHOOK_URL: 'hooks.example.com/in?token=hook-token', WEBHOOK_SECRET: WEBHOOK_SECRET },
      'hook-token',
    ],
  ])('%s: refuses a bad value without echoing it', async (variable, env, secret) => {
    const { code, stdout, stderr } = await runService({ DATA_DIR: dataDir, ...env });
    expect(code).toBe(1);
    expect(stdout).toEqual([]);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toContain(variable);
    expect(stderr[0]).not.toContain(secret);
  });

  it.concurrent.each<[string, Record<string, string>]>([
    ['JWT_PRIVATE_KEY', { REFRESH_TOKEN_SECRET: SECRET }],
    ['REFRESH_TOKEN_SECRET', { JWT_PRIVATE_KEY: EC_KEY }],
  ])('production: refuses to start without %s', async (variable, env) => {
    const { code, stdout, stderr } = await runService({
      NODE_ENV: 'production',
      DATA_DIR: productionDataDir,
      ...env,
    });
    expect(code).toBe(1);
    expect(stdout).toEqual([]);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toContain(`${variable} is required`);
    // Production never falls back to development keys kept on disk.
    expect(readdirSync(productionDataDir)).toEqual([]);
  });

  it('processes starting together on a fresh DATA_DIR never read a development key half written', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'session-config-race-'));
    // Six processes create the keys of the same 300 fresh folders at once, as services (or cluster
    // workers) starting together on a new DATA_DIR do; each counts the keys it read empty or
    // different from what the folder holds once all are done.
    const script = `
      const { withDevelopmentKeys } = require(${JSON.stringify(resolve('dist/config/development-keys.js'))});
      const out = [];
      for (let i = 0; i < 300; i++) {
        const keys = withDevelopmentKeys({}, false, require('node:path').join(process.argv[1], String(i)));
        out.push(keys.refreshTokenSecret, keys.privateKey);
      }
      process.stdout.write(JSON.stringify(out));`;
    try {
      const runs = await Promise.all(Array.from({ length: 6 }, () => runNode(script, fresh)));
      for (let i = 0; i < 300; i++) {
        const dir = join(fresh, String(i), 'keys');
        expect(readdirSync(dir).sort()).toEqual(['access-private.pem', 'refresh-secret']);
        const secret = readFileSync(join(dir, 'refresh-secret'), 'utf8');
        const key = readFileSync(join(dir, 'access-private.pem'), 'utf8');
        expect(secret.length).toBeGreaterThan(32);
        for (const run of runs) expect([run[2 * i], run[2 * i + 1]]).toEqual([secret, key]);
      }
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('production starts with explicit keys (a PEM on one line with \\n, as env files carry it)', async () => {
    const t = await createTestApp({
      env: {
        NODE_ENV: 'production',
        DATA_DIR: productionDataDir,
        JWT_PRIVATE_KEY: EC_KEY.trim().replace(/\n/g, '\\n'),
        REFRESH_TOKEN_SECRET: SECRET,
      },
    });
    try {
      await request(t.url).get('/health/ready').expect(200);
      // Production serves no docs unless DOCS_ENABLED says so.
      await request(t.url).get('/docs').expect(404);
      await request(t.url).get('/docs-json').expect(404);
      expect(readdirSync(productionDataDir)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

async function runService(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string[]; stderr: string[] }> {
  const child = spawnService({ HOST: '127.0.0.1', PORT: '0', ...env });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
  return { code, stdout: lines(output.stdout), stderr: lines(output.stderr) };
}

function runNode(script: string, arg: string): Promise<string[]> {
  return new Promise((done, fail) =>
    execFile(process.execPath, ['-e', script, arg], { maxBuffer: 64 << 20 }, (error, stdout) =>
      error ? fail(error) : done(JSON.parse(stdout) as string[]),
    ),
  );
}
