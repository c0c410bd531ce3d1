/**
 * The fault suite (`make test-faults`): real processes, injected faults, zero drift. Not in the
 * root projects, so `make unit` stays fast; run in band, one scenario at a time.
 */
module.exports = {
  ...require('../test-support/jest-project')({
    name: 'faults',
    rootDir: __dirname,
    roots: ['<rootDir>'],
    tsconfig: '<rootDir>/tsconfig.json',
    globalSetup: '<rootDir>/support/global-setup.ts',
    globalTeardown: '<rootDir>/support/global-teardown.ts',
  }),
  // The gateway-database outage alone lasts 10 minutes by default.
  testTimeout: 20 * 60_000,
};
