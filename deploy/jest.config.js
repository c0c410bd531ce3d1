/** The run configuration: compose file, images, emulator init, environment variables. */
module.exports = {
  displayName: 'deploy',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }] },
  moduleNameMapper: { '^@marketplace/common$': '<rootDir>/../common/src/index.ts' },
};
