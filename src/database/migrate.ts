/* eslint-disable no-console -- a command-line tool: its output is for the operator */
import { exitWith, withDatabase } from './command';

/** `npm run migration:run`: applies pending migrations to the configured database. */
exitWith(
  withDatabase(false, async (dataSource) => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    console.log(
      applied.length
        ? `Applied ${applied.map((migration) => migration.name).join(', ')}`
        : 'No pending migrations',
    );
  }),
);
