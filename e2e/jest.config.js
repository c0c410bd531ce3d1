/** End to end: both services in one run, purchase -> SNS -> SQS -> BullMQ drain -> ledger. */
module.exports = require('../test-support/jest-project')({
  name: 'e2e',
  rootDir: __dirname,
  roots: ['<rootDir>'],
  tsconfig: '<rootDir>/tsconfig.json',
  globalSetup: '<rootDir>/support/global-setup.ts',
  globalTeardown: '<rootDir>/support/global-teardown.ts',
});
