/** Unit tests live beside the code; end-to-end suites under e2e/ run real engines and git. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.base.json', isolatedModules: true }] },
  moduleNameMapper: { '^@kubeflow-images/nx-plugin$': '<rootDir>/tools/nx-plugin/src/index.ts' },
  testMatch: ['<rootDir>/tools/**/*.spec.ts', '<rootDir>/e2e/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/tmp/'],
};
