/** Every project's component tests; `make test` runs this. */
module.exports = {
  projects: ['<rootDir>/ecommerce', '<rootDir>/payment_gateway'],
  testTimeout: 30_000,
};
