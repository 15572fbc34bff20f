/* eslint-disable no-console -- the commands' output is for the operator */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { loadConfigOrExit } from '../config/load-config-or-exit';
import { dataSourceOptions } from './data-source-options';
import { EmbeddedPostgres } from './embedded-postgres';

/**
 * Runs `work` on the configured database (the embedded one when DATABASE_URL is unset), then
 * closes it. `migrationsRun`: apply pending migrations on connecting.
 */
export async function withDatabase<T>(
  migrationsRun: boolean,
  work: (dataSource: DataSource, config: AppConfig) => Promise<T>,
): Promise<T> {
  const config = loadConfigOrExit();
  const embedded = config.databaseUrl ? null : await EmbeddedPostgres.start(config.dataDir);
  const dataSource = new DataSource(
    dataSourceOptions(config.databaseUrl ?? embedded!.url, migrationsRun),
  );
  try {
    await dataSource.initialize();
    return await work(dataSource, config);
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

/** A command-line tool's end: its exit code, or 1 with the error's message (never a stack). */
export function exitWith(run: Promise<number | void>): void {
  run.then(
    (code) => process.exit(code ?? 0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    },
  );
}
