import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('../../packages/', import.meta.url));
const benchmarking = process.argv.includes('bench');

/**
 * Shared vitest settings: unit tests in test/, benchmarks in bench/, one forked process per file
 * (each file gets its own WASM heap and tfjs engine). Tests import every `@lab/<name>` package from
 * source, so they never wait for (or race with) a build, and README examples can import the package
 * they document.
 */
export const labVitest = defineConfig({
  resolve: { alias: [{ find: /^@lab\/([a-z0-9-]+)$/, replacement: `${packagesDir}$1/src/index.ts` }] },
  test: {
    include: ['test/**/*.test.ts'],
    benchmark: { include: ['bench/**/*.bench.ts'] },
    pool: 'forks',
    // Test files run in parallel forks; one XNNPACK thread each keeps them from fighting over the cores.
    // test/wasm-threads.test.ts in @lab/core covers the threaded build (and reruns the op matrix on it).
    // Benchmarks (`vitest bench`, one file at a time) keep the default: the user's thread count.
    env: benchmarking ? {} : { LAB_WASM_THREADS: process.env.LAB_WASM_THREADS ?? '1' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // CI also writes a JSON report; tools/scripts/test-summary.mjs sums them into one "N passed, N failed" line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: '.vitest-report.json' },
  },
});
