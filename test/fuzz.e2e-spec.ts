import fc from 'fast-check';
import request, { Response } from 'supertest';
import { registerUser, TestUser } from './factories/users';
import { createTestApp, jsonLogs, TestApp } from './support/test-app';

/**
 * Property: whatever arrives, on any route, with or without credentials, the service answers
 * below 500, and every 4xx is the contract's JSON `{statusCode, code, message}` with nothing
 * internal in it. At least 2,000 generated requests; FUZZ_SEED=<n> replays a run, FUZZ_RUNS=<n> sends more.
 */
const RUNS = Number(process.env.FUZZ_RUNS) || 2_200;

const ROUTES: [string, string][] = [
  ['POST', '/auth/register'],
  ['POST', '/auth/login'],
  ['POST', '/auth/refresh'],
  ['POST', '/auth/logout'],
  ['POST', '/auth/logout-all'],
  ['POST', '/auth/password'],
  ['GET', '/auth/me'],
  ['GET', '/users/me'],
  ['GET', '/users/me/security-events'],
  ['GET', '/sessions'],
  ['DELETE', '/sessions'],
  ['DELETE', '/sessions/:id'],
  ['GET', '/admin/users/:id/sessions'],
  ['DELETE', '/admin/users/:id/sessions'],
  ['GET', '/.well-known/jwks.json'],
  ['GET', '/health'],
  ['GET', '/health/ready'],
  ['GET', '/no/such/route'],
];

const FIELDS = [
  'email',
  'password',
  'displayName',
  'refreshToken',
  'currentPassword',
  'newPassword',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
];

/** Text as hostile as JSON can carry: any code point, lone surrogates, controls, long runs. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.constantFrom('', ' ', 'null', 'a@b.co', 'A@EXAMPLE.COM', 'password1', '\u0000', '\u202e'),
  fc.integer({ min: 1, max: 20_000 }).map((n) => 'x'.repeat(n)),
  fc.emailAddress(),
);

/** Nesting up to 6,000 levels, as deep as 16 KB allows (the service takes 32). */
const deep = fc
  .tuple(fc.integer({ min: 1, max: 6_000 }), fc.boolean())
  .map(([depth, arrays]) => (arrays ? '['.repeat(depth) + ']'.repeat(depth) : nested(depth)));

/** Every byte escaped, lone surrogates included (as UTF-8 of U+FFFD). */
function percentEncode(value: string): string {
  return [...Buffer.from(value)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

function nested(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

const value = fc.oneof(
  { weight: 4, arbitrary: text },
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, 0, -1, 1e308, [], {}),
);

/** A JSON object built as text, so that `__proto__` and `constructor` keys survive as keys. */
const objectBody = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...FIELDS), fc.string()), value), { maxLength: 6 })
  .map(
    (entries) =>
      `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v ?? null)}`).join(',')}}`,
  );

const body = fc.oneof(
  { weight: 5, arbitrary: objectBody },
  fc.constant(undefined),
  fc.json(),
  fc.string({ maxLength: 60 }), // mostly not JSON at all
  deep,
  fc.constantFrom('{', '{"email":', '[1,2', '\uFEFF{}', '{"a":1}{"b":2}', '"\\ud800"', 'NaN'),
);

/** Header values as Node can send them: latin1 without controls. */
const headerText = fc.oneof(
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c)),
    maxLength: 80,
  }),
  fc.integer({ min: 1, max: 10_240 }).map((n) => 'A'.repeat(n)),
);

type Credential =
  | 'none'
  | 'access'
  | 'refresh-as-bearer'
  | 'garbage'
  | 'empty-bearer'
  | 'huge'
  | 'tampered'
  | 'access-cookie'
  | 'refresh-cookie'
  | 'cookie-junk';

interface Generated {
  route: [string, string];
  method: string | null;
  param: string;
  query: string | null;
  credential: Credential;
  junk: string;
  contentType: string | null;
  body: string | undefined;
  extra: [string, string][];
}

const generated: fc.Arbitrary<Generated> = fc.record({
  route: fc.constantFrom(...ROUTES),
  method: fc.option(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'), { freq: 5 }),
  param: fc.oneof(
    fc.uuid(),
    text.map(percentEncode),
    fc.constantFrom('%ZZ', '%00', '..', '%2e%2e%2f'),
  ),
  query: fc.option(
    fc.oneof(
      fc.string().map(percentEncode),
      fc.constantFrom('__proto__[a]=1', 'a=%ZZ', 'a[b][c]=1&a=2'),
    ),
  ),
  credential: fc.constantFrom<Credential>(
    'none',
    'access',
    'refresh-as-bearer',
    'garbage',
    'empty-bearer',
    'huge',
    'tampered',
    'access-cookie',
    'refresh-cookie',
    'cookie-junk',
  ),
  junk: headerText,
  contentType: fc.option(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
      'application/JSON',
      'multipart/form-data; boundary=x',
    ),
    { freq: 8, nil: null },
  ),
  body,
  extra: fc.array(
    fc.tuple(
      fc.constantFrom(
        'X-Forwarded-For',
        'X-Auth-Transport',
        'X-CSRF-Token',
        'Origin',
        'User-Agent',
        'X-Request-Id',
        'Accept',
      ),
      headerText,
    ),
    { maxLength: 3 },
  ),
});

describe('fuzz: no request makes the service fail', () => {
  let t: TestApp;
  let users: TestUser[];

  beforeAll(async () => {
    t = await createTestApp({ env: { LOGIN_MAX_FAILURES: '1000' } });
    users = [await registerUser(t.url), await registerUser(t.url), await registerUser(t.url)];
  });
  afterAll(() => t.close());

  it(`answers ${RUNS} generated requests below 500, every 4xx in the contract's shape`, async () => {
    let sent = 0;
    const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
    await fc.assert(
      fc.asyncProperty(generated, async (g) => {
        const res = await send(t.url, g, users[sent++ % users.length]);
        expectWithinContract(res, g);
      }),
      { numRuns: RUNS, seed, endOnFailure: true },
    );
    expect(sent).toBeGreaterThanOrEqual(2_000);
    expect(t.process.exitCode).toBeNull();
    const failures = jsonLogs(t).filter((line) => line.msg === 'Unhandled error');
    expect(failures).toEqual([]);
  }, 120_000);
});

