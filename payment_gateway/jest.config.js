/** Component tests: the app and drain job in-process, real PostgreSQL and Redis, the emulator. */
module.exports = require('../test-support/jest-project')({
  name: 'payment_gateway',
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  tsconfig: '<rootDir>/test/tsconfig.json',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  checksResponses: true,
});
