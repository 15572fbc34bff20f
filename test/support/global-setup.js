/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * Gives every test file a PostgreSQL server: the one named by DATABASE_URL, or an embedded one
 * started here for the run, so that `npm test` needs no database server on the machine. With
 * DATABASE_DIRECT_URL too, DATABASE_URL is a transaction pooler in front of that server.
 */
const { execFileSync } = require('node:child_process');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async function globalSetup() {
  // The e2e tests run the built service and library, so build them first (a few seconds with tsc).
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'tsconfig.build.json'], {
    cwd: join(__dirname, '../..'),
    stdio: 'inherit',
  });
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
    // DATABASE_URL at a transaction pooler, DATABASE_DIRECT_URL past it: see test-database.ts.
    // Taken out of the environment, so that a command a test runs with the runner's environment
    // never migrates this database instead of the test's own.
    if (process.env.DATABASE_DIRECT_URL) {
      process.env.TEST_DATABASE_DIRECT_URL = process.env.DATABASE_DIRECT_URL;
      delete process.env.DATABASE_DIRECT_URL;
    }
    return;
  }
  require('ts-node').register({ transpileOnly: true, project: join(__dirname, '../../tsconfig.json') });
  require('@nestjs/common').Logger.overrideLogger(['error', 'warn']);
  const { EmbeddedPostgres } = require('../../src/database/embedded-postgres');
  const dataDir = mkdtempSync(join(tmpdir(), 'session-service-test-'));
  const embedded = await EmbeddedPostgres.start(dataDir);
  globalThis.__EMBEDDED_POSTGRES__ = { embedded, dataDir };
  process.env.TEST_DATABASE_URL = embedded.url;
};
