/**
 * `npm run test:reliability`: the reliability battery (fault proxy, PostgreSQL restarts under
 * load, concurrent daemon starts, conflicting mutations, the egress corpus, the secret canary).
 * Scenarios run one at a time: each one loads the two cores on purpose, and their figures must
 * not depend on what else happens to be running.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/reliability/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    env: { NO_COLOR: '1', FORCE_COLOR: '0' },
  },
});
