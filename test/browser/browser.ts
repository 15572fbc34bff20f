import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * Debian's Chromium (`apt-get install -y chromium`). playwright-core never downloads a browser;
 * CHROMIUM_PATH points elsewhere when needed.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
export const OUTPUT_DIR = resolve(process.cwd(), 'test-output');

/**
 * A browser on a fresh profile: Playwright's `launch()` gives Chromium a new, empty user-data-dir
 * in the temp folder (and removes it on close); each `newContext()` in it is a separate cookie jar.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** A port free at this moment, to give the service before it starts (PUBLIC_URL must name it). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export interface BrowserTestApp extends TestApp {
  /** http://localhost:<port>: the origin the browser uses, and the service's PUBLIC_URL. */
  origin: string;
}

/**
 * The real service on http://localhost:<port>, PUBLIC_URL set to it so that the page's own
 * requests pass the Origin check. Secure and __Host- cookies work on http://localhost in Chromium.
 */
export async function startBrowserTestApp(
  env: Record<string, string> = {},
): Promise<BrowserTestApp> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const origin = `http://localhost:${port}`;
    try {
      const app = await createTestApp({ env: { PORT: String(port), PUBLIC_URL: origin, ...env } });
      return { ...app, origin };
    } catch (error) {
      // Another process took the port between freePort() and the listen: try another.
      if (attempt >= 2 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  await page.screenshot({ path: join(OUTPUT_DIR, name), fullPage: true });
}
