/** The run configuration: compose file, images, emulator init, environment variables. */
module.exports = require('../test-support/jest-project')({
  name: 'deploy',
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  tsconfig: '<rootDir>/test/tsconfig.json',
});
