import { bench, describe } from 'vitest';
import { initBackend, tf } from '@lab/core';
import { type WorkloadId, workloads } from './workloads.ts';

/**
 * Where a workload step spends its time on WASM: every kernel registered on 'wasm' is wrapped with a
 * timer (top-level calls only: kernels that call other kernels are charged once), and the table lists
 * ms per step by kernel, or by kernel and input shapes with LAB_PROFILE_SHAPES=1. Opt-in, since it is a
 * diagnosis, not a benchmark:
 *   LAB_PROFILE=1 LAB_BENCH_ONLY=W4 npx vitest bench --run bench/kernel-profile.bench.ts
 */
const enabled = process.env.LAB_PROFILE === '1';
const only = (process.env.LAB_BENCH_ONLY ?? 'W1,W2,W3,W4').split(',') as WorkloadId[];
const byShape = process.env.LAB_PROFILE_SHAPES === '1';
const LAB_MARK = Symbol.for('@lab/core/wasm-kernel');

const spent = new Map<string, { ms: number; calls: number }>();

function instrumentWasmKernels(): void {
  let depth = 0;
  for (const config of tf.getKernelsForBackend('wasm')) {
    const inner = config.kernelFunc;
    const timed = ((args: Parameters<tf.KernelFunc>[0]) => {
      if (depth > 0) return inner(args);
      depth++;
      const t0 = performance.now();
      try {
        return inner(args);
      } finally {
        depth--;
        const shapes = byShape
          ? ' ' +
            Object.values(args.inputs)
              .map((t) => `[${(t as tf.TensorInfo).shape.join(',')}]`)
              .join('')
          : '';
        const key = config.kernelName + shapes;
        const entry = spent.get(key) ?? { ms: 0, calls: 0 };
        entry.ms += performance.now() - t0;
        entry.calls++;
        spent.set(key, entry);
      }
    }) as tf.KernelFunc;
    // Keep @lab/core's marker so that its kernels still find the stock ones they wrap.
    (timed as unknown as Record<symbol, unknown>)[LAB_MARK] = (inner as unknown as Record<symbol, unknown>)[LAB_MARK];
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: timed });
  }
}

if (enabled) {
  await initBackend('wasm');
  instrumentWasmKernels();
}

describe.skipIf(!enabled)('per-kernel profile of the reference workloads on wasm', () => {
  for (const id of only) {
    bench(
      id,
      () => {
        const w = workloads[id]();
        w.step();
        spent.clear();
        const steps = 3;
        const t0 = performance.now();
        for (let i = 0; i < steps; i++) w.step();
        const total = (performance.now() - t0) / steps;
        w.dispose();
        const rows = [...spent.entries()].sort((a, b) => b[1].ms - a[1].ms);
        const inKernels = rows.reduce((acc, [, e]) => acc + e.ms, 0) / steps;
        console.log(
          `[lab-profile] ${id}: ${total.toFixed(1)} ms/step, ${inKernels.toFixed(1)} in kernels, ${(total - inKernels).toFixed(1)} outside`,
        );
        for (const [name, e] of rows.slice(0, 20))
          console.log(
            `[lab-profile] ${(e.ms / steps).toFixed(1).padStart(8)} ms ${String(e.calls / steps).padStart(5)}×  ${name}`,
          );
      },
      { iterations: 1, warmupIterations: 0, time: 0 },
    );
  }
});
