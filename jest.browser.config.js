/**
 * Browser tests (`npm run test:browser`): playwright-core drives the system's Chromium
 * (/usr/bin/chromium, Debian's `chromium` package; no browser is ever downloaded) against the real
 * service, built with its demo page by test/browser/global-setup.js.
 */
module.exports = {
  rootDir: __dirname,
  globalSetup: '<rootDir>/test/browser/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json', useESM: true }] },
  maxWorkers: 2,
  testTimeout: 90000,
};
