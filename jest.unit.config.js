/** `npm run test:unit`: the unit specs only, no services (what every pull request runs first). */
const base = require('./jest.config');

module.exports = {
  ...base,
  testPathIgnorePatterns: [...base.testPathIgnorePatterns, '<rootDir>/tools/e2e/', '\\.integration\\.spec\\.ts$'],
};
