/** Component tests: the real app in-process, real PostgreSQL, the SNS/SQS emulator over HTTP. */
module.exports = require('../test-support/jest-project')({
  name: 'ecommerce',
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  tsconfig: '<rootDir>/test/tsconfig.json',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  checksResponses: true,
});
