import { bench, describe } from 'vitest';
import { initBackend, tf } from '@lab/core';
import { type Workload, type WorkloadId, missingKernels, workloads } from './workloads.ts';

/**
 * Issue #3's reference workloads W1–W4, one training step per iteration (vitest prints ms/step as
 * "mean"). The backend is chosen with LAB_BENCH_BACKEND:
 *   wasm (default)  the completed WASM backend (initBackend('wasm'): our kernels and fast paths)
 *   wasm-stock      stock tfjs-backend-wasm 4.22 without our kernels (W2 and W3 cannot train there)
 *   cpu             the stock pure-JS backend (slow: few iterations)
 * LAB_BENCH_ONLY=W1,W3 restricts the set. PyTorch twins: tools/reference/workloads.py.
 * Numbers for docs/benchmarks.md come from tools/reference/compare.sh, which runs both sides.
 */
const mode = (process.env.LAB_BENCH_BACKEND ?? 'wasm') as 'wasm' | 'wasm-stock' | 'cpu';
const only = (process.env.LAB_BENCH_ONLY ?? 'W1,W2,W3,W4').split(',') as WorkloadId[];
// Steps per workload: the short ones get more (the build machine's speed drifts; compare.sh prints medians).
const iterations = (id: WorkloadId) => (mode === 'cpu' ? 2 : id === 'W1' || id === 'W3' ? 10 : 5);
const warmupIterations = mode === 'cpu' ? 0 : 1;

if (mode === 'wasm') await initBackend('wasm');
else {
  await tf.setBackend(mode === 'cpu' ? 'cpu' : 'wasm');
  await tf.ready();
}

describe(`reference workloads on ${mode}`, () => {
  for (const id of only) {
    const missing = missingKernels(id);
    if (missing.length > 0) {
      // Stock WASM cannot train W2 (no Conv2DBackpropFilter), W3 and W4 (gather has no gradient).
      console.log(`[lab-bench] ${id} ${mode} cannot train: missing kernel ${missing.join(', ')}`);
      continue;
    }
    let w: Workload | undefined;
    const cpuMs: number[] = [];
    bench(
      `${id} (${mode})`,
      () => {
        const c0 = process.cpuUsage();
        w!.step();
        const c = process.cpuUsage(c0);
        cpuMs.push((c.user + c.system) / 1000);
      },
      {
        iterations: iterations(id),
        warmupIterations,
        time: 0,
        setup: () => {
          w = workloads[id]();
        },
        teardown: () => {
          w?.dispose();
          w = undefined;
          // CPU time is robust to a loaded machine in a way wall time is not (single-threaded backends).
          const sorted = cpuMs.slice().sort((a, b) => a - b);
          if (sorted.length > 0)
            console.log(
              `[lab-bench] ${id} ${mode} cpu-median-ms ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} steps ${sorted.length}`,
            );
          cpuMs.length = 0;
        },
      },
    );
  }
});
