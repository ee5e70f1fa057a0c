import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LabError, initBackend, tf, wasmThreads } from '@lab/core';
import { setPoolMinFlops } from '../src/wasm/simd.ts';
import { scaledError } from './helpers.ts';

// This file starts the threaded WASM build explicitly (the rest of the suite runs with LAB_WASM_THREADS=1,
// see tools/config/vitest.ts); each test file is its own process, so the count is free to choose here.

describe('multi-threaded WASM (tfjs threaded SIMD build in Node worker_threads)', () => {
  it('validates the thread count before starting anything', async () => {
    for (const threads of [0, 5, 1.5]) {
      await expect(initBackend('wasm', { threads })).rejects.toThrow(/threads: expected an integer from 1 to 4/);
    }
    const saved = process.env.LAB_WASM_THREADS;
    process.env.LAB_WASM_THREADS = 'many';
    try {
      await expect(initBackend('wasm')).rejects.toThrow(/LAB_WASM_THREADS: expected an integer from 1 to 4, got NaN/);
    } finally {
      process.env.LAB_WASM_THREADS = saved;
    }
  });

  it('starts with two threads and computes what cpu computes', async () => {
    expect(await initBackend('wasm', { threads: 2 })).toBe('wasm');
    expect(wasmThreads()).toBe(2);
    const run = () =>
      tf.tidy(() => {
        const a = tf.randomNormal([300, 200], 0, 1, 'float32', 1);
        const b = tf.randomNormal([200, 100], 0, 1, 'float32', 2);
        return [tf.matMul(a, b), tf.exp(tf.mul(a, 0.1)), tf.matMul(a, a, true, false)].map((t) => t.dataSync().slice());
      });
    const wasm = run();
    await initBackend('cpu');
    const cpu = run();
    await initBackend('wasm');
    cpu.forEach((c, i) => {
      const scale = Math.max(...Array.from(c, Math.abs));
      const diff = Math.max(...Array.from(c, (v, j) => Math.abs(v - wasm[i]![j]!)));
      expect(diff / scale).toBeLessThan(1e-5);
    });
  });

  it('products split over the worker pool give the bits one thread gives, and what cpu gives', async () => {
    await initBackend('wasm', { threads: 2 });
    // Large enough for the pool; ragged rows and columns; 2-D, batched, one b for all, Aᵀ·B in place and transposed first.
    const run = () =>
      tf.tidy(() =>
        [
          tf.matMul(tf.randomNormal([301, 257], 0, 1, 'float32', 5), tf.randomNormal([257, 131], 0, 1, 'float32', 6)),
          tf.matMul(tf.randomNormal([6, 61, 90], 0, 1, 'float32', 7), tf.randomNormal([6, 90, 75], 0, 1, 'float32', 8)),
          tf.matMul(
            tf.randomNormal([5, 90, 61], 0, 1, 'float32', 9),
            tf.randomNormal([90, 130], 0, 1, 'float32', 10),
            true,
            false,
          ),
          tf.matMul(
            tf.randomNormal([40, 1100], 0, 1, 'float32', 11),
            tf.randomNormal([40, 50], 0, 1, 'float32', 12),
            true,
            false,
          ),
        ].map((t) => t.dataSync().slice()),
      );
    const pooled = run();
    const previous = setPoolMinFlops(Infinity);
    let single: ReturnType<typeof run>;
    try {
      single = run();
    } finally {
      setPoolMinFlops(previous);
    }
    pooled.forEach((p, i) => expect(Array.from(p), `product ${i}`).toEqual(Array.from(single[i]!)));
    await initBackend('cpu');
    const cpu = run();
    await initBackend('wasm');
    cpu.forEach((c, i) => expect(scaledError(pooled[i]!, c), `product ${i}`).toBeLessThan(1e-5));
  });

  it('keeps its count: another explicit count throws, a default request keeps the running backend', async () => {
    await initBackend('wasm', { threads: 2 });
    await expect(initBackend('wasm', { threads: 1 })).rejects.toThrow(LabError);
    await expect(initBackend('wasm', { threads: 1 })).rejects.toThrow(/already runs with 2 thread\(s\)/);
    expect(await initBackend('wasm')).toBe('wasm');
    expect(wasmThreads()).toBe(2);
  });

  it('training is deterministic and leaks nothing with threads', async () => {
    await initBackend('wasm', { threads: 2 });
    const train = () => {
      const init = tf.randomNormal([64, 32], 0, 0.1, 'float32', 3);
      const w = tf.variable(init);
      init.dispose();
      const x = tf.randomNormal([256, 64], 0, 1, 'float32', 4);
      const losses: number[] = [];
      for (let step = 0; step < 20; step++) {
        const { value, grads } = tf.variableGrads(() => tf.tanh(tf.matMul(x, w)).square().mean() as tf.Scalar, [w]);
        tf.tidy(() => w.assign(tf.sub(w, tf.mul(grads[w.name]!, 0.5))));
        losses.push(value.dataSync()[0]!);
        tf.dispose([value, grads[w.name]!]);
      }
      tf.dispose([w, x]);
      return losses;
    };
    train(); // warm-up: first-use allocations
    const before = tf.memory().numTensors;
    const first = train();
    expect(tf.memory().numTensors).toBe(before);
    expect(train()).toEqual(first);
    expect(first[19]).toBeLessThan(first[0]!);
  });

  it('the op matrix and the kernel tests pass on the threaded build', () => {
    // A child vitest run with LAB_WASM_THREADS=2: every wasm-vs-cpu case of the matrix, on the shared-memory
    // build, with core's kernels built without relaxed SIMD (the rest of the suite uses the relaxed build).
    const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const out = execFileSync(
      process.execPath,
      [
        vitest,
        'run',
        'test/op-matrix.test.ts',
        'test/wasm-kernels.test.ts',
        'test/wasm-simd.test.ts',
        '--reporter=dot',
      ],
      {
        cwd,
        env: {
          ...process.env,
          LAB_WASM_THREADS: '2',
          LAB_WASM_RELAXED_SIMD: '0',
          CI: '',
          NO_COLOR: '1',
          FORCE_COLOR: '0',
        },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    expect(out).toMatch(/Test Files\s+3 passed/);
  }, 180_000);
});
