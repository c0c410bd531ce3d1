/**
 * The Jest settings every project shares: TypeScript through ts-jest (transpile-only, since
 * isolatedModules is set in each test tsconfig; `make typecheck` checks types), and
 * @marketplace/common from source so tests need no build. `checksResponses`: every supertest
 * response is held to the app's own OpenAPI document (openapi-contract.ts).
 */
module.exports = function jestProject({
  name,
  rootDir,
  roots,
  tsconfig,
  globalSetup,
  globalTeardown,
  checksResponses = false,
}) {
  return {
    displayName: name,
    rootDir,
    testEnvironment: 'node',
    roots,
    testMatch: ['**/*.test.ts'],
    transform: { '^.+\\.ts$': ['ts-jest', { tsconfig }] },
    moduleNameMapper: { '^@marketplace/common$': '<rootDir>/../common/src/index.ts' },
    ...(globalSetup ? { globalSetup, globalTeardown } : {}),
    ...(checksResponses
      ? { setupFilesAfterEnv: ['<rootDir>/../test-support/openapi-contract-setup.ts'] }
      : {}),
  };
};
