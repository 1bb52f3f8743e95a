/**
 * Two tiers, one run. `unit` suites (`*.unit.test.ts`) need no Temporal server, database, registry or Docker,
 * so `npm run test:unit` answers in seconds; every other `*.test.ts` is `integration` and shares the one real
 * stack that globalSetup starts. A suite joins the fast tier only by its name, so nothing slips into it
 * that needs the stack.
 */
const transform = { '^.+\\.ts$': ['@swc/jest'] };

module.exports = {
  testSequencer: '<rootDir>/test/suite-order.js',
  testTimeout: 300000,
  // After the last suite and the teardown a MessagePort opened by a library stays referenced (the inspector's
  // process._getActiveHandles() shows nothing else), and jest would wait on it forever; the run's servers and
  // workers are already stopped by then.
  forceExit: true,
  verbose: true,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.unit.test.ts'],
      transform,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['\\.unit\\.test\\.ts$'],
      transform,
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
