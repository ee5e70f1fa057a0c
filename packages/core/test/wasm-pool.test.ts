import { describe, expect, it, vi } from 'vitest';
import { KernelPool } from '../src/wasm/pool.ts';
import { KERNELS_SHARED } from '../src/wasm/simd-binary.ts';

// The pool on its own: one page of shared memory, the shared (no relaxed SIMD) kernels, one worker.
// Small integers keep every product exact, so the expected values are plain JS sums.
describe('KernelPool (worker threads over shared WASM memory)', () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const module = new WebAssembly.Module(Buffer.from(KERNELS_SHARED, 'base64'));
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as {
    lab_pack_b_f32(b: number, packed: number, k: number, n: number, batch: number): void;
    lab_matmul_f32(...args: number[]): void;
  };
  const f32 = new Float32Array(memory.buffer);
  const [M, K, N] = [8, 3, 11]; // two blocks of four rows: one per share
  const [A, B, PACKED, C, COUNTER] = [0, 256, 512, 1024, 2048]; // byte offsets
  for (let i = 0; i < M * K; i++) f32[A / 4 + i] = (i % 7) - 3;
  for (let i = 0; i < K * N; i++) f32[B / 4 + i] = (i % 5) - 2;
  kernels.lab_pack_b_f32(B, PACKED, K, N, 1);
  const expected = Array.from({ length: M * N }, (_, t) => {
    let sum = 0;
    for (let k = 0; k < K; k++) sum += f32[A / 4 + Math.floor(t / N) * K + k]! * f32[B / 4 + k * N + (t % N)]!;
    return sum;
  });

  /** Runs the product three times through `pool` (with the chunk counter at `counter`, or fixed shares for 0) and checks C each time. */
  const expectProducts = (pool: KernelPool, counter: number) => {
    for (let round = 0; round < 3; round++) {
      f32.fill(NaN, C / 4, C / 4 + M * N);
      if (counter !== 0) new Int32Array(memory.buffer, counter, 1)[0] = 0;
      pool.run('lab_matmul_f32', [A, B, PACKED, C, M, K, N, 1, 0, 0, counter], kernels.lab_matmul_f32);
      expect(Array.from(f32.subarray(C / 4, C / 4 + M * N))).toEqual(expected);
    }
  };

  it('runs every share of a job, one on the caller and one on the worker (fixed shares)', () => {
    const pool = new KernelPool(module, memory, ['lab_matmul_f32'], 1);
    try {
      expect(pool.parts).toBe(2);
      expectProducts(pool, 0);
    } finally {
      pool.close();
    }
  });

  it('hands out row blocks through a counter in the heap (every thread takes chunks until none are left)', () => {
    const pool = new KernelPool(module, memory, ['lab_matmul_f32'], 1);
    try {
      expectProducts(pool, COUNTER);
    } finally {
      pool.close();
    }
  });

  it('fails with a LabError instead of hanging when a worker dies (stall watchdog)', async () => {
    const pool = new KernelPool(module, memory, ['lab_matmul_f32'], 1);
    const previous = process.env.LAB_WASM_POOL_STALL_MS;
    try {
      expectProducts(pool, 0); // the worker started and works
      await (pool as unknown as { workers: { terminate(): Promise<number> }[] }).workers[0]!.terminate();
      process.env.LAB_WASM_POOL_STALL_MS = '300';
      const started = performance.now();
      expect(() => pool.run('lab_matmul_f32', [A, B, PACKED, C, M, K, N, 1, 0, 0, 0], kernels.lab_matmul_f32)).toThrow(
        /1 kernel worker thread\(s\) did not finish lab_matmul_f32 .* LAB_WASM_THREADS=1/,
      );
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(pool.parts).toBe(1); // closed: later jobs run on the calling thread
      expectProducts(pool, 0);
    } finally {
      if (previous === undefined) delete process.env.LAB_WASM_POOL_STALL_MS;
      else process.env.LAB_WASM_POOL_STALL_MS = previous;
      pool.close();
    }
  });

  it('reports a share that failed on a worker, and keeps working afterwards', () => {
    const pool = new KernelPool(module, memory, ['lab_matmul_f32'], 1);
    try {
      // Fixed shares (no counter), C placed so that the caller's rows (0–3) fit in the page and the worker's rows (4–7) do not.
      const edge = memory.buffer.byteLength - 4 * N * 4;
      expect(() =>
        pool.run('lab_matmul_f32', [A, B, PACKED, edge, M, K, N, 1, 0, 0, 0], kernels.lab_matmul_f32),
      ).toThrow(/a worker failed while running lab_matmul_f32/);
      expect(() => pool.run('lab_exp_f32', [0, 0, 4], kernels.lab_matmul_f32)).toThrow(/cannot run lab_exp_f32/);
      expectProducts(pool, 0);
    } finally {
      pool.close();
    }
  });

  it('falls back to the calling thread, with one warning, when its workers cannot start', () => {
    // A module the workers cannot instantiate (it imports a function they do not provide): none reports ready.
    const needsImport = new WebAssembly.Module(
      new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 7, 1, 1, 109, 1, 102, 0, 0]),
    );
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const pool = new KernelPool(needsImport, memory, ['lab_matmul_f32'], 1, 300);
    try {
      expectProducts(pool, 0);
      expect(pool.parts).toBe(1);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(
        /1 of 1 kernel worker threads did not start \(.*Import.*\); running on one thread/i,
      );
    } finally {
      warn.mockRestore();
      pool.close();
    }
  });
});
