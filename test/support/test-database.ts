import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The server every e2e file shares: DATABASE_URL, or the embedded one from the global setup. */
export function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through jest.config.js');
  return url;
}

/**
 * A fresh, empty schema on the test server for one test file, and the URL that points at it: the
 * app runs its real migrations there, and test files never see each other's rows.
 */
export async function createTestSchema(): Promise<{ url: string; schema: string }> {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl());
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), schema };
}

export async function dropTestSchema(schema: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Runs one query on the test schema, for assertions about stored rows. */
export async function queryRows<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
