import { existsSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

/**
 * Shared tsup settings for every @lab package: ESM + CJS + .d.ts from src/index.ts, plus the
 * package's CLI (src/cli.ts → dist/cli.js, ESM, the `bin` entry) when it has one.
 */
export function labTsup(overrides: Options = {}) {
  const hasCli = existsSync('src/cli.ts');
  return defineConfig({
    entry: hasCli ? ['src/index.ts', 'src/cli.ts'] : ['src/index.ts'],
    format: ['esm', 'cjs'],
    // Types for the library entry only. tsup 8 sets baseUrl for its dts pass, which TypeScript 6 rejects
    // (TS5101) unless silenced; `paths: {}` stops it inlining @lab/core's source (tsconfig.base maps it for dev).
    dts: { entry: 'src/index.ts', compilerOptions: { ignoreDeprecations: '6.0', paths: {} } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    // Never bundle tfjs or sibling packages: tfjs-backend-wasm finds its .wasm files next to its own module,
    // and a user's tree must hold one copy of @lab/core (one tfjs engine).
    external: [/^@tensorflow\//, /^@lab\//, /^@huggingface\//, 'mnist', 'cli-progress'],
    ...overrides,
  });
}
