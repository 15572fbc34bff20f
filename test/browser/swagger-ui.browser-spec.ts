import type { Browser } from 'playwright-core';
import { registerUser } from '../factories/users';
import { launchBrowser, screenshot, startBrowserTestApp, type BrowserTestApp } from './browser';

/** Swagger UI at /docs, driven as a person would: Authorize with a Bearer token, then Execute. */
let app: BrowserTestApp;
let browser: Browser;

beforeAll(async () => {
  [app, browser] = await Promise.all([startBrowserTestApp(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

it('authorizes with a Bearer token from login and executes GET /auth/me, getting 200', async () => {
  const { tokens } = await registerUser(app.url);
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });

  await page.goto(`${app.origin}/docs`);
  await page.click('.scheme-container button.authorize');
  const bearer = page.locator('.modal-ux input[aria-label="auth-bearer-value"]');
  await bearer.fill(tokens.accessToken);
  await page.click('.modal-ux .auth-btn-wrapper button.authorize');
  await page.click('.modal-ux button.btn-done');

  const operation = page.locator('.opblock-get').filter({
    has: page.locator('.opblock-summary-path[data-path="/auth/me"]'),
  });
  await operation.locator('.opblock-summary').first().click();
  await operation.locator('button.try-out__btn').click();
  await operation.locator('button.execute').click();

  const status = operation.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor();
  expect((await status.textContent())?.trim()).toBe('200');
  // The response body, as the UI shows it: the token's own session.
  expect(await operation.locator('.live-responses-table').textContent()).toContain(
    tokens.sessionId,
  );
  await screenshot(page, 'swagger-ui.png');
  // Swagger UI ran under the service's CSP without a violation.
  expect(errors.filter((error) => /Content Security Policy/i.test(error))).toEqual([]);
  await context.close();
});
