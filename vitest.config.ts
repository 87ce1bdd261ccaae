import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'examples/**/*.test.ts'],
    exclude: ['test/reliability/**', '**/node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files in parallel, tests inside a file in order.
    pool: 'forks',
    maxWorkers: 2,
    env: { NO_COLOR: '1', FORCE_COLOR: '0' },
  },
});
