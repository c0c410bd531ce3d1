/** Every project's tests; `make test` runs this. */
module.exports = {
  projects: [
    '<rootDir>/ecommerce',
    '<rootDir>/payment_gateway',
    '<rootDir>/e2e',
    '<rootDir>/deploy',
  ],
  testTimeout: 30_000,
};
