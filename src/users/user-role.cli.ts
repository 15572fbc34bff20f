/* eslint-disable no-console -- a command-line tool: its output is for the operator */
import { changeUserRole } from '@session-service/nestjs';
import { exitWith, withDatabase } from '../database/command';

const USAGE = 'Usage: npm run user:role -- <email> <role> [--remove]';
const ROLE = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * `npm run user:role -- <email> <role> [--remove]`: grants or removes a role on the configured
 * database. A granted role shows in access tokens from the user's next refresh; a removed one stops
 * working on every running instance within REVOCATION_PROPAGATION (see RevokedSessions).
 */
async function main(argv: string[]): Promise<number> {
  const remove = argv.includes('--remove');
  const [email, role, ...rest] = argv.filter((arg) => arg !== '--remove');
  if (!email || !role || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  if (!ROLE.test(role)) {
    console.error(`Invalid role "${role}": lower-case letters, digits, - and _, up to 32.`);
    return 2;
  }
  if (remove && role === 'user') {
    console.error('Every user has the role "user"; it cannot be removed.');
    return 2;
  }

  return withDatabase(true, async (dataSource) => {
    const changed = await changeUserRole(dataSource, email, role, remove);
    if (!changed) {
      console.error(`No user with the email ${email}.`);
      return 1;
    }
    console.log(`${changed.email}: roles ${changed.roles.join(', ')}`);
    return 0;
  });
}

exitWith(main(process.argv.slice(2)));
