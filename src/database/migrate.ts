/* eslint-disable no-console -- a command-line tool: its output is for the operator */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfigOrExit } from '../config/load-config-or-exit';
import { dataSourceOptions } from './data-source-options';
import { EmbeddedPostgres } from './embedded-postgres';

/** `npm run migration:run`: applies pending migrations to the configured database. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const embedded = config.databaseUrl ? null : await EmbeddedPostgres.start(config.dataDir);
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl ?? embedded!.url, false));
  try {
    await dataSource.initialize();
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    console.log(
      applied.length
        ? `Applied ${applied.map((migration) => migration.name).join(', ')}`
        : 'No pending migrations',
    );
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
