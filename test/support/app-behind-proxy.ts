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
