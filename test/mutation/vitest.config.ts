import { defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against each mutant (`npm run test:mutation`): the unit tests of the
 * mutated modules only. They need no database and no built CLI, so there is no global setup, and
 * they run on the Node 22 that Stryker needs, where the better-sqlite3 addon (built for Node 20)
 * would not load.
 */
export default defineConfig({
  test: {
    include: [
      'test/unit/secrets/**/*.test.ts',
      'test/unit/http/egress-policy.test.ts',
      'test/unit/domain/validation.test.ts',
      'test/unit/domain/bounded-input.test.ts',
      'test/unit/services/health-state.test.ts',
      'test/unit/services/pagination.test.ts',
    ],
    setupFiles: ['test/mutation/setup.ts'],
    testTimeout: 30_000,
    env: { NO_COLOR: '1', FORCE_COLOR: '0' },
  },
});
