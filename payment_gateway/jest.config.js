/** Component tests: the real app in-process, real PostgreSQL, the SNS/SQS emulator over HTTP. */
module.exports = {
  displayName: 'payment_gateway',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Transpile only: `make typecheck` type-checks sources and tests once, up front.
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json', isolatedModules: true }],
  },
  moduleNameMapper: { '^@marketplace/common$': '<rootDir>/../common/src/index.ts' },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
