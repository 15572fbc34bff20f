/* eslint-disable no-console -- the commands' output is for the operator */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { loadConfigOrExit } from '../config/load-config-or-exit';
import { dataSourceOptions } from './data-source-options';
import { EmbeddedPostgres } from './embedded-postgres';
import { runMigrations } from './run-migrations';

/**
 * Runs `work` on the configured database (the embedded one when DATABASE_URL is unset), then
 * closes it. `migrationsRun`: apply pending migrations first, over DATABASE_DIRECT_URL.
 */
export async function withDatabase<T>(
  migrationsRun: boolean,
  work: (dataSource: DataSource, config: AppConfig) => Promise<T>,
): Promise<T> {
  return withDatabaseUrls(async ({ url, directUrl }, config) => {
    if (migrationsRun) await runMigrations(directUrl);
    const dataSource = new DataSource(dataSourceOptions(url));
    await dataSource.initialize();
    try {
      return await work(dataSource, config);
    } finally {
      await dataSource.destroy();
    }
  });
}

/**
 * The configured database's URLs, for `work`: DATABASE_URL (or the embedded database's, started
 * for the while), and DATABASE_DIRECT_URL, which defaults to it.
 */
export async function withDatabaseUrls<T>(
  work: (urls: { url: string; directUrl: string }, config: AppConfig) => Promise<T>,
): Promise<T> {
  const config = loadConfigOrExit();
  const embedded = config.databaseUrl ? null : await EmbeddedPostgres.start(config.dataDir);
  const url = config.databaseUrl ?? embedded!.url;
  try {
    return await work({ url, directUrl: config.databaseDirectUrl ?? url }, config);
  } finally {
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
