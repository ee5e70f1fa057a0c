import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, registerWasmCompletions, tf } from '@lab/core';
import { setConvChunkFloats } from '../src/wasm/conv.ts';
import { isOurs, stockKernel } from '../src/wasm/heap.ts';
import { setPoolMinFlops } from '../src/wasm/simd.ts';
import { onCpuAndWasm, scaledError } from './helpers.js';

const seeded = (seed: number, shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('WASM completion kernels', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('registration is idempotent and keeps the stock setup', async () => {
    const before = tf.getKernel('BatchMatMul', 'wasm');
    registerWasmCompletions();
    registerWasmCompletions();
    expect(tf.getKernel('BatchMatMul', 'wasm')).toBe(before);
    for (const name of ['UnsortedSegmentSum', 'Conv2DBackpropFilter', 'Einsum'])
      expect(tf.getKernel(name, 'wasm')).toBeDefined();
    // The stock kernels replaced one per file (register.ts's list), each keeping the stock setup.
    for (const name of ['Pow', 'MaxPoolGrad', 'StridedSlice', 'GatherV2']) {
      expect(isOurs(name), name).toBe(true);
      expect(tf.getKernel(name, 'wasm')!.setupFunc).toBe(stockKernel(name)!.setupFunc);
    }
    const y = tf.matMul(tf.ones([2, 3]), tf.ones([3, 4]));
    expect(Array.from(y.dataSync())).toEqual(new Array(8).fill(3));
  });

  it('conv gradients cross chunk boundaries (M not a multiple of the chunk) and match cpu', async () => {
    // K = 3·3·4 = 36. Chunks of 2000 floats → 55-row chunks over M = 2·7·7 = 98 (stride 1) and
    // M = 2·4·4 = 32 (stride 2): a full chunk plus a remainder, and a single partial chunk. Chunks of
    // 360 floats → 10 rows: nine full chunks of the same shape in a row (catches stale operand caches).
    const previous = setConvChunkFloats(2000);
    try {
      for (const [stride, floats] of [
        [1, 2000],
        [2, 2000],
        [1, 360],
      ] as const) {
        setConvChunkFloats(floats);
        const { cpu, wasm } = await onCpuAndWasm(() =>
          tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf
              .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, 'same')
              .square()
              .sum(),
          )([seeded(1, [2, 7, 7, 4]), seeded(2, [3, 3, 4, 5])]),
        );
        cpu.forEach((c, i) => expect(scaledError(wasm[i]!, c)).toBeLessThan(1e-4));
      }
    } finally {
      setConvChunkFloats(previous);
    }
  });

  it('Conv2D (im2col + the SIMD product): chunks, strides, dilations, explicit padding and NCHW match cpu', async () => {
    const previous = setConvChunkFloats(1 << 19);
    try {
      for (const floats of [1 << 19, 360]) {
        setConvChunkFloats(floats); // 360 floats: 13-row chunks of K = 27
        const { cpu, wasm } = await onCpuAndWasm(() => {
          const x = seeded(5, [2, 9, 8, 3]) as tf.Tensor4D;
          const w = seeded(6, [3, 3, 3, 5]) as tf.Tensor4D;
          return [
            tf.conv2d(x, w, [2, 1], 'same'),
            tf.conv2d(x, w, 1, 'valid', 'NHWC', 2),
            tf.conv2d(x, w, 1, [
              [0, 0],
              [1, 2],
              [0, 1],
              [0, 0],
            ]),
            tf.conv2d(x, seeded(7, [1, 1, 3, 9]) as tf.Tensor4D, 1, 'valid'),
            tf
              .engine()
              .runKernel(
                'Conv2D',
                { x: tf.transpose(x, [0, 3, 1, 2]), filter: w },
                { strides: 1, pad: 'same', dataFormat: 'NCHW', dilations: 1 },
              ) as tf.Tensor,
          ];
        });
        cpu.forEach((c, i) => expect(scaledError(wasm[i]!, c), `conv ${i}`).toBeLessThan(1e-5));
      }
    } finally {
      setConvChunkFloats(previous);
    }
  });

  it('fused matmul and conv2d (bias, every activation, transposes) match cpu, forward and gradients', async () => {
    const activations = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;
    const { cpu, wasm } = await onCpuAndWasm(() =>
      activations.flatMap((activation, i) => {
        const a = seeded(60 + i, [9, 7]);
        const b = seeded(70 + i, [5, 7]);
        const bias = seeded(80 + i, [5]);
        const alpha = seeded(90 + i, [5]);
        const x = seeded(100 + i, [2, 6, 6, 3]) as tf.Tensor4D;
        const w = seeded(110 + i, [3, 3, 3, 5]) as tf.Tensor4D;
        const mm = (u: tf.Tensor) =>
          tf.fused.matMul({
            a: u as tf.Tensor2D,
            b: b as tf.Tensor2D,
            transposeB: true,
            bias,
            activation,
            preluActivationWeights: alpha,
            leakyreluAlpha: 0.1,
          });
        const conv = (u: tf.Tensor) =>
          tf.fused.conv2d({
            x: u as tf.Tensor4D,
            filter: w,
            strides: 1,
            pad: 'same',
            bias,
            activation,
            preluActivationWeights: alpha,
            leakyreluAlpha: 0.1,
          });
        return [
          mm(a),
          tf.grad((u: tf.Tensor) => mm(u).square().sum())(a),
          conv(x),
          tf.grad((u: tf.Tensor) => conv(u).square().sum())(x),
        ];
      }),
    );
    cpu.forEach((c, i) => expect(scaledError(wasm[i]!, c), `case ${i}`).toBeLessThan(1e-5));
  });

  it('max-pool gradients (overlapping windows, padding, ties, all-negative windows) route like cpu', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      // Values rounded to tenths: many ties inside a window; a shift below zero leaves whole windows negative.
      const x = tf.sub(tf.round(tf.mul(seeded(120, [2, 7, 6, 6]), 3)), 4) as tf.Tensor4D; // 6 channels: 4 in SIMD lanes, 2 after
      const dyScale = seeded(121, [2, 7, 6, 6]);
      return [
        tf.grad((u: tf.Tensor) => tf.mul(tf.maxPool(u as tf.Tensor4D, 3, 1, 'same'), dyScale).sum())(x),
        tf.grad((u: tf.Tensor) => tf.maxPool(u as tf.Tensor4D, [2, 3], [2, 1], 'valid').sum())(x),
      ];
    });
    // Same routing (which inputs get a gradient) everywhere; sums of several dy values may round differently.
    cpu.forEach((c, i) => expect(Array.from(wasm[i]!, (v) => v !== 0)).toEqual(Array.from(c, (v) => v !== 0)));
    expect(scaledError(wasm[0]!, cpu[0]!)).toBeLessThan(1e-6);
    expect(Array.from(wasm[1]!)).toEqual(Array.from(cpu[1]!)); // dy = 1: integer sums, exact
  });

  it('slices (rows copied by the SIMD module: any rank, int32, whole and empty; > 4 outer axes stock) match cpu exactly', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const m = seeded(130, [20, 12]);
      const t = seeded(131, [3, 4, 5, 6]);
      const six = seeded(132, [2, 3, 2, 3, 2, 4]);
      return [
        tf.slice(m, [0, 4], [20, 4]), // column block: the attention's q/k/v split
        tf.slice(m, [3, 0], [5, -1]), // contiguous rows
        tf.slice(m, [0, 0], [-1, -1]), // the whole matrix
        tf.slice(m, [2, 2], [0, 3]), // empty
        tf.slice(t, [1, 0, 2, 1], [2, 4, 3, 4]),
        tf.slice(t, [0, 1, 0, 0], [3, 2, 5, 6]),
        tf.slice(tf.tensor1d([1, 2, 3, 4, 5, 6, 7], 'int32'), [2], [4]),
        tf.slice(tf.cast(tf.mul(t, 10), 'int32'), [1, 1, 1, 1], [1, 2, 3, 4]),
        tf.slice(six, [1, 1, 0, 1, 1, 1], [1, 2, 2, 2, 1, 3]), // five outer axes, four longer than 1
        tf.slice(six, [0, 1, 0, 1, 0, 1], [2, 2, 2, 2, 2, 3]), // five outer axes longer than 1: stock
        tf.grad((u: tf.Tensor) => tf.slice(u, [1, 0, 2, 1], [2, 4, 3, 4]).square().sum())(t),
      ];
    });
    expect(wasm.map((w) => Array.from(w))).toEqual(cpu.map((c) => Array.from(c)));
  });

  it('conv2dTranspose in NCHW goes through the transposing path', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const dy = seeded(3, [2, 4, 5, 5]);
      const w = seeded(4, [3, 3, 3, 4]);
      return tf
        .engine()
        .runKernel(
          'Conv2DBackpropInput',
          { dy, filter: w },
          { inputShape: [2, 3, 7, 7], strides: 1, pad: 'valid', dataFormat: 'NCHW' },
        ) as tf.Tensor;
    });
    expect(scaledError(wasm[0]!, cpu[0]!)).toBeLessThan(1e-4);
  });

  it('batched matmul paths (loop, broadcast, transposes) match cpu', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => [
      tf.matMul(seeded(5, [6, 64, 32]), seeded(6, [6, 32, 48])),
      tf.matMul(seeded(5, [6, 32, 64]), seeded(6, [6, 48, 32]), true, true),
      tf.matMul(seeded(7, [2, 3, 16, 8]), seeded(8, [8, 5])),
    ]);
    cpu.forEach((c, i) => expect(scaledError(wasm[i]!, c)).toBeLessThan(1e-5));
  });

  it('no tensors or WASM buffers leak through the new kernels and their gradients', async () => {
    await initBackend('wasm');
    const x = seeded(9, [2, 10, 10, 3]);
    const w = seeded(10, [3, 3, 3, 4]);
    const p = seeded(11, [10, 4]);
    const a = seeded(12, [4, 16, 8]);
    const poolMinFlops = setPoolMinFlops(0); // the worker pool too, where the backend has one
    const step = () =>
      tf.tidy(() => {
        const [gx, gw] = tf.grads((u: tf.Tensor, v: tf.Tensor) =>
          tf
            .conv2d(u as tf.Tensor4D, v as tf.Tensor4D, 2, 'same')
            .square()
            .sum(),
        )([x, w]);
        const gp = tf.grad((q: tf.Tensor) => tf.gather(q, tf.tensor1d([1, 1, 3], 'int32')).sum())(p);
        const ga = tf.grad((q: tf.Tensor) => tf.einsum('bij,bkj->bik', q, q).sum())(a);
        // Core's product (every transpose, batched), fused kernels, slices, max-pool gradients, element-wise kernels.
        const mm = tf.grad((q: tf.Tensor) =>
          tf
            .matMul(q, q, true, false)
            .sum()
            .add(tf.matMul(q, q, false, true).sum()),
        )(a);
        const fused = tf.fused.matMul({
          a: p as tf.Tensor2D,
          b: p as tf.Tensor2D,
          transposeB: true,
          bias: tf.ones([10]),
          activation: 'relu',
        });
        const fconv = tf.fused.conv2d({
          x: x as tf.Tensor4D,
          filter: w as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          bias: tf.ones([4]),
          activation: 'elu',
        });
        const gm = tf.grad((u: tf.Tensor) =>
          tf.maxPool(tf.slice(u, [0, 1, 1, 0], [2, 8, 8, 3]) as tf.Tensor4D, 2, 2, 'valid').sum(),
        )(x);
        const ew = tf.where(tf.greater(tf.maximum(p, 0.1), tf.sqrt(tf.abs(p))), tf.log(tf.abs(p)), p);
        return tf
          .addN([gx!.sum(), gw!.sum(), gp.sum(), ga.sum(), mm.sum(), fused.sum(), fconv.sum(), gm.sum(), ew.sum()])
          .dataSync()[0];
      });
    try {
      step();
      const tensors = tf.memory().numTensors;
      const buffers = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
      for (let i = 0; i < 3; i++) step();
      expect(tf.memory().numTensors).toBe(tensors);
      expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(buffers);
    } finally {
      setPoolMinFlops(poolMinFlops);
    }
  });

  it('the README example: gather has a gradient on WASM', async () => {
    registerWasmCompletions();
    await tf.setBackend('wasm');
    const table = tf.variable(tf.randomNormal([1000, 64]));
    const ids = tf.tensor1d([3, 3, 17], 'int32');
    const g = tf.grad((t: tf.Tensor) => tf.gather(t, ids).sum())(table);
    expect(g.shape).toEqual([1000, 64]);
    const rows = (await g.array()) as number[][];
    expect(rows[3]![0]).toBe(2);
    expect(rows[17]![5]).toBe(1);
    expect(rows[4]![0]).toBe(0);
    tf.dispose([table, ids, g]);
  });

  it('einsum rejects what it does not support, naming the equation', async () => {
    await initBackend('wasm');
    expect(() => tf.einsum('ii->i', tf.ones([2, 2]))).toThrow(/repeated letter/);
    expect(() => tf.einsum('ij,jk', tf.ones([2, 2]), tf.ones([2, 2]))).toThrow();
  });
});
