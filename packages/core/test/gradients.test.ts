import { describe, expect, it } from 'vitest';
import { gradCheck, initBackend, registerWasmCompletions, tf } from '@lab/core';
import { missingGradients, replacedGradients, wrappedGradients } from '../src/gradients/register.ts';
import { onCpuAndWasm, scaledError } from './helpers.js';

// One describe per file of src/gradients/: each gradient against central finite differences (gradCheck),
// on cpu and on wasm.

const seeded = (seed: number, shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', seed);
/** An int32 index tensor (typed 1-D for the segment ops' signatures; rank-2 index tuples work the same). */
function ids(values: number[][] | number[], shape: number[]): tf.Tensor1D {
  const t: tf.Tensor = tf.tensor(values, shape, 'int32');
  return t as tf.Tensor1D;
}

/** gradCheck of `f` at `inputs` on both backends (tensors made inside, on the backend under test). */
function checkOnBothBackends(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: () => tf.Tensor[]) {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`matches finite differences (${backend})`, async () => {
      await initBackend(backend);
      const xs = inputs();
      const { maxError, checked } = gradCheck(f, xs);
      tf.dispose(xs);
      expect(checked).toBeGreaterThan(0);
      expect(maxError).toBeLessThan(1e-2);
    });
  }
}

describe('strided-slice-grad', () => {
  checkOnBothBackends(
    (x) => tf.stridedSlice(x, [0, 1], [5, 6], [2, 2]).square().sum(),
    () => [seeded(1, [5, 6])],
  );
});

describe('gather-nd-grad (repeated index tuples add up)', () => {
  checkOnBothBackends(
    (x) =>
      tf
        .gatherND(
          x,
          ids(
            [
              [1, 2],
              [1, 2],
              [4, 0],
            ],
            [3, 2],
          ),
        )
        .square()
        .sum(),
    () => [seeded(2, [5, 6])],
  );
});

describe('scatter-nd-grad', () => {
  checkOnBothBackends(
    (u) =>
      tf
        .scatterND(ids([[0], [3], [0]], [3, 1]), u, [5, 4])
        .square()
        .sum(),
    () => [seeded(3, [3, 4])],
  );
});

describe('top-k-grad', () => {
  checkOnBothBackends(
    (x) => tf.topk(x, 2).values.square().sum(),
    () => [seeded(4, [3, 7])],
  );
});

describe('sparse-segment-sum-grad', () => {
  // Stock tfjs-backend-wasm has no SparseSegmentSum kernel: the gradient is checked on cpu.
  it('matches finite differences (cpu)', async () => {
    await initBackend('cpu');
    const data = seeded(5, [4, 3]);
    const { maxError } = gradCheck(
      (d) =>
        tf.sparse
          .sparseSegmentSum(d, ids([0, 2, 2, 3], [4]), ids([0, 0, 1, 1], [4]))
          .square()
          .sum(),
      [data],
    );
    data.dispose();
    expect(maxError).toBeLessThan(1e-2);
  });
});

describe('einsum-grad', () => {
  checkOnBothBackends(
    (a, b) => tf.einsum('bij,bjk->bik', a, b).square().sum(),
    () => [seeded(6, [2, 3, 4]), seeded(7, [2, 4, 2])],
  );
  // 'j' of the second operand appears nowhere else: its gradient is broadcast along it.
  checkOnBothBackends(
    (a, b) => tf.einsum('ij,jk->i', a, b).square().sum(),
    () => [seeded(8, [3, 4]), seeded(9, [4, 2])],
  );
});

describe('piecewise-constant-grads', () => {
  it('comparisons and logical ops pass a zero gradient (where(cond(x), …) backprops)', async () => {
    await initBackend('wasm');
    const x = tf.tensor1d([-2, -0.5, 0.5, 2]);
    const y = tf.tensor1d([0, -0.5, 1, 1]);
    const conditions: ((u: tf.Tensor) => tf.Tensor)[] = [
      (u) => tf.equal(u, y),
      (u) => tf.notEqual(u, y),
      (u) => tf.greater(u, y),
      (u) => tf.less(u, y),
      (u) => tf.lessEqual(u, y),
      (u) => tf.logicalAnd(tf.greater(u, 0), tf.less(u, y)),
      (u) => tf.logicalOr(tf.greater(u, 1), tf.less(u, -1)),
      (u) => tf.logicalNot(tf.greater(u, 0)),
    ];
    for (const cond of conditions) {
      const g = tf.grad((u: tf.Tensor) => tf.where(cond(u), u.mul(3), u).sum())(x);
      const want = cond(x).dataSync();
      expect(Array.from(g.dataSync())).toEqual(Array.from(want, (c) => (c ? 3 : 1)));
      g.dispose();
    }
    tf.dispose([x, y]);
  });
});

describe('unsorted-segment-sum-grad', () => {
  checkOnBothBackends(
    (x) =>
      tf
        .unsortedSegmentSum(x, ids([2, 0, 2, 1, 0], [5]), 4)
        .square()
        .sum(),
    () => [seeded(10, [5, 3])],
  );
});

describe('broadcast-grads', () => {
  it('BatchMatMul, Maximum, Minimum and SquaredDifference gradients have their inputs’ shapes (cpu = wasm)', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const a = seeded(11, [2, 3, 4]);
      const b = seeded(12, [4, 5]);
      const c = seeded(13, [3, 5]);
      const d = seeded(14, [5]);
      return [
        ...tf.grads((u: tf.Tensor, v: tf.Tensor) => tf.matMul(u, v).square().sum())([a, b]),
        ...tf.grads((u: tf.Tensor, v: tf.Tensor) => tf.maximum(u, v).square().sum())([c, d]),
        ...tf.grads((u: tf.Tensor, v: tf.Tensor) => tf.minimum(u, v).square().sum())([c, d]),
        ...tf.grads((u: tf.Tensor, v: tf.Tensor) => tf.squaredDifference(u, v).sum())([c, d]),
      ];
    });
    expect(cpu.map((g) => g.length)).toEqual([24, 20, 15, 5, 15, 5, 15, 5]);
    cpu.forEach((g, i) => expect(scaledError(wasm[i]!, g)).toBeLessThan(1e-5));
  });
  checkOnBothBackends(
    (u, v) => tf.maximum(u, v).square().sum(),
    () => [seeded(15, [3, 5]), seeded(16, [5])],
  );
});

describe('register', () => {
  it('registers every listed gradient once; registering again changes nothing', async () => {
    await initBackend('wasm');
    const names = [...missingGradients.map((g) => g.kernelName), ...replacedGradients.map((g) => g.kernelName)];
    const all = [...names, ...wrappedGradients];
    const before = all.map((name) => tf.getGradient(name));
    before.forEach((g, i) => expect(g, all[i]).toBeDefined());
    for (const g of replacedGradients) expect(tf.getGradient(g.kernelName)!.gradFunc).toBe(g.gradFunc);
    registerWasmCompletions();
    registerWasmCompletions();
    all.forEach((name, i) => expect(tf.getGradient(name), name).toBe(before[i]));
  });
});
