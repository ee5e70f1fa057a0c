import { existsSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

/**
 * Shared tsup settings for every @lab package: ESM + CJS + .d.ts from src/index.ts, plus the package's CLI
 * (src/cli.ts → dist/cli.js, ESM only: the `bin` entry, which may use top-level await and import.meta) when
 * it has one.
 */
export function labTsup(overrides: Options = {}) {
  const common: Options = {
    sourcemap: true,
    target: 'node20',
    // Never bundle tfjs or sibling packages: tfjs-backend-wasm finds its .wasm files next to its own module,
    // and a user's tree must hold one copy of @lab/core (one tfjs engine).
    external: [/^@tensorflow\//, /^@lab\//, /^@huggingface\//, 'mnist', 'cli-progress', 'vega', 'vega-lite'],
  };
  const library: Options = {
    ...common,
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    // tsup 8 sets baseUrl for its dts pass, which TypeScript 6 rejects (TS5101) unless silenced; `paths: {}`
    // stops it inlining sibling packages' sources (tsconfig.base maps @lab/* for development).
    dts: { entry: 'src/index.ts', compilerOptions: { ignoreDeprecations: '6.0', paths: {} } },
    // The CLI build writes cli.js* beside the library at the same time: never clean those away.
    clean: ['**/*', '!cli.js', '!cli.js.map'],
    ...overrides,
  };
  if (!existsSync('src/cli.ts')) return defineConfig(library);
  return defineConfig([library, { ...common, entry: ['src/cli.ts'], format: ['esm'], dts: false, clean: false }]);
}
