/**
 * Registers the WASM kernels and gradients stock tfjs lacks, and the WASM fast paths.
 * Idempotent: safe to call on every initBackend().
 */
export function registerWasmCompletions(): void {
  // Filled in by the WASM completion work (issue: @lab/core WASM completion).
}
