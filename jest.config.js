/**
 * Unit specs sit beside the code; end-to-end specs in test/ run the real app on real PostgreSQL.
 * NestJS 12 ships as ES modules, so the tests run as ES modules too (see the `test` script).
 */
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json', useESM: true }],
};
/** The library by its package name, from its sources, as tsconfig.json's `paths` map it. */
const moduleNameMapper = {
  '^@session-service/nestjs$': '<rootDir>/libs/session-auth/src/index.ts',
  '^@session-service/nestjs/internal$': '<rootDir>/libs/session-auth/src/internal.ts',
  '^@session-service/nestjs/resource-server$':
    '<rootDir>/libs/session-auth/src/resource-server/index.ts',
};
/**
 * test/library/fixture and test/library/resource-server-fixture are separate apps, installed and
 * compiled outside the repository by the specs beside them: neither their sources nor their
 * package.json are Jest's.
 */
const fixture = [
  '<rootDir>/test/library/fixture/',
  '<rootDir>/test/library/resource-server-fixture/',
];
const esm = {
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', ...fixture],
  modulePathIgnorePatterns: fixture,
};

module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  maxWorkers: 2,
  // A global option: Jest ignores testTimeout inside `projects`. E2e tests start real processes.
  testTimeout: 60000,
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: [
        '<rootDir>/src/**/*.spec.ts',
        '<rootDir>/libs/*/src/**/*.spec.ts',
        '<rootDir>/client/**/*.spec.ts',
      ],
      ...esm,
    },
    {
      displayName: 'e2e',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      ...esm,
    },
  ],
};
