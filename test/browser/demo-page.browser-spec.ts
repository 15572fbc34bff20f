import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import request from 'supertest';
import { login, PASSWORD, registerUser, sleep, uniqueEmail } from '../factories/users';
import { jsonLogs } from '../support/test-app';
import { launchBrowser, screenshot, startBrowserTestApp, type BrowserTestApp } from './browser';

/**
 * The demo page at `/`, in Chromium, against the real service with 2 s access tokens: the client
 * library keeps a cookie session alive by itself, across tabs, and tells when it ends.
 */
const ACCESS_TTL_MS = 2_000;

let app: BrowserTestApp;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [app, browser] = await Promise.all([
    startBrowserTestApp({ ACCESS_TOKEN_TTL: `${ACCESS_TTL_MS / 1000}s` }),
    launchBrowser(),
  ]);
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext();
  contexts.push(context);
  return context;
}

async function openPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${app.origin}/`);
  await page.waitForSelector('body[data-state]:not([data-state="loading"])');
  return page;
}

async function state(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.body.dataset.state);
}

async function signIn(page: Page, email: string, password = PASSWORD): Promise<string> {
  await page.fill('#login-form input[name=email]', email);
  await page.fill('#login-form input[name=password]', password);
  await page.click('#login');
  await page.waitForSelector('body[data-state="signed-in"] #sessions li');
  return (await page.getAttribute('#status', 'data-session-id'))!;
}

/** Every answer of the service to this page, as "METHOD path status". */
function recordResponses(page: Page): string[] {
  const seen: string[] = [];
  page.on('response', (response: Response) => {
    const url = new URL(response.url());
    if (url.origin === app.origin && !url.pathname.startsWith('/js/')) {
      seen.push(`${response.request().method()} ${url.pathname} ${response.status()}`);
    }
  });
  return seen;
}

/** The status the service logged for a request from this Origin (waits for the log line). */
async function answeredTo(method: string, url: string, origin: string): Promise<number> {
  for (let waited = 0; waited < 5_000; waited += 50) {
    for (const line of jsonLogs(app)) {
      const req = line.req as
        { method?: string; url?: string; headers?: Record<string, unknown> } | undefined;
      const res = line.res as { statusCode?: number } | undefined;
      if (
        req?.method === method &&
        req.url === url &&
        req.headers?.origin === origin &&
        res?.statusCode
      ) {
        return res.statusCode;
      }
    }
    await sleep(50);
  }
  throw new Error(`No ${method} ${url} from ${origin} in the service's log`);
}

/** The user's live sessions and security events, seen through a separate Bearer session. */
async function serverView(email: string) {
  const tokens = await login(app.url, { email, password: PASSWORD });
  const auth = { Authorization: `Bearer ${tokens.accessToken}` };
  const sessions = await request(app.url).get('/sessions').set(auth).expect(200);
  const events = await request(app.url).get('/users/me/security-events').set(auth).expect(200);
  return {
    sessionIds: (sessions.body as { id: string }[]).map((session) => session.id),
    eventTypes: (events.body as { type: string }[]).map((event) => event.type),
  };
}

