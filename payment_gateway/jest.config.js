/** Component tests: the real app in-process, real PostgreSQL, the SNS/SQS emulator over HTTP. */
module.exports = {
  displayName: 'payment_gateway',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // isolatedModules (tsconfig) makes this transpile-only: `make typecheck` checks types once.
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }],
  },
  moduleNameMapper: { '^@marketplace/common$': '<rootDir>/../common/src/index.ts' },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
