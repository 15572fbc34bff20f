import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './app-config';
import { ConfigError } from './config-error';

const PRIVATE_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const SECRET = 'a-production-secret-of-more-than-32-bytes';

describe('loadConfig: the session settings through the library', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'session-app-config-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  function configError(env: Record<string, string>): ConfigError {
    try {
      loadConfig({ DATA_DIR: dataDir, ...env });
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error(`expected ${JSON.stringify(env)} to be refused`);
  }

  it('has the documented defaults, and the resolved options behind them', () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config).toMatchObject({
      publicUrl: 'http://localhost:3000',
      jwtIssuer: 'http://localhost:3000',
      jwtAudience: 'session-service',
      accessTokenTtlMs: 15 * 60_000,
      refreshTokenTtlMs: 7 * 86_400_000,
      sessionMaxAgeMs: 30 * 86_400_000,
      refreshReuseGraceMs: 10_000,
      revocationPropagationMs: 1_000,
      clockToleranceMs: 0,
      corsOrigins: [],
      redisUrl: null,
      redisKeyPrefix: 'session-service:',
      loginMaxFailures: 5,
      loginLockWindowMs: 15 * 60_000,
      authRateLimit: { limit: 30, ttlMs: 60_000 },
    });
    expect(config.sessionAuth.keys).toBe(config.keys);
    expect(config.sessionAuth.accessTokenTtlMs).toBe(config.accessTokenTtlMs);
    expect(Object.isFrozen(config.sessionAuth)).toBe(true);
  });

  it('keeps development keys under DATA_DIR, so that tokens survive a restart', () => {
    const first = loadConfig({ DATA_DIR: dataDir });
    const second = loadConfig({ DATA_DIR: dataDir });
    expect(readdirSync(join(dataDir, 'keys')).sort()).toEqual([
      'access-private.pem',
      'refresh-secret',
    ]);
    expect(second.keys.accessSigning.kid).toBe(first.keys.accessSigning.kid);
    expect(second.keys.csrfSecret.equals(first.keys.csrfSecret)).toBe(true);
  });

  it('passes the variables on: origins serialised, the issuer defaulting to PUBLIC_URL', () => {
    const config = loadConfig({
      DATA_DIR: dataDir,
      PUBLIC_URL: 'https://auth.example.com/',
      CORS_ORIGINS: ' https://app.example.com/ , http://localhost:5173',
      ACCESS_TOKEN_TTL: '300',
      AUTH_RATE_LIMIT: '10/30s',
      LOGIN_MAX_FAILURES: '3',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REVOCATION_FEED_TOKENS: ` ${'a'.repeat(32)} ,${'b'.repeat(40)}`,
    });
    expect(config.publicUrl).toBe('https://auth.example.com');
    expect(config.jwtIssuer).toBe('https://auth.example.com');
    expect(config.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(config.accessTokenTtlMs).toBe(300_000);
    expect(config.authRateLimit).toEqual({ limit: 10, ttlMs: 30_000 });
    expect(config.loginMaxFailures).toBe(3);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.sessionAuth.revocationFeedTokens).toEqual(['a'.repeat(32), 'b'.repeat(40)]);
  });

  it('DATABASE_DIRECT_URL: the LISTEN and migration connection, by default DATABASE_URL', () => {
    const pooled = 'postgresql://sessions:pw@pgbouncer.internal:6432/sessions';
    const direct = 'postgresql://sessions:pw@db.internal:5432/sessions';
    expect(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: pooled }).databaseDirectUrl).toBeNull();
    const config = loadConfig({
      DATA_DIR: dataDir,
      DATABASE_URL: pooled,
      DATABASE_DIRECT_URL: direct,
    });
    expect(config.databaseUrl).toBe(pooled);
    expect(config.databaseDirectUrl).toBe(direct);
    expect(config.sessionAuthOptions.databaseDirectUrl).toBe(direct);
    expect(config.sessionAuth.databaseDirectUrl).toBe(direct);
  });

  it('DATABASE_DIRECT_URL without DATABASE_URL is refused, without echoing it', () => {
    const error = configError({ DATABASE_DIRECT_URL: 'postgresql://u:hunter2@db.internal/s' });
    expect(error.variable).toBe('DATABASE_DIRECT_URL');
    expect(error.accepts).toContain('unless DATABASE_URL is set');
    expect(error.message).not.toContain('hunter2');
  });

  it('AUTH_RATE_LIMIT takes counts of a million and more', () => {
    const config = loadConfig({ DATA_DIR: dataDir, AUTH_RATE_LIMIT: '1000000/1m' });
    expect(config.authRateLimit).toEqual({ limit: 1_000_000, ttlMs: 60_000 });
  });

  it.each<[string, string, string]>([
    ['ACCESS_TOKEN_TTL', '2h', 'from 1s to 1h'],
    ['REFRESH_TOKEN_TTL', '366d', 'to 365d'],
    ['SESSION_MAX_AGE', '0', 'from 1s'],
    ['REFRESH_REUSE_GRACE', 'xyz', '15m'],
    ['REVOCATION_PROPAGATION', '2m', 'to 1m'],
    ['REAUTH_MAX_AGE', '2d', 'to 1d'],
    ['CLOCK_TOLERANCE', '10m', 'to 5m'],
    ['LOGIN_LOCK_WINDOW', '2d', 'to 1d'],
    ['LOGIN_MAX_FAILURES', 'abc', 'a whole number from 1 to 1000'],
    ['LOGIN_MAX_FAILURES', '0', 'a whole number from 1 to 1000'],
    ['AUTH_RATE_LIMIT', 'lots', '30/1m'],
    ['PUBLIC_URL', 'ftp://example.com', 'an http(s) origin'],
    ['CORS_ORIGINS', 'not-an-origin', 'an http(s) origin'],
    ['REDIS_KEY_PREFIX', 'has space', 'up to 64 letters'],
  ])('%s=%s: names the variable, the value and what it accepts', (variable, value, accepts) => {
    const error = configError({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toBe(
      `Configuration error: ${variable}=${JSON.stringify(value)} is invalid: ${error.accepts}`,
    );
    expect(error.accepts).toContain(accepts);
  });

  it.each<[string, string, string]>([
    ['REFRESH_TOKEN_SECRET', 'short-but-secret', 'short-but-secret'],
    ['REDIS_URL', 'http://default:hunter2@cache.internal', 'hunter2'],
    ['DATABASE_DIRECT_URL', 'mysql://root:hunter2@db.internal/sessions', 'hunter2'],
    ['REVOCATION_FEED_TOKENS', `${'f'.repeat(32)},short-feed-secret`, 'short-feed-secret'],
    ['JWT_PRIVATE_KEY', PRIVATE_KEY.slice(0, 120), PRIVATE_KEY.slice(30, 60)],
  ])('%s: never echoes the value', (variable, value, secret) => {
    const error = configError({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toContain('"(hidden)"');
    expect(error.message).not.toContain(secret);
  });

  it.each<[string, Record<string, string>]>([
    ['JWT_PRIVATE_KEY', { REFRESH_TOKEN_SECRET: SECRET }],
    ['REFRESH_TOKEN_SECRET', { JWT_PRIVATE_KEY: PRIVATE_KEY }],
  ])('production: %s is required, and no key is written', (variable, env) => {
    const error = configError({ NODE_ENV: 'production', ...env });
    expect(error.message).toContain(`${variable} is required`);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('opens the management port only when MANAGEMENT_PORT is set, and never on PORT', () => {
    expect(loadConfig({ DATA_DIR: dataDir }).managementPort).toBeNull();
    expect(loadConfig({ DATA_DIR: dataDir, MANAGEMENT_PORT: '9464' }).managementPort).toBe(9464);
    expect(loadConfig({ DATA_DIR: dataDir, MANAGEMENT_PORT: '0' }).managementPort).toBe(0);
    expect(configError({ MANAGEMENT_PORT: '3000' }).message).toContain('MANAGEMENT_PORT');
    expect(configError({ MANAGEMENT_PORT: '70000' }).message).toContain('MANAGEMENT_PORT');
  });
});
