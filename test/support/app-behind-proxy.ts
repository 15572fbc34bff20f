import { TcpProxy } from './tcp-proxy';
import { createTestApp, TestApp, TestAppOptions } from './test-app';
import { createTestSchema, dropTestSchema } from './test-database';

export interface AppBehindProxy {
  app: TestApp;
  /** Between the app and PostgreSQL: `cut()` takes the database away, `restore()` gives it back. */
  proxy: TcpProxy;
  close(): Promise<void>;
}

/** The real service on a fresh schema, reaching PostgreSQL only through a proxy the test controls. */
export async function createAppBehindProxy(
  options: Omit<TestAppOptions, 'databaseUrl'> = {},
): Promise<AppBehindProxy> {
  const schema = await createTestSchema();
  const proxy = await TcpProxy.forUrl(schema.url);
  const app = await createTestApp({ ...options, databaseUrl: proxy.rewrite(schema.url) });
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
  proxy: TcpProxy;
  close(): Promise<void>;
}

/**
 * Two instances of the service on one database, as a deployment runs them; B reaches PostgreSQL
 * only through a proxy the test controls (cut, restore, strand).
 */
export async function createTwoInstances(env: Record<string, string> = {}): Promise<TwoInstances> {
  const a = await createTestApp({ env });
  const proxy = await TcpProxy.forUrl(a.databaseUrl);
  const b = await createTestApp({ databaseUrl: proxy.rewrite(a.databaseUrl), env });
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
