import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * The library as a user meets it: `npm run pack:lib` writes one tarball, which installs into a
 * folder outside this repository with npm alone and exposes exactly its entry points.
 */
describe('the library package (@session-service/nestjs)', () => {
  const app = mkdtempSync(join(tmpdir(), 'session-auth-consumer-'));
  let tarball: string;

  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it('npm run pack:lib writes one tarball to dist/pack/ and prints its path last', () => {
    const output = execFileSync(npm, ['run', '-s', 'pack:lib'], { encoding: 'utf8' });
    tarball = output.trim().split('\n').pop()!;
    expect(existsSync(tarball)).toBe(true);
    expect(basename(dirname(tarball))).toBe('pack');
    expect(readdirSync(dirname(tarball)).filter((name) => name.endsWith('.tgz'))).toEqual([
      basename(tarball),
    ]);
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files.filter((file) => /\.spec\.|\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual(
      [],
    );
  });

  // The package's peers (Nest, TypeORM, pg) come with it: npm installs them, from its cache here.
  it('installs into a fresh project with npm alone and resolves only its entry points', () => {
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    execFileSync(npm, ['install', '--no-audit', '--no-fund', tarball], { cwd: app, stdio: 'pipe' });
    const probe = `
      const library = require('@session-service/nestjs');
      const { parseDuration } = require('@session-service/nestjs/internal');
      let hidden = 'resolved';
      try { require('@session-service/nestjs/dist/core/duration'); }
      catch (error) { hidden = error.code; }
      console.log(JSON.stringify({
        version: require('@session-service/nestjs/package.json').version,
        exports: typeof library,
        fifteenMinutes: parseDuration('15m'),
        entities: library.SESSION_AUTH_ENTITIES.map((entity) => entity.name),
        migrations: library.SESSION_AUTH_MIGRATIONS.map((migration) => migration.name),
        hidden,
        location: require.resolve('@session-service/nestjs'),
      }));`;
    const result = JSON.parse(
      execFileSync(process.execPath, ['-e', probe], { cwd: app, encoding: 'utf8' }),
    );
    expect(result).toEqual({
      version: '0.1.0',
      exports: 'object',
      fifteenMinutes: 900_000,
      // What a host passes to its DataSource; deployed databases have these migration names recorded.
      entities: ['User', 'SecurityEvent', 'Session', 'RefreshToken', 'LoginFailure'],
      migrations: [
        'InitialSchema1764086400000',
        'RolesChangedAt1765000000000',
        'LoginFailures1796536800000',
      ],
      hidden: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      location: join(app, 'node_modules/@session-service/nestjs/dist/index.js'),
    });
  });
});
