import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@lab/core';
import { onCpuAndWasm, scaledError } from './helpers.js';

const seeded = (seed: number, shape: number[], std = 1) => tf.randomNormal(shape, 0, std, 'float32', seed);

describe('WASM SIMD kernels (src/wasm/simd.ts, native/kernels.c)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('exp and tanh agree with float64 Math within a few ulp, odd lengths included, and keep NaN and ±Inf', () => {
    const n = 100_003; // not a multiple of 4: the padded tail runs too
    const xs = new Float32Array(n);
    for (let i = 0; i < n; i++) xs[i] = -100 + (200 * i) / (n - 1);
    const x = tf.tensor1d(xs);
    const [e, t] = [tf.exp(x).dataSync(), tf.tanh(x).dataSync()];
    let expErr = 0;
    let tanhErr = 0;
    for (let i = 0; i < n; i++) {
      const ref = Math.fround(Math.exp(xs[i]!));
      if (Number.isFinite(ref) && ref > 1e-37) expErr = Math.max(expErr, Math.abs(e[i]! - ref) / ref);
      if (!Number.isFinite(ref)) expect(e[i]).toBe(ref);
      const tr = Math.tanh(xs[i]!);
      tanhErr = Math.max(tanhErr, Math.abs(t[i]! - tr) / Math.max(Math.abs(tr), 1e-30));
    }
    expect(expErr).toBeLessThan(5e-7);
    expect(tanhErr).toBeLessThan(5e-7);
    const special = tf.tensor1d([NaN, Infinity, -Infinity, 1e-6, -1e-6, 0]);
    expect(Array.from(tf.exp(special).dataSync())).toEqual([
      NaN,
      Infinity,
      0,
      Math.fround(Math.exp(1e-6)),
      Math.fround(Math.exp(-1e-6)),
      1,
    ]);
    const th = Array.from(tf.tanh(special).dataSync());
    expect(th.slice(0, 3)).toEqual([NaN, 1, -1]);
    expect(th[3]).toBeCloseTo(1e-6, 12);
    tf.dispose([x, special]);
  });

  it('log, sqrt and rsqrt agree with float64 Math (log within a few ulp, over subnormals to the largest float) and keep the special values', () => {
    const n = 100_003;
    const xs = new Float32Array(n);
    for (let i = 0; i < n; i++) xs[i] = Math.fround(Math.exp(-103 + (191 * i) / (n - 1))); // 1e-45 … 3.4e38, subnormals included
    const x = tf.tensor1d(xs);
    const [l, q, r] = [tf.log(x).dataSync(), tf.sqrt(x).dataSync(), tf.rsqrt(x).dataSync()];
    let logErr = 0;
    for (let i = 0; i < n; i++) {
      const ref = Math.log(xs[i]!);
      logErr = Math.max(logErr, Math.abs(l[i]! - ref) / Math.max(Math.abs(ref), 1));
      expect(q[i]).toBe(Math.fround(Math.sqrt(xs[i]!))); // IEEE square root: exact
      expect(Math.abs(r[i]! - 1 / Math.sqrt(xs[i]!)) * Math.sqrt(xs[i]!)).toBeLessThan(2.5e-7);
    }
    expect(logErr).toBeLessThan(3e-7);
    const special = tf.tensor1d([NaN, Infinity, 0, -0, -1, 1]);
    expect(Array.from(tf.log(special).dataSync())).toEqual([NaN, Infinity, -Infinity, -Infinity, NaN, 0]);
    expect(Array.from(tf.sqrt(special).dataSync())).toEqual([NaN, Infinity, 0, -0, NaN, 1]);
    expect(Array.from(tf.rsqrt(special).dataSync())).toEqual([NaN, 0, Infinity, -Infinity, NaN, 1]);
    tf.dispose([x, special]);
  });

  it('maximum, minimum and comparisons (full, scalar and row operands, ragged lengths, NaN) and select match cpu exactly', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const a = tf
        .concat([seeded(140, [37]), tf.tensor1d([NaN, 0, -0, Infinity])])
        .reshape([1, 41])
        .tile([3, 1]); // [3, 41]
      const b = tf.round(tf.mul(seeded(141, [3, 41]), 2)); // ties with a where a rounds the same
      const row = seeded(142, [41]);
      const s = tf.scalar(0.25);
      const col = seeded(143, [3, 1]); // a column: stock broadcast path
      const out: tf.Tensor[] = [];
      for (const [x, y] of [
        [a, b],
        [a, s],
        [s, a],
        [a, row],
        [row, a],
        [b, b],
        [a, col],
      ] as const) {
        out.push(tf.maximum(x, y), tf.minimum(x, y));
        for (const cmp of [tf.greater, tf.greaterEqual, tf.less, tf.lessEqual, tf.equal, tf.notEqual])
          out.push(tf.cast(cmp(x, y), 'float32'));
      }
      const c = tf.greater(a, b);
      out.push(
        tf.where(c, a, b),
        tf.where(c, tf.cast(b, 'int32'), tf.cast(tf.neg(b), 'int32')).cast('float32'),
        tf.where(tf.greater(row, 0), row, s),
      );
      out.push(tf.cast(tf.equal(tf.tensor1d([1, 2, 3], 'int32'), tf.scalar(2, 'int32')), 'float32')); // int32: stock
      return out;
    });
    expect(wasm.map((w) => Array.from(w))).toEqual(cpu.map((c) => Array.from(c)));
  });

  it('transposes (2-D, batched last-two swap, odd sizes, int32) match cpu', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => [
      tf.transpose(seeded(1, [37, 45])),
      tf.transpose(seeded(2, [3, 33, 5]), [0, 2, 1]),
      tf.transpose(seeded(3, [2, 3, 64, 17]), [0, 1, 3, 2]),
      tf.transpose(tf.range(0, 6 * 7, 1, 'int32').reshape([6, 7])).cast('float32'),
      tf.transpose(seeded(4, [2, 5, 3, 4, 6]), [2, 0, 3, 1, 4]), // attention's head split: rows kept
      tf.transpose(seeded(5, [3, 2, 4, 5, 6]), [1, 3, 0, 2, 4]),
      tf.transpose(seeded(6, [4, 3, 5]), [1, 0, 2]),
    ]);
    cpu.forEach((c, i) => expect(Array.from(wasm[i]!)).toEqual(Array.from(c)));
  });

  it('gather rows, segment sums and sums over leading axes match cpu (rows of 66: SIMD body and tail)', async () => {
    // Small enough for tfjs's cpu UnsortedSegmentSum, which is O(segments × rows × width).
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const h = seeded(4, [100, 66]);
      const ids = tf.randomUniform([500], 0, 100, 'int32', 5);
      const msgs = tf.gather(h, ids); // [500, 66]
      return [
        msgs,
        tf.unsortedSegmentSum(msgs, ids as tf.Tensor1D, 100),
        tf.sum(h, 0),
        tf.sum(seeded(6, [4, 50, 3]), 1),
        tf.gather(seeded(7, [3, 20, 5]), tf.tensor1d([19, 0, 7], 'int32'), 1),
      ];
    });
    cpu.forEach((c, i) => expect(scaledError(wasm[i]!, c)).toBeLessThan(1e-4));
  });

  it('gather rejects an index out of range by name, leaving no tensor behind', () => {
    const before = tf.memory().numTensors;
    expect(() => tf.gather(tf.ones([4, 2]), tf.tensor1d([1, 4], 'int32'))).toThrow(/index value 4 is not in \[0, 3\]/);
    expect(tf.memory().numTensors - before).toBeLessThanOrEqual(2); // only the two inputs made above
  });

  it('matrix products in the SIMD kernel (A·B, Aᵀ·B, A·Bᵀ, ragged edges, long contractions) match cpu', async () => {
    // [k, m, n]: 4×8 tiles with ragged rows and columns, Aᵀ·B read in place (m < 1024) and transposed first (m ≥ 1024).
    const shapes = [
      [5000, 64, 64],
      [37, 5, 11],
      [513, 6, 9],
      [300, 128, 128],
      [64, 7, 130],
      [20, 1030, 13],
      [700, 3, 1],
    ] as const;
    const { cpu, wasm } = await onCpuAndWasm(() =>
      shapes.flatMap(([k, m, n], i) => {
        const a = seeded(10 + i, [k, m]);
        const b = seeded(20 + i, [k, n]);
        return [
          tf.matMul(a, b, true, false),
          tf.matMul(a.transpose(), b),
          tf.matMul(a.transpose(), b.transpose(), false, true),
          tf.matMul(a, b.transpose(), true, true),
        ];
      }),
    );
    cpu.forEach((c, i) => expect(scaledError(wasm[i]!, c), `product ${i}`).toBeLessThan(1e-5));
  });

  it('empty products give zeros or empty tensors', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => [
      tf.matMul(tf.ones([4, 0]), tf.ones([0, 3])),
      tf.matMul(tf.ones([0, 5]), tf.ones([5, 3])),
      tf.matMul(tf.ones([2, 0, 5]), tf.ones([2, 5, 3])),
    ]);
    expect(wasm.map((w) => Array.from(w))).toEqual(cpu.map((c) => Array.from(c)));
    expect(Array.from(wasm[0]!)).toEqual(new Array(12).fill(0));
  });

  it('batched products (same batch, one b for all, every transpose) match cpu', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => [
      tf.matMul(seeded(40, [2, 3, 13, 9]), seeded(41, [2, 3, 9, 17])),
      tf.matMul(seeded(42, [2, 3, 9, 13]), seeded(43, [2, 3, 9, 17]), true, false),
      tf.matMul(seeded(44, [2, 3, 13, 9]), seeded(45, [2, 3, 17, 9]), false, true),
      tf.matMul(seeded(46, [4, 128, 32]), seeded(47, [4, 128, 32]), false, true),
      tf.matMul(seeded(48, [3, 7, 10]), seeded(49, [10, 13])),
      tf.matMul(seeded(50, [3, 10, 7]), seeded(51, [10, 13]), true, false),
      tf.matMul(seeded(52, [3, 10, 7]), seeded(53, [13, 10]), true, true),
      tf.matMul(seeded(54, [2, 1, 5, 6]), seeded(55, [1, 3, 6, 4])), // broadcasting batch dimensions: the stock path
    ]);
    cpu.forEach((c, i) => expect(scaledError(wasm[i]!, c), `product ${i}`).toBeLessThan(1e-5));
  });

  it('one buffer used as matmul weights under two shapes gives both right products', () => {
    // The stock kernel caches XNNPACK operators by the weights' tensor id; reshape/identity share ids.
    const k = tf.tensor1d([1, 2, 3, 4]);
    const col = tf.matMul(tf.ones([6, 4]), k.reshape([4, 1]));
    const row = tf.matMul(tf.ones([6, 1]), k.reshape([1, 4]));
    expect(Array.from(col.dataSync())).toEqual(new Array(6).fill(10));
    expect(Array.from(row.dataSync())).toEqual([
      1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4,
    ]);
  });

  it('conv filter gradients with K < outC and K ≥ outC (both product orders) match cpu', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => [
      tf.grad((w: tf.Tensor) =>
        tf
          .conv2d(seeded(30, [2, 9, 9, 1]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid')
          .square()
          .sum(),
      )(seeded(31, [3, 3, 1, 16])),
      tf.grad((w: tf.Tensor) =>
        tf
          .conv2d(seeded(32, [2, 9, 9, 8]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')
          .square()
          .sum(),
      )(seeded(33, [3, 3, 8, 4])),
    ]);
    cpu.forEach((c, i) => expect(scaledError(wasm[i]!, c)).toBeLessThan(1e-4));
  });

  it('identity and same-dtype casts share the buffer and free it once', () => {
    const before = tf.memory();
    const x = tf.ones([256]);
    const y = tf.clone(x);
    const z = tf.cast(x, 'float32');
    expect(tf.memory().numDataBuffers - before.numDataBuffers).toBe(1);
    x.dispose();
    expect(Array.from(y.dataSync().slice(0, 2))).toEqual([1, 1]);
    y.dispose();
    expect(Array.from(z.dataSync().slice(0, 2))).toEqual([1, 1]);
    z.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  });
});
