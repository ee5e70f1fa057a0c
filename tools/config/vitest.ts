import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const coreSource = fileURLToPath(new URL('../../packages/core/src/index.ts', import.meta.url));

/**
 * Shared vitest settings: unit tests in test/, benchmarks in bench/, one forked process per file
 * (each file gets its own WASM heap and tfjs engine). Tests import @lab/core from source, so a
 * method's tests never wait for (or race with) a core build.
 */
export const labVitest = defineConfig({
  resolve: { alias: { '@lab/core': coreSource } },
  test: {
    include: ['test/**/*.test.ts'],
    benchmark: { include: ['bench/**/*.bench.ts'] },
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // CI also writes a JSON report; tools/scripts/test-summary.mjs sums them into one "N passed, N failed" line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.vitest-report.json' },
  },
});