async function send(url: string, g: Generated, user: TestUser): Promise<Response> {
  const [routeMethod, template] = g.route;
  const method = (g.method ?? routeMethod).toLowerCase() as 'get';
  const path = template.replace(':id', g.param) + (g.query ? `?${g.query}` : '');
  const req = request(url)
    [method](path)
    .ok(() => true);
  const { accessToken, refreshToken } = user.tokens;
  switch (g.credential) {
    case 'access':
      req.set('Authorization', `Bearer ${accessToken}`);
      break;
    case 'refresh-as-bearer':
      req.set('Authorization', `Bearer ${refreshToken}`);
      break;
    case 'garbage':
      req.set('Authorization', g.junk);
      break;
    case 'empty-bearer':
      req.set('Authorization', 'Bearer');
      break;
    case 'huge':
      req.set('Authorization', `Bearer ${'e'.repeat(10_240)}`);
      break;
    case 'tampered':
      req.set('Authorization', `Bearer ${accessToken.slice(0, -6)}${g.junk.slice(0, 6)}`);
      break;
    case 'access-cookie':
      req.set('Cookie', `__Host-access_token=${accessToken}`);
      break;
    case 'refresh-cookie':
      req.set('Cookie', `__Secure-refresh_token=${refreshToken}`);
      break;
    case 'cookie-junk':
      req.set('Cookie', g.junk);
      break;
  }
  for (const [name, value] of g.extra) req.set(name, value);
  if (g.body !== undefined && method !== 'get' && method !== 'head') {
    req.set('Content-Type', g.contentType ?? 'application/json').send(g.body);
  }
  return req;
}

const INTERNALS =
  /\bat \S+ \(|node_modules|\/src\/|\/dist\/|stack|FST_|Exception|SyntaxError|typeorm|QueryFailed/i;

function expectWithinContract(res: Response, g: Generated): void {
  const context = `${g.method ?? g.route[0]} ${g.route[1]} → ${res.status} ${res.text?.slice(0, 200)}`;
  if (res.status >= 500 || res.status < 200) throw new Error(`No 5xx expected: ${context}`);
  if (res.status < 400 || (g.method ?? g.route[0]) === 'HEAD') return;
  const body = res.body as Record<string, unknown>;
  const keys = Object.keys(body).sort().join(',');
  const shaped =
    /^application\/json/.test(String(res.headers['content-type'])) &&
    body.statusCode === res.status &&
    typeof body.code === 'string' &&
    typeof body.message === 'string' &&
    (keys === 'code,message,statusCode' ||
      (res.status === 400 && keys === 'code,errors,message,statusCode'));
  if (!shaped || INTERNALS.test(res.text)) throw new Error(`Not the contract's error: ${context}`);
}
