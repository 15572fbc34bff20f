import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/**
 * Applies pending migrations on a connection of its own to `directUrl`, then closes it; returns
 * the names applied. Direct, never through a transaction pooler: a migration may hold a session
 * for longer than one transaction, and a pooler's timeouts are set for requests, not for DDL.
 */
export async function runMigrations(directUrl: string, queryTimeoutMs?: number): Promise<string[]> {
  const dataSource = new DataSource(dataSourceOptions(directUrl, queryTimeoutMs));
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}
