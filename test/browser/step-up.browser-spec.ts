import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import request from 'supertest';
import { PASSWORD, registerUser, sleep } from '../factories/users';
import { launchBrowser, screenshot, startBrowserTestApp, type BrowserTestApp } from './browser';

/**
 * The demo page's account deletion, in Chromium, against the real service with a 2 s
 * REAUTH_MAX_AGE: when the service answers `reauthentication_required`, the page asks for the
 * password in its own form, proves it, deletes, and shows the signed-out state.
 */
const REAUTH_MAX_AGE_MS = 2_000;

let app: BrowserTestApp;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  [app, browser] = await Promise.all([
    startBrowserTestApp({ REAUTH_MAX_AGE: `${REAUTH_MAX_AGE_MS / 1000}s` }),
    launchBrowser(),
  ]);
});

beforeEach(async () => {
  context = await browser.newContext();
});

afterEach(() => context?.close());

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function signedInPage(email: string): Promise<{ page: Page; answers: string[] }> {
  const page = await context.newPage();
  const answers: string[] = [];
  page.on('response', (response: Response) => {
    const url = new URL(response.url());
    if (url.origin === app.origin && !url.pathname.startsWith('/js/')) {
      answers.push(`${response.request().method()} ${url.pathname} ${response.status()}`);
    }
  });
  await page.goto(`${app.origin}/`);
  await page.waitForSelector('body[data-state="signed-out"]');
  await page.fill('#login-form input[name=email]', email);
  await page.fill('#login-form input[name=password]', PASSWORD);
  await page.click('#login');
  await page.waitForSelector('body[data-state="signed-in"] #events li[data-type="login"]');
  return { page, answers };
}

it('lists the security events as sentences a person reads', async () => {
  const { email } = await registerUser(app.url);
  const { page } = await signedInPage(email);
  const items = await page.locator('#events li').allTextContents();
  // Newest first: this sign-in, then the account's creation.
  expect(items[0]).toMatch(/^Signed in · in this browser · from \S+ · .*\d/);
  expect(items[items.length - 1]).toMatch(/^Account created · from \S+ · .*\d/);
  expect(items.join('\n')).not.toMatch(/_/);
});

it('asks for the password when the service wants a recent sign-in, then deletes the account', async () => {
  const { email } = await registerUser(app.url);
  const { page, answers } = await signedInPage(email);
  await sleep(REAUTH_MAX_AGE_MS + 300);

  // A wrong password first: refused, nothing deleted, still signed in.
  await page.click('#delete-account');
  await page.waitForSelector('#reauth-form:not([hidden]) input[name=password]');
  expect(await page.textContent('#message')).toContain('confirm your password');
  await page.fill('#reauth-form input[name=password]', 'Not-the-password-1');
  await page.click('#reauth-confirm');
  await page.waitForSelector('#message:has-text("invalid_credentials")');
  expect(await page.evaluate(() => document.body.dataset.state)).toBe('signed-in');
  expect(await page.isHidden('#reauth-form')).toBe(true);

  // Then the right one.
  await page.click('#delete-account');
  await page.waitForSelector('#reauth-form:not([hidden]) input[name=password]');
  await screenshot(page, 'step-up-password.png');
  await page.fill('#reauth-form input[name=password]', PASSWORD);
  await page.click('#reauth-confirm');
  await page.waitForSelector('body[data-state="signed-out"]');
  expect(await page.textContent('#status')).toContain('Your account has been deleted');
  expect(await page.isVisible('#login-form')).toBe(true);
  await screenshot(page, 'step-up-deleted.png');

  expect(
    answers.filter((line) => /^(DELETE \/users\/me|POST \/auth\/reauthenticate) /.test(line)),
  ).toEqual([
    'DELETE /users/me 401',
    'POST /auth/reauthenticate 403',
    'DELETE /users/me 401',
    'POST /auth/reauthenticate 200',
    'DELETE /users/me 204',
  ]);
  const jar = (await context.cookies()).map((cookie) => cookie.name);
  expect(jar).not.toContain('__Host-access_token');
  expect(jar).not.toContain('__Secure-refresh_token');
  // The account is gone: its password signs in no more, and the email is free.
  await request(app.url).post('/auth/login').send({ email, password: PASSWORD }).expect(401);
  await registerUser(app.url, { email });
});

it('a cancelled password prompt deletes nothing', async () => {
  const { email } = await registerUser(app.url);
  const { page, answers } = await signedInPage(email);
  await sleep(REAUTH_MAX_AGE_MS + 300);
  await page.click('#delete-account');
  await page.waitForSelector('#reauth-form:not([hidden])');
  await page.click('#reauth-cancel');
  await page.waitForSelector('#reauth-form', { state: 'hidden' });
  expect(await page.evaluate(() => document.body.dataset.state)).toBe('signed-in');
  expect(answers.filter((line) => line.startsWith('POST /auth/reauthenticate'))).toEqual([]);
  await request(app.url).post('/auth/login').send({ email, password: PASSWORD }).expect(200);
});
