/* eslint-disable no-console -- a command-line tool: its output is for the operator */
import 'reflect-metadata';
import { revokeAllSessions } from '@session-service/nestjs';
import { DataSource } from 'typeorm';
import { loadConfigOrExit } from '../config/load-config-or-exit';
import { dataSourceOptions } from '../database/data-source-options';
import { EmbeddedPostgres } from '../database/embedded-postgres';

/**
 * `npm run sessions:revoke-all`: revokes every session of every user on the configured database
 * (after a leaked signing key, say). Every refresh token then answers 401 session_revoked, and
 * every running instance refuses the access tokens issued before the moment printed, within
 * REVOCATION_PROPAGATION. Sign-ins after the command returns work at once.
 */
async function main(argv: string[]): Promise<number> {
  if (argv.length > 0) {
    console.error('Usage: npm run sessions:revoke-all');
    return 2;
  }
  const config = loadConfigOrExit();
  const embedded = config.databaseUrl ? null : await EmbeddedPostgres.start(config.dataDir);
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl ?? embedded!.url, true));
  try {
    await dataSource.initialize();
    const before = await revokeAllSessions(dataSource, {
      accessTokenTtl: config.accessTokenTtlMs / 1000,
      clockTolerance: config.clockToleranceMs / 1000,
    });
    console.log(`Every session begun before ${before.toISOString()} is revoked.`);
    return 0;
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
