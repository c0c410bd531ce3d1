/** Every service's component tests; `make test` runs this. */
module.exports = {
  projects: ['<rootDir>/ecommerce'],
};
