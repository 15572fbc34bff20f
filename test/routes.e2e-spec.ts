import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { TEST_DATA_DIR } from './support/test-app';

const run = promisify(execFile);

/**
 * Every route with its guard, public flag and roles. A diff in this snapshot is a permission
 * change: review it as one, then update the snapshot with `npm test -- -u test/routes`.
 */
describe('route permissions', () => {
  it('matches the reviewed table', async () => {
    const { stdout } = await run(
      process.execPath,
      [resolve(process.cwd(), 'dist/docs/routes.cli.js')],
      { env: { PATH: process.env.PATH, DATA_DIR: TEST_DATA_DIR, NODE_ENV: 'test' } },
    );
    expect(stdout).toMatchSnapshot();
  });
});
