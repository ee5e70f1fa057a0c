import { defineConfig } from 'vitest/config';

/** Tests of the workspace scripts; the scaffolder test builds a whole package, hence the long timeout. */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 300_000,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.vitest-report.json' },
  },
});
