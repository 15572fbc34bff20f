import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The server every e2e file shares: DATABASE_URL, or the embedded one from the global setup. */
export function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests through jest.config.js');
  return url;
}

/**
 * PostgreSQL itself when the tests run through a transaction pooler (DATABASE_URL at PgBouncer,
 * DATABASE_DIRECT_URL past it); undefined otherwise.
 */
export function directServerUrl(): string | undefined {
  return process.env.TEST_DATABASE_DIRECT_URL || undefined;
}

/** Through a pooler, the direct URL of the database `url` names; undefined without one. */
export function directUrlFor(url: string): string | undefined {
  const direct = directServerUrl();
  if (!direct) return undefined;
  const parsed = new URL(direct);
  parsed.pathname = new URL(url).pathname;
  return parsed.toString();
}

/**
 * A fresh, empty schema on the test server for one test file, and the URL that points at it: the
 * app runs its real migrations there, and test files never see each other's rows. Through a
 * pooler it is a database instead (PgBouncer does not pass the `options` that set search_path),
 * with `directUrl` past the pooler.
 */
export async function createTestSchema(): Promise<{
  url: string;
  schema: string;
  directUrl?: string;
}> {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const direct = directServerUrl();
  const client = new Client({ connectionString: direct ?? serverUrl() });
  await client.connect();
  try {
    await client.query(direct ? `CREATE DATABASE ${schema}` : `CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl());
  if (direct) {
    url.pathname = `/${schema}`;
    return { url: url.toString(), schema, directUrl: directUrlFor(url.toString()) };
  }
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), schema };
}

export async function dropTestSchema(schema: string): Promise<void> {
  const direct = directServerUrl();
  const client = new Client({ connectionString: direct ?? serverUrl() });
  await client.connect();
  try {
    // FORCE: the pooler may still hold server connections to it.
    await client.query(
      direct
        ? `DROP DATABASE IF EXISTS ${schema} WITH (FORCE)`
        : `DROP SCHEMA IF EXISTS ${schema} CASCADE`,
    );
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
