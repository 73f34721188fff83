/** Unit tests live beside the code; tools/e2e holds the suites that drive the real Nx CLI, git and engines. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.base.json' }] },
  moduleNameMapper: {
    '^@kubeflow-images/nx-plugin$': '<rootDir>/tools/nx-plugin/src/index.ts',
    // The one way tools outside the plugin reach its library (tsconfig.base.json `paths`).
    '^@kubeflow-images/plugin-lib/(.*)$': '<rootDir>/tools/nx-plugin/src/lib/$1',
  },
  testMatch: ['<rootDir>/tools/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/dist/', '<rootDir>/tmp/'],
  // On 2 cores jest runs the suites in its own process, where Nx's plugin workers (from in-process graph
  // creation) and kept-alive registry connections can outlive the last suite and keep it from exiting.
  forceExit: true,
};
