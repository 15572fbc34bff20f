import { OutageMode, TcpProxy } from './tcp-proxy';
import { createTestApp, TestApp, TestAppOptions } from './test-app';
import { createTestSchema, directUrlFor, dropTestSchema } from './test-database';

/**
 * What a test does to an app's way to PostgreSQL. Through a pooler the app has two (DATABASE_URL
 * at the pooler, DATABASE_DIRECT_URL past it), each behind a proxy of its own, and the test acts
 * on both at once, as an outage of the database would.
 */
export type DatabaseProxy = Pick<TcpProxy, 'cut' | 'restore' | 'strand' | 'close'>;

export interface AppBehindProxy {
  app: TestApp;
  /** Between the app and PostgreSQL: `cut()` takes the database away, `restore()` gives it back. */
  proxy: DatabaseProxy;
  close(): Promise<void>;
}

/** The real service on a fresh schema, reaching PostgreSQL only through a proxy the test controls. */
export async function createAppBehindProxy(
  options: Omit<TestAppOptions, 'databaseUrl' | 'databaseDirectUrl'> = {},
): Promise<AppBehindProxy> {
  const schema = await createTestSchema();
  const { proxy, urls } = await proxyDatabase(schema.url);
  const app = await createTestApp({ ...options, ...urls });
  return {
    app,
    proxy,
    close: async () => {
      await app.close();
      await proxy.close();
      await dropTestSchema(schema.schema);
    },
  };
}

export interface TwoInstances {
  /** Reaches PostgreSQL directly. */
  a: TestApp;
  /** Shares A's database, reached only through `proxy`. */
  b: TestApp;
  proxy: DatabaseProxy;
  close(): Promise<void>;
}

/**
 * Two instances of the service on one database, as a deployment runs them; B reaches PostgreSQL
 * only through a proxy the test controls (cut, restore, strand).
 */
export async function createTwoInstances(env: Record<string, string> = {}): Promise<TwoInstances> {
  const a = await createTestApp({ env });
  const { proxy, urls } = await proxyDatabase(a.databaseUrl);
  const b = await createTestApp({ ...urls, env });
  return {
    a,
    b,
    proxy,
    close: async () => {
      await b.close();
      await a.close();
      await proxy.close();
    },
  };
}

/** Proxies in front of `url`, and through a pooler in front of its direct URL too. */
async function proxyDatabase(url: string): Promise<{
  proxy: DatabaseProxy;
  urls: { databaseUrl: string; databaseDirectUrl?: string };
}> {
  const pooled = await TcpProxy.forUrl(url);
  const direct = directUrlFor(url);
  if (!direct) return { proxy: pooled, urls: { databaseUrl: pooled.rewrite(url) } };
  const past = await TcpProxy.forUrl(direct);
  const both = [pooled, past];
  return {
    proxy: {
      cut: async (mode?: OutageMode) => void (await Promise.all(both.map((p) => p.cut(mode)))),
      restore: async () => void (await Promise.all(both.map((p) => p.restore()))),
      strand: () => both.forEach((p) => p.strand()),
      close: async () => void (await Promise.all(both.map((p) => p.close()))),
    },
    urls: { databaseUrl: pooled.rewrite(url), databaseDirectUrl: past.rewrite(direct) },
  };
}
