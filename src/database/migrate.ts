/* eslint-disable no-console -- a command-line tool: its output is for the operator */
import { exitWith, withDatabaseUrls } from './command';
import { runMigrations } from './run-migrations';

/** `npm run migration:run`: applies pending migrations to the configured database, directly. */
exitWith(
  withDatabaseUrls(async ({ directUrl }) => {
    const applied = await runMigrations(directUrl);
    console.log(applied.length ? `Applied ${applied.join(', ')}` : 'No pending migrations');
  }),
);
