// Mutation testing of the security-critical modules: `npm run test:mutation` (scripts/mutation.mjs),
// on Node 22, which Stryker 10 needs. Slow, so not part of CI; every file is held to 90%.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    'src/secrets/**/*.ts',
    'src/adapters/http/egress-policy.ts',
    'src/domain/validation.ts',
    'src/services/health-state.ts',
    'src/services/pagination.ts',
  ],
  testRunner: 'vitest',
  vitest: { configFile: 'test/mutation/vitest.config.ts', related: false },
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, reportScoreTable: true, reportMutants: true, reportTests: false },
  thresholds: { high: 90, low: 90, break: null },
  // Mutants that reload the whole test set are slow on a busy two-core machine; a timeout should
  // mean a mutant that hangs, not a slow minute.
  timeoutMS: 30_000,
  // Most static mutants are the egress policy's built-in ranges, run against every test on
  // purpose (test/mutation/setup.ts): the warning that they take most of the time says nothing new.
  warnings: { slow: false },
  ignorePatterns: ['dist', '.test-build', '.agentgw-data', 'bench/results', 'reports', 'coverage'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