it('serves the page at / as static files under the strict CSP; any other path is the JSON 404', async () => {
  const page = await request(app.url).get('/').expect(200);
  expect(page.headers['content-type']).toMatch(/^text\/html/);
  expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  expect(page.text).toContain('src="/js/public/app.js"');
  expect(page.text).not.toMatch(/<script>|style=|https?:\/\//);
  await request(app.url)
    .get('/js/client/session-client.js')
    .expect('Content-Type', /javascript/)
    .expect(200);
  await request(app.url)
    .get('/app.css')
    .expect('Content-Type', /text\/css/)
    .expect(200);
  for (const path of ['/nope.html', '/js/', '/index.htm', '/../package.json']) {
    const missing = await request(app.url).get(path).expect(404);
    expect(missing.body).toMatchObject({ statusCode: 404, code: 'not_found' });
  }
  const post = await request(app.url).post('/').set('Content-Type', 'application/json').send('{}');
  expect(post.body).toMatchObject({ statusCode: 404, code: 'not_found' });
});

it('registers and signs in on the page; no token is readable by script or kept in storage', async () => {
  const context = await newContext();
  const page = await openPage(context);
  expect(await state(page)).toBe('signed-out');

  const email = uniqueEmail('browser');
  await page.fill('#register-form input[name=email]', email);
  await page.fill('#register-form input[name=password]', PASSWORD);
  await page.fill('#register-form input[name=displayName]', 'Ada');
  await page.click('#register');
  await page.waitForSelector('body[data-state="signed-in"] #sessions li.current');
  expect(await page.textContent('#status')).toContain(`Signed in as Ada <${email}>`);
  expect(await page.textContent('#me')).toContain('"sessionId"');

  const script = await page.evaluate(() => ({
    cookie: document.cookie,
    local: Object.entries(localStorage),
    session: Object.entries(sessionStorage),
  }));
  const names = script.cookie.split(';').map((part) => part.trim().split('=')[0]);
  expect(names).toEqual(['__Host-csrf_token']);
  expect(script.cookie).not.toMatch(/access_token|refresh_token|eyJ/);
  expect(script.local).toEqual([]);
  expect(script.session).toEqual([]);

  // The browser holds them, out of the page's reach.
  const jar = await context.cookies();
  const byName = Object.fromEntries(jar.map((cookie) => [cookie.name, cookie]));
  expect(byName['__Host-access_token']).toMatchObject({
    httpOnly: true,
    secure: true,
    sameSite: 'Strict',
    path: '/',
  });
  expect(byName['__Secure-refresh_token']).toMatchObject({
    httpOnly: true,
    secure: true,
    path: '/auth',
  });
  expect(byName['__Host-csrf_token']).toMatchObject({ httpOnly: false, secure: true });
  // Kept: the session outlives the browser unless "Keep me signed in" is cleared at sign-in.
  expect(byName['__Secure-refresh_token'].expires).toBeGreaterThan(Date.now() / 1000);

  // The session list names the device as a person reads it, not as a raw user agent.
  expect(await page.textContent('#sessions li.current')).toMatch(
    /^Chrome on Linux \(this browser\)/,
  );

  await screenshot(page, 'demo-page.png');
});

it('signs in for this browser only when "Keep me signed in" is cleared', async () => {
  const { email } = await registerUser(app.url);
  const context = await newContext();
  const page = await openPage(context);
  await page.fill('#login-form input[name=email]', email);
  await page.fill('#login-form input[name=password]', PASSWORD);
  await page.uncheck('#login-form input[name=rememberMe]');
  await page.click('#login');
  await page.waitForSelector('body[data-state="signed-in"] #sessions li.current');

  // Session cookies: no Expires, so the browser drops them when it closes (-1 to Playwright).
  const jar = await context.cookies();
  const session = jar.filter((cookie) => cookie.name !== '__Host-device');
  expect(session.map((cookie) => cookie.name).sort()).toEqual([
    '__Host-access_token',
    '__Host-csrf_token',
    '__Secure-refresh_token',
  ]);
  for (const cookie of session) expect(cookie.expires).toBe(-1);
  expect(await page.textContent('#sessions li.current')).toContain('until the browser closes');
});

it('stays signed in across several access-token lifetimes with no user action', async () => {
  const { email } = await registerUser(app.url);
  const page = await openPage(await newContext());
  const sessionId = await signIn(page, email);
  const responses = recordResponses(page);

  await sleep(ACCESS_TTL_MS * 3.5);

  const refreshes = responses.filter((line) => line.startsWith('POST /auth/refresh'));
  expect(refreshes.length).toBeGreaterThanOrEqual(3);
  expect(refreshes.every((line) => line.endsWith(' 200'))).toBe(true);
  expect(await state(page)).toBe('signed-in');

  await page.click('#whoami');
  await page.waitForFunction(
    (sid) => document.querySelector('#me')?.textContent?.includes(sid),
    sessionId,
  );
  expect(await state(page)).toBe('signed-in');
  // No refresh was ever turned away. (A call may still meet a 401 access_token_expired, since a
  // JWT's exp counts whole seconds: a "2 s" token lives 1 to 2 s. The client then refreshes and
  // retries, which the signed-in page above shows.)
  const failures = responses.filter((line) => / (403|429|5\d\d)$/.test(line));
  const failedRefreshes = responses.filter(
    (line) => line.startsWith('POST /auth/refresh') && !line.endsWith(' 200'),
  );
  expect({ failures, failedRefreshes }).toEqual({ failures: [], failedRefreshes: [] });
});

it('two tabs whose access tokens expire together both stay signed in, and the session lives on', async () => {
  const { email } = await registerUser(app.url);
  const context = await newContext();
  const first = await openPage(context);
  const sessionId = await signIn(first, email);
  // The second tab finds the session in the cookies: both tabs now hold the same access token.
  const second = await openPage(context);
  expect(await state(second)).toBe('signed-in');
  expect(await second.getAttribute('#status', 'data-session-id')).toBe(sessionId);
  const responses = [...[first, second].map(recordResponses)];

  await sleep(ACCESS_TTL_MS * 3.5);

  // Both tabs call at once, after several expiries.
  await Promise.all([first.click('#whoami'), second.click('#whoami')]);
  for (const page of [first, second]) {
    await page.waitForFunction(
      (sid) => document.querySelector('#me')?.textContent?.includes(sid),
      sessionId,
    );
    expect(await state(page)).toBe('signed-in');
  }
  await second.click('#load-sessions');
  await second.waitForSelector(`#sessions li.current[data-session-id="${sessionId}"]`);

  const all = responses.flat();
  expect(all.filter((line) => line.startsWith('POST /auth/refresh')).length).toBeGreaterThanOrEqual(
    3,
  );
  expect(all.filter((line) => / (403|429|5\d\d)$/.test(line))).toEqual([]);
  expect(
    all.filter((line) => line.startsWith('POST /auth/refresh') && !line.endsWith(' 200')),
  ).toEqual([]);
  const server = await serverView(email);
  expect(server.sessionIds).toContain(sessionId);
  expect(server.eventTypes).not.toContain('refresh_token_reused');
  expect(server.eventTypes).not.toContain('session_revoked');
});

it('sign out in one tab, and the other tab learns its session ended', async () => {
  const { email } = await registerUser(app.url);
  const context = await newContext();
  const first = await openPage(context);
  await signIn(first, email);
  const second = await openPage(context);
  expect(await state(second)).toBe('signed-in');

  await first.click('#logout');
  await first.waitForSelector('body[data-state="signed-out"]');

  // Its next call (the cross-tab channel may have told it already, and hidden the button).
  await second.click('#whoami', { timeout: 1_000 }).catch(() => undefined);
  await second.waitForSelector('body[data-state="ended"]');
  expect(await second.textContent('#status')).toContain('Session ended');
  expect(await second.isVisible('#login-form')).toBe(true);
  const jar = (await context.cookies()).map((cookie) => cookie.name);
  expect(jar).not.toContain('__Host-access_token');
  expect(jar).not.toContain('__Secure-refresh_token');
});

it('revoking a session from the list ends it in its own browser context', async () => {
  const { email } = await registerUser(app.url);
  const pageA = await openPage(await newContext());
  const pageB = await openPage(await newContext());
  await signIn(pageA, email);
  const sessionB = await signIn(pageB, email);

  await pageA.click('#load-sessions');
  await pageA.click(`#sessions li[data-session-id="${sessionB}"] button.revoke`);
  await pageA.waitForSelector(`#sessions li[data-session-id="${sessionB}"]`, { state: 'detached' });

  // B's next call, once the revocation has reached every check (REVOCATION_PROPAGATION, 1 s).
  await sleep(1_100);
  await pageB.click('#whoami');
  await pageB.waitForSelector('body[data-state="ended"]');
  expect(await pageB.textContent('#status')).toMatch(
    /Session ended \((session_revoked|refresh_token_missing)\)/,
  );
  await pageA.click('#whoami');
  expect(await state(pageA)).toBe('signed-in');
});

describe('from another origin', () => {
  let attacker: Server;
  let attackerPort: number;

  beforeAll(async () => {
    attacker = createServer((req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      if (req.url === '/form') {
        // Auto-submitting form to an unsafe route: the classic CSRF.
        res.end(
          `<form method="post" action="${app.origin}/auth/logout-all">` +
            `<input name="x" value="1"></form><script>document.forms[0].submit()</script>`,
        );
      } else {
        res.end('<p>elsewhere</p>');
      }
    });
    await new Promise<void>((done) => attacker.listen(0, '127.0.0.1', done));
    attackerPort = (attacker.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((done) => attacker.close(() => done())));

  it('a cross-site form post or credentialed fetch to an unsafe route is refused; the session lives on', async () => {
    const { email } = await registerUser(app.url);
    const context = await newContext();
    const victim = await openPage(context);
    const sessionId = await signIn(victim, email);

    // Same site (localhost), another origin: the SameSite cookies go along, the Origin check refuses.
    const formPage = await context.newPage();
    const [formAnswer] = await Promise.all([
      formPage.waitForResponse(`${app.origin}/auth/logout-all`),
      formPage.goto(`http://localhost:${attackerPort}/form`),
    ]);
    expect(formAnswer.status()).toBe(403);
    expect(await formAnswer.json()).toMatchObject({ code: 'origin_not_allowed' });

    // Another site: a credentialed fetch, in the two forms a page can send.
    const other = await context.newPage();
    await other.goto(`http://127.0.0.1:${attackerPort}/`);
    const fetched = await other.evaluate(
      (url) =>
        fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', body: 'x' }).then(
          () => 'opaque',
          () => 'blocked',
        ),
      `${app.origin}/auth/logout-all`,
    );
    // Its answer never reaches the page: Chromium either fails the fetch on the service's
    // Cross-Origin-Resource-Policy or hands back an opaque response, depending on timing. The
    // service's request log tells what it answered.
    expect(['blocked', 'opaque']).toContain(fetched);
    expect(await answeredTo('POST', '/auth/logout-all', `http://127.0.0.1:${attackerPort}`)).toBe(
      403,
    );
    const cors = await other.evaluate(
      (url) =>
        fetch(url, {
          method: 'DELETE',
          credentials: 'include',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': 'guess' },
        }).then(
          (response) => `answered ${response.status}`,
          () => 'refused',
        ),
      `${app.origin}/sessions`,
    );
    expect(cors).toBe('refused');

    await victim.click('#whoami');
    await victim.waitForFunction(
      (sid) => document.querySelector('#me')?.textContent?.includes(sid),
      sessionId,
    );
    expect(await state(victim)).toBe('signed-in');
    expect((await serverView(email)).sessionIds).toContain(sessionId);
  });
});
