import { generateKeyPairSync } from 'node:crypto';
import { normaliseSessionAuthOptions } from './normalise-options';
import type { SessionAuthOptions } from './session-auth-options';
import { SessionAuthOptionsError } from './session-auth-options-error';

const PRIVATE_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const SECRET = 'a-refresh-token-secret-of-more-than-32-bytes';
const REQUIRED: SessionAuthOptions = {
  issuer: 'https://auth.example.com/',
  keys: { privateKey: PRIVATE_KEY, refreshTokenSecret: SECRET },
};

function normalise(extra: Record<string, unknown>) {
  return normaliseSessionAuthOptions({ ...REQUIRED, ...extra } as SessionAuthOptions);
}

function errorOf(extra: Record<string, unknown>): SessionAuthOptionsError {
  try {
    normalise(extra);
  } catch (error) {
    if (error instanceof SessionAuthOptionsError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(extra)} to be refused`);
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

describe('normaliseSessionAuthOptions', () => {
  it('fills in the defaults of the environment variables', () => {
    const resolved = normaliseSessionAuthOptions(REQUIRED);
    expect(resolved).toMatchObject({
      issuer: 'https://auth.example.com/',
      audience: 'session-service',
      accessTokenTtlMs: 15 * MINUTE,
      refreshTokenTtlMs: 7 * DAY,
      sessionMaxAgeMs: 30 * DAY,
      shortSessionMaxAgeMs: DAY,
      refreshReuseGraceMs: 10 * SECOND,
      revocationPropagationMs: SECOND,
      reauthMaxAgeMs: 5 * MINUTE,
      clockToleranceMs: 0,
      publicUrl: 'https://auth.example.com',
      corsOrigins: [],
      authRateLimit: { limit: 30, windowMs: MINUTE },
      loginMaxFailures: 5,
      loginLockWindowMs: 15 * MINUTE,
      redisUrl: null,
      redisKeyPrefix: 'session-auth:',
      databaseDirectUrl: null,
      maxSessionsPerUser: 0,
      sessionLimitPolicy: 'evict-oldest',
      globalGuard: true,
      originCheck: 'session',
      routePrefix: '',
      revocationFeedTokens: [],
      users: undefined,
      builtinUsers: true,
    });
    expect(resolved.keys.accessSigning.alg).toBe('ES256');
  });

  it('returns a frozen result, nested objects and arrays included', () => {
    const resolved = normalise({ corsOrigins: ['https://app.example.com'] });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.corsOrigins)).toBe(true);
    expect(Object.isFrozen(resolved.authRateLimit)).toBe(true);
    expect(Object.isFrozen(resolved.keys)).toBe(true);
    expect(Object.isFrozen(resolved.keys.accessSigning)).toBe(true);
    expect(() => {
      (resolved as { accessTokenTtlMs: number }).accessTokenTtlMs = 1;
    }).toThrow(TypeError);
    expect(() => (resolved.corsOrigins as string[]).push('https://evil.example')).toThrow(
      TypeError,
    );
  });

  it('leaves the app’s users object as it is', () => {
    const users = { findById: () => null };
    const resolved = normalise({ users });
    expect(resolved.users).toBe(users);
    expect(Object.isFrozen(users)).toBe(false);
  });

  describe('durations', () => {
    // [option, resolved field, smallest, largest]: the ranges loadConfig enforced on the variables.
    it.each<[string, string, number, number]>([
      ['accessTokenTtl', 'accessTokenTtlMs', SECOND, 60 * MINUTE],
      ['refreshTokenTtl', 'refreshTokenTtlMs', SECOND, 365 * DAY],
      ['sessionMaxAge', 'sessionMaxAgeMs', SECOND, 365 * DAY],
      ['shortSessionMaxAge', 'shortSessionMaxAgeMs', SECOND, 365 * DAY],
      ['refreshReuseGrace', 'refreshReuseGraceMs', 0, MINUTE],
      ['revocationPropagation', 'revocationPropagationMs', SECOND, MINUTE],
      ['reauthMaxAge', 'reauthMaxAgeMs', SECOND, DAY],
      ['clockTolerance', 'clockToleranceMs', 0, 5 * MINUTE],
      ['loginLockWindow', 'loginLockWindowMs', SECOND, DAY],
    ])('%s: takes %s from its smallest to its largest value', (option, field, min, max) => {
      const at = (value: unknown) =>
        normalise({ [option]: value }) as unknown as Record<string, number>;
      expect(at(min / SECOND)[field]).toBe(min);
      expect(at(`${min / SECOND}s`)[field]).toBe(min);
      expect(at(max / SECOND)[field]).toBe(max);
      expect(at(`${max / SECOND}`)[field]).toBe(max);

      const below = min === 0 ? -1 : min / SECOND - 1;
      for (const value of [below, max / SECOND + 1, `${max / SECOND + 1}s`]) {
        const error = errorOf({ [option]: value });
        expect(error.option).toBe(option);
        expect(error.value).toBe(String(value));
        expect(error.accepts).toContain('15m');
        expect(error.message).toContain(`option ${option}=`);
      }
    });

    it('reads the environment’s forms and numbers of seconds alike', () => {
      expect(normalise({ accessTokenTtl: '900' }).accessTokenTtlMs).toBe(900 * SECOND);
      expect(normalise({ accessTokenTtl: 900 }).accessTokenTtlMs).toBe(900 * SECOND);
      expect(normalise({ accessTokenTtl: '90s' }).accessTokenTtlMs).toBe(90 * SECOND);
      expect(normalise({ accessTokenTtl: '1h' }).accessTokenTtlMs).toBe(60 * MINUTE);
      expect(normalise({ sessionMaxAge: '12h' }).sessionMaxAgeMs).toBe(DAY / 2);
      expect(normalise({ refreshTokenTtl: '7d' }).refreshTokenTtlMs).toBe(7 * DAY);
    });

    it.each<[unknown]>([
      [1.5],
      [Number.NaN],
      [Infinity],
      ['15 minutes'],
      ['1.5m'],
      [''],
      [null],
      [{}],
    ])('refuses %p', (value) => {
      const error = errorOf({ accessTokenTtl: value });
      expect(error.option).toBe('accessTokenTtl');
      expect(error.accepts).toBe(
        'a duration such as 900, 90s, 15m, 12h or 7d (a number is seconds), from 1s to 1h',
      );
    });

    it('says which value it refused', () => {
      expect(errorOf({ accessTokenTtl: '2h' }).message).toBe(
        'SessionAuthModule: option accessTokenTtl="2h" is invalid: a duration such as 900, 90s, 15m, 12h or 7d (a number is seconds), from 1s to 1h',
      );
    });
  });

  describe('whole numbers and choices', () => {
    it('loginMaxFailures: 1 to 1000', () => {
      expect(normalise({ loginMaxFailures: 1 }).loginMaxFailures).toBe(1);
      expect(normalise({ loginMaxFailures: 1_000 }).loginMaxFailures).toBe(1_000);
      for (const value of [0, 1_001, 2.5, '5', Number.NaN]) {
        const error = errorOf({ loginMaxFailures: value });
        expect(error.option).toBe('loginMaxFailures');
        expect(error.accepts).toBe('a whole number from 1 to 1000');
      }
    });

    it('maxSessionsPerUser: 0 (no limit) to 1000', () => {
      expect(normalise({ maxSessionsPerUser: 0 }).maxSessionsPerUser).toBe(0);
      expect(normalise({ maxSessionsPerUser: 1_000 }).maxSessionsPerUser).toBe(1_000);
      expect(errorOf({ maxSessionsPerUser: -1 }).option).toBe('maxSessionsPerUser');
      expect(errorOf({ maxSessionsPerUser: 1_001 }).option).toBe('maxSessionsPerUser');
    });

    it('sessionLimitPolicy: evict-oldest or deny', () => {
      expect(normalise({ sessionLimitPolicy: 'deny' }).sessionLimitPolicy).toBe('deny');
      const error = errorOf({ sessionLimitPolicy: 'oldest' });
      expect(error.message).toBe(
        'SessionAuthModule: option sessionLimitPolicy="oldest" is invalid: one of evict-oldest, deny',
      );
    });

    it("originCheck: 'session' or 'all'", () => {
      expect(normalise({ originCheck: 'all' }).originCheck).toBe('all');
      expect(errorOf({ originCheck: 'none' }).option).toBe('originCheck');
    });

    it('globalGuard: a boolean', () => {
      expect(normalise({ globalGuard: false }).globalGuard).toBe(false);
      expect(errorOf({ globalGuard: 'false' }).option).toBe('globalGuard');
    });
  });

  describe('issuer, audience and origins', () => {
    it('requires a non-empty issuer and audience', () => {
      expect(errorOf({ issuer: undefined }).message).toContain('option issuer is required');
      expect(errorOf({ issuer: '  ' }).option).toBe('issuer');
      expect(errorOf({ audience: '' }).option).toBe('audience');
      expect(normalise({ audience: 'notes-api' }).audience).toBe('notes-api');
    });

    it('needs publicUrl when the issuer is not an http(s) URL', () => {
      const error = errorOf({ issuer: 'urn:example:auth' });
      expect(error.option).toBe('publicUrl');
      expect(error.value).toBeUndefined();
      expect(
        normalise({ issuer: 'urn:example:auth', publicUrl: 'https://app.example.com' }).publicUrl,
      ).toBe('https://app.example.com');
    });

    it('serialises publicUrl and corsOrigins as origins', () => {
      const resolved = normalise({
        publicUrl: 'https://App.Example.com:443/path?x=1',
        corsOrigins: ['http://localhost:5173/', 'https://admin.example.com'],
      });
      expect(resolved.publicUrl).toBe('https://app.example.com');
      expect(resolved.corsOrigins).toEqual(['http://localhost:5173', 'https://admin.example.com']);
    });

    it.each([['publicUrl'], ['corsOrigins']])(
      '%s: refuses what is not an http(s) origin',
      (option) => {
        for (const value of ['ftp://files.example.com', 'not a url', 'file:///etc/passwd']) {
          const error = errorOf({ [option]: option === 'corsOrigins' ? [value] : value });
          expect(error.option).toBe(option);
          expect(error.value).toBe(value);
          expect(error.accepts).toBe('an http(s) origin such as https://app.example.com');
        }
      },
    );

    it('never echoes an origin given with credentials', () => {
      const error = errorOf({ corsOrigins: ['ftp://admin:hunter2@files.example.com'] });
      expect(error.value).toBe('(hidden)');
      expect(error.message).not.toContain('hunter2');
    });

    it('refuses corsOrigins that is not an array', () => {
      expect(errorOf({ corsOrigins: 'https://app.example.com' }).option).toBe('corsOrigins');
    });
  });

  describe('authRateLimit', () => {
    it('takes "N/duration" or { limit, window }', () => {
      expect(normalise({ authRateLimit: '10/30s' }).authRateLimit).toEqual({
        limit: 10,
        windowMs: 30 * SECOND,
      });
      expect(normalise({ authRateLimit: '1/1d' }).authRateLimit).toEqual({
        limit: 1,
        windowMs: DAY,
      });
      expect(normalise({ authRateLimit: { limit: 100, window: '1h' } }).authRateLimit).toEqual({
        limit: 100,
        windowMs: 60 * MINUTE,
      });
      expect(normalise({ authRateLimit: { limit: 5, window: 1 } }).authRateLimit).toEqual({
        limit: 5,
        windowMs: SECOND,
      });
    });

    it('takes limits up to the billion its error text names', () => {
      expect(normalise({ authRateLimit: '1000000/1m' }).authRateLimit.limit).toBe(1_000_000);
      expect(normalise({ authRateLimit: '1000000000/1m' }).authRateLimit.limit).toBe(1e9);
      expect(normalise({ authRateLimit: { limit: 1e9, window: '1m' } }).authRateLimit.limit).toBe(
        1e9,
      );
      expect(errorOf({ authRateLimit: '0/1m' }).accepts).toContain('1 to 1000000000');
    });

    it.each<[unknown]>([
      ['lots'],
      ['0/1m'],
      ['30/0s'],
      ['30/2d'],
      ['30'],
      ['1000000001/1m'],
      ['99999999999999999999/1m'],
      [{ limit: 1e9 + 1, window: '1m' }],
      [{ limit: 0, window: '1m' }],
      [{ limit: 30 }],
      [{ limit: 1.5, window: '1m' }],
      [{ limit: 30, window: '2d' }],
    ])('refuses %p', (value) => {
      const error = errorOf({ authRateLimit: value });
      expect(error.option).toBe('authRateLimit');
      expect(error.accepts).toContain('30/1m');
    });
  });

  describe('databaseDirectUrl', () => {
    it('takes a postgres:// or postgresql:// URL', () => {
      const url = 'postgresql://sessions:pw@db.internal:5432/sessions';
      expect(normalise({ databaseDirectUrl: url }).databaseDirectUrl).toBe(url);
      expect(normalise({ databaseDirectUrl: 'postgres://db/x' }).databaseDirectUrl).toBe(
        'postgres://db/x',
      );
    });

    it('refuses another URL without echoing it: it may hold a password', () => {
      const error = errorOf({ databaseDirectUrl: 'mysql://root:hunter2@db.internal/x' });
      expect(error.option).toBe('databaseDirectUrl');
      expect(error.value).toBe('(hidden)');
      expect(error.message).not.toContain('hunter2');
    });
  });

  describe('Redis', () => {
    it('takes a redis:// or rediss:// URL and a key prefix', () => {
      const resolved = normalise({
        redisUrl: 'rediss://default:pw@cache.example.com:6380/2',
        redisKeyPrefix: 'notes:{eu}',
      });
      expect(resolved.redisUrl).toBe('rediss://default:pw@cache.example.com:6380/2');
      expect(resolved.redisKeyPrefix).toBe('notes:{eu}');
    });

    it('refuses another URL without echoing it: it may hold a password', () => {
      const error = errorOf({ redisUrl: 'http://default:hunter2@cache.example.com' });
      expect(error.option).toBe('redisUrl');
      expect(error.value).toBe('(hidden)');
      expect(error.message).not.toContain('hunter2');
    });

    it('refuses a key prefix with spaces, or longer than 64 characters', () => {
      expect(errorOf({ redisKeyPrefix: 'a b' }).option).toBe('redisKeyPrefix');
      expect(errorOf({ redisKeyPrefix: 'a'.repeat(65) }).option).toBe('redisKeyPrefix');
      expect(errorOf({ redisKeyPrefix: '' }).option).toBe('redisKeyPrefix');
      expect(normalise({ redisKeyPrefix: 'a'.repeat(64) }).redisKeyPrefix).toHaveLength(64);
    });
  });

  describe('routePrefix', () => {
    it('takes a path, without its trailing slash', () => {
      expect(normalise({ routePrefix: '/api' }).routePrefix).toBe('/api');
      expect(normalise({ routePrefix: '/api/v1/' }).routePrefix).toBe('/api/v1');
      expect(normalise({ routePrefix: '/' }).routePrefix).toBe('');
    });

    it.each([['api'], ['/api//v1'], ['/api?x=1'], ['/../admin'], ['/a b']])(
      'refuses %p',
      (value) => {
        expect(errorOf({ routePrefix: value }).option).toBe('routePrefix');
      },
    );
  });

  describe('revocationFeedTokens', () => {
    const TOKEN = 'f'.repeat(32);

    it('takes secrets of 32 characters or more', () => {
      expect(
        normalise({ revocationFeedTokens: [TOKEN, `${TOKEN}-2`] }).revocationFeedTokens,
      ).toEqual([TOKEN, `${TOKEN}-2`]);
      expect(normalise({ revocationFeedTokens: [] }).revocationFeedTokens).toEqual([]);
    });

    it.each([
      ['a token of 31 characters', ['s3cret-feed-token-31-characters']],
      ['a token with a space', [`${TOKEN} x`]],
      ['a string instead of an array', TOKEN],
      ['a number in the array', [TOKEN, 42]],
    ])('refuses %s without echoing any token', (_, value) => {
      const error = errorOf({ revocationFeedTokens: value });
      expect(error.option).toBe('revocationFeedTokens');
      expect(error.value).toBe('(hidden)');
      expect(error.message).not.toContain('s3cret');
      expect(error.message).not.toContain(TOKEN);
    });
  });

  describe('keys', () => {
    it('names the key option and never echoes the secret', () => {
      const error = errorOf({
        keys: { privateKey: PRIVATE_KEY, refreshTokenSecret: 'short-secret' },
      });
      expect(error.option).toBe('keys.refreshTokenSecret');
      expect(error.message).toBe(
        'SessionAuthModule: option keys.refreshTokenSecret="(hidden)" is invalid: a secret of at least 32 bytes',
      );
    });

    it('says a missing key is required', () => {
      expect(errorOf({ keys: { refreshTokenSecret: SECRET } }).message).toBe(
        'SessionAuthModule: option keys.privateKey is required: a PEM private key, EC P-256 (ES256) or Ed25519 (EdDSA)',
      );
      expect(errorOf({ keys: undefined }).option).toBe('keys');
    });
  });

  it('refuses options that are not an object', () => {
    expect(() => normaliseSessionAuthOptions(undefined as unknown as SessionAuthOptions)).toThrow(
      SessionAuthOptionsError,
    );
  });
});
