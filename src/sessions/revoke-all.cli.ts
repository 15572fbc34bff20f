/* eslint-disable no-console -- a command-line tool: its output is for the operator */
import { revokeAllSessions } from '@session-service/nestjs';
import { exitWith, withDatabase } from '../database/command';

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
  return withDatabase(true, async (dataSource, config) => {
    const before = await revokeAllSessions(dataSource, {
      accessTokenTtl: config.accessTokenTtlMs / 1000,
      clockTolerance: config.clockToleranceMs / 1000,
    });
    console.log(`Every session begun before ${before.toISOString()} is revoked.`);
    return 0;
  });
}

exitWith(main(process.argv.slice(2)));
