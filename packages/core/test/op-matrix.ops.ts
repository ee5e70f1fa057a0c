import { Rng, offDiagonalLogSoftmax, tf } from '@lab/core';

/**
 * THE list of tfjs ops the @lab packages use, run forward and backward on `cpu` and `wasm` by
 * op-matrix.test.ts and compared (≤ 1e-4, relative to the output's scale).
 *
 * Adding an op: append an `OpCase` to your own block at the end (one block per package/area; keep
 * shapes tiny — the whole matrix must run in seconds). `inputs` gets a seeded `Rng` so both
 * backends see identical values; `run` receives the tensors and returns one tensor or several.
 * Gradients are taken for every float32 input unless `grad` says otherwise (`false`: forward
 * only; a list: only those input positions). The gradient is that of Σ run(x)·c for a fixed random
 * cotangent c, so ops whose plain sum is constant (softmax…) are still tested.
 */
export interface OpCase {
  /** Unique name, e.g. 'matMul transposeA'. */
  name: string;
  /** The package or area that added it (core, nn, graph, lm, symnce, …). */
  owner: string;
  inputs: (rng: Rng) => tf.Tensor[];
  run: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
  grad?: boolean | number[];
  /** Allowed relative error (default 1e-4). */
  tolerance?: number;
}

// ── input builders ────────────────────────────────────────────────────────────────────────
/** Standard normal float32 tensor. */
export const normal = (rng: Rng, shape: number[], scale = 1): tf.Tensor =>
  tf.tensor(
    rng.normalArray(
      shape.reduce((p, d) => p * d, 1),
      0,
      scale,
    ),
    shape,
  );
/** Uniform float32 tensor in [low, high). */
export const uniform = (rng: Rng, shape: number[], low: number, high: number): tf.Tensor =>
  tf.tensor(
    rng.uniformArray(
      shape.reduce((p, d) => p * d, 1),
      low,
      high,
    ),
    shape,
  );
/** int32 tensor of uniform integers in [0, n). */
export const ints = (rng: Rng, shape: number[], n: number): tf.Tensor =>
  tf.tensor(
    Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.int(n)),
    shape,
    'int32',
  );
/** Normal values kept away from 0 by at least `gap` (for kinks: abs, relu, max…). */
export const awayFromZero = (rng: Rng, shape: number[], gap = 0.1): tf.Tensor =>
  tf.tensor(
    Array.from(rng.normalArray(shape.reduce((p, d) => p * d, 1))).map((v) => (v >= 0 ? v + gap : v - gap)),
    shape,
  );
/** Distinct values (a shuffled grid), so that argmax/topk/max are well defined. */
export const distinct = (rng: Rng, shape: number[]): tf.Tensor => {
  const n = shape.reduce((p, d) => p * d, 1);
  const perm = rng.permutation(n);
  return tf.tensor(
    Array.from(perm, (v) => (v - n / 2) / n),
    shape,
  );
};

const conv = (stride: number, pad: 'valid' | 'same') => (x: tf.Tensor, w: tf.Tensor) =>
  tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad);

export const opCases: OpCase[] = [
  // ── core (owner: wasm) ─────────────────────────────────────────────────────────────────
  {
    name: 'matMul',
    owner: 'core',
    inputs: (r) => [normal(r, [7, 5]), normal(r, [5, 6])],
    run: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
  },
  {
    name: 'matMul transposeA',
    owner: 'core',
    inputs: (r) => [normal(r, [5, 7]), normal(r, [5, 6])],
    run: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, false),
  },
  {
    name: 'matMul transposeB',
    owner: 'core',
    inputs: (r) => [normal(r, [7, 5]), normal(r, [6, 5])],
    run: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true),
  },
  {
    name: 'matMul transposeA+B',
    owner: 'core',
    inputs: (r) => [normal(r, [5, 7]), normal(r, [6, 5])],
    run: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, true),
  },
  {
    name: 'matMul batched',
    owner: 'core',
    inputs: (r) => [normal(r, [3, 16, 32]), normal(r, [3, 32, 40])],
    run: (a, b) => tf.matMul(a, b),
  },
  {
    name: 'matMul batched rank 4, transposeB',
    owner: 'core',
    inputs: (r) => [normal(r, [2, 3, 16, 32]), normal(r, [2, 3, 20, 32])],
    run: (a, b) => tf.matMul(a, b, false, true),
  },
  {
    name: 'matMul batched × unbatched',
    owner: 'core',
    inputs: (r) => [normal(r, [3, 4, 5]), normal(r, [5, 6])],
    run: (a, b) => tf.matMul(a, b),
  },
  {
    name: 'fused matMul + bias + relu, transposeB',
    owner: 'core',
    inputs: (r) => [normal(r, [7, 5]), normal(r, [6, 5]), normal(r, [6])],
    run: (a, b, bias) =>
      tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeB: true, bias, activation: 'relu' }),
  },
  {
    name: 'add/sub/mul/div broadcast',
    owner: 'core',
    inputs: (r) => [normal(r, [4, 5]), uniform(r, [5], 0.5, 2)],
    run: (a, b) => tf.div(tf.sub(tf.mul(tf.add(a, b), b), a), b),
  },
  {
    name: 'exp, log, sqrt, rsqrt, reciprocal',
    owner: 'core',
    inputs: (r) => [uniform(r, [3, 4], 0.5, 2)],
    run: (x) => [tf.exp(x), tf.log(x), tf.sqrt(x), tf.rsqrt(x), tf.reciprocal(x)],
  },
  {
    name: 'square, abs, neg, sign, pow',
    owner: 'core',
    inputs: (r) => [awayFromZero(r, [3, 4]), uniform(r, [3, 4], 0.5, 1.5)],
    run: (x, p) => [tf.square(x), tf.abs(x), tf.neg(x), tf.sign(x), tf.pow(tf.abs(x), p)],
  },
  {
    name: 'log1p, expm1, sin, cos, erf',
    owner: 'core',
    inputs: (r) => [uniform(r, [3, 4], -0.9, 2)],
    run: (x) => [tf.log1p(x), tf.expm1(x), tf.sin(x), tf.cos(x), tf.erf(x)],
  },
  {
    name: 'activations',
    owner: 'core',
    inputs: (r) => [awayFromZero(r, [4, 6])],
    run: (x) => [
      tf.relu(x),
      tf.elu(x),
      tf.leakyRelu(x, 0.1),
      tf.sigmoid(x),
      tf.tanh(x),
      tf.softplus(x),
      tf.selu(x),
      tf.relu6(tf.mul(x, 4)),
    ],
  },
  {
    name: 'softmax, logSoftmax, logSumExp',
    owner: 'core',
    inputs: (r) => [normal(r, [4, 7])],
    run: (x) => [tf.softmax(x), tf.logSoftmax(x), tf.logSumExp(x, -1)],
  },
  {
    name: 'sum, mean, max, min, prod over axes',
    owner: 'core',
    inputs: (r) => [distinct(r, [3, 4, 5])],
    run: (x) => [tf.sum(x, 1), tf.mean(x, [0, 2]), tf.max(x, -1), tf.min(x, 0), tf.prod(tf.add(x, 1), 2)],
  },
  {
    name: 'sum over leading, middle, split and all axes (keepDims)',
    owner: 'core',
    inputs: (r) => [normal(r, [4, 3, 5, 2])],
    run: (x) => [
      tf.sum(x, [0, 1, 2]),
      tf.sum(x, 1, true),
      tf.sum(x, [0, 2]),
      tf.sum(x, [1, 3], true),
      tf.sum(x),
      tf.mean(x, [0, 1]),
    ],
  },
  {
    name: 'moments, norm',
    owner: 'core',
    inputs: (r) => [normal(r, [4, 6])],
    run: (x) => {
      const m = tf.moments(x, -1);
      return [m.mean, m.variance, tf.norm(x, 'euclidean', -1)];
    },
  },
  {
    name: 'argMax, argMin, oneHot (forward)',
    owner: 'core',
    inputs: (r) => [distinct(r, [4, 6])],
    run: (x) => [tf.argMax(x, -1), tf.argMin(x, 0), tf.oneHot(tf.argMax(x, -1), 6)],
    grad: false,
  },
  {
    name: 'comparisons in where',
    owner: 'core',
    inputs: (r) => [awayFromZero(r, [4, 5])],
    run: (x) => tf.where(tf.greater(x, 0), tf.square(x), tf.mul(x, -2)),
  },
  {
    name: 'equal, less, logicalAnd in where',
    owner: 'core',
    inputs: (r) => [awayFromZero(r, [4, 5])],
    run: (x) => tf.where(tf.logicalAnd(tf.less(x, 1), tf.notEqual(x, 0)), tf.exp(x), x),
  },
  {
    name: 'maximum, minimum, clipByValue',
    owner: 'core',
    inputs: (r) => [distinct(r, [4, 5]), distinct(r, [4, 5])],
    run: (a, b) => [tf.maximum(a, b), tf.minimum(a, b), tf.clipByValue(a, -0.2, 0.2)],
  },
  {
    name: 'squaredDifference',
    owner: 'core',
    inputs: (r) => [normal(r, [4, 5]), normal(r, [5])],
    run: (a, b) => tf.squaredDifference(a, b),
  },
  {
    name: 'concat, stack, split, unstack',
    owner: 'core',
    inputs: (r) => [normal(r, [3, 4]), normal(r, [3, 2])],
    run: (a, b) => {
      const c = tf.concat([a, b], 1);
      const [p, q] = tf.split(c, [1, 5], 1);
      return [tf.stack([a, a], 0), p!, q!, ...tf.unstack(a, 0)];
    },
  },
  {
    name: 'slice, stridedSlice',
    owner: 'core',
    inputs: (r) => [normal(r, [6, 8])],
    run: (x) => [tf.slice(x, [1, 2], [3, 4]), tf.stridedSlice(x, [0, 1], [6, 8], [2, 3])],
  },
  {
    name: 'gather axis 0 (repeated ids)',
    owner: 'core',
    inputs: (r) => [normal(r, [10, 4]), ints(r, [12], 10)],
    run: (p, i) => tf.gather(p, i),
  },
  {
    name: 'gather axis 1',
    owner: 'core',
    inputs: (r) => [normal(r, [3, 10, 2]), ints(r, [7], 10)],
    run: (p, i) => tf.gather(p, i, 1),
  },
  {
    name: 'gather batchDims 1',
    owner: 'core',
    inputs: (r) => [normal(r, [3, 10]), ints(r, [3, 4], 10)],
    run: (p, i) => tf.gather(p, i, 1, 1),
  },
  {
    name: 'gatherND',
    owner: 'core',
    inputs: (r) => [normal(r, [5, 4, 3]), ints(r, [6, 2], 4)],
    run: (p, i) => tf.gatherND(p, i),
  },
  {
    name: 'scatterND',
    owner: 'core',
    inputs: (r) => [ints(r, [6, 1], 5), normal(r, [6, 3])],
    run: (i, u) => tf.scatterND(i, u, [5, 3]),
  },
  {
    name: 'unsortedSegmentSum',
    owner: 'core',
    inputs: (r) => [normal(r, [20, 3]), ints(r, [20], 7)],
    run: (x, s) => tf.unsortedSegmentSum(x, s as tf.Tensor1D, 7),
  },
  {
    name: 'unsortedSegmentSum 1-D',
    owner: 'core',
    inputs: (r) => [normal(r, [30]), ints(r, [30], 9)],
    run: (x, s) => tf.unsortedSegmentSum(x, s as tf.Tensor1D, 9),
  },
  { name: 'topk (values)', owner: 'core', inputs: (r) => [distinct(r, [3, 9])], run: (x) => tf.topk(x, 4).values },
  {
    name: 'cumsum (forward, reverse, exclusive)',
    owner: 'core',
    inputs: (r) => [normal(r, [3, 6])],
    run: (x) => [tf.cumsum(x, 1), tf.cumsum(x, 1, true, true)],
  },
  {
    name: 'pad, mirrorPad, tile, reverse',
    owner: 'core',
    inputs: (r) => [normal(r, [3, 4])],
    run: (x) => [
      tf.pad(x, [
        [1, 0],
        [0, 2],
      ]),
      tf.mirrorPad(
        x,
        [
          [1, 1],
          [1, 1],
        ],
        'reflect',
      ),
      tf.tile(x, [2, 1]),
      tf.reverse(x, 1),
    ],
  },
  {
    name: 'tile rank 3, unstack inner axes',
    owner: 'core',
    inputs: (r) => [normal(r, [2, 3, 4])],
    run: (x) => [tf.tile(x, [3, 1, 2]), tf.tile(x, [1, 2, 1]), ...tf.unstack(x, 1), ...tf.unstack(x, 2)],
  },
  {
    name: 'identity, clone, cast to the same dtype',
    owner: 'core',
    inputs: (r) => [normal(r, [3, 5])],
    run: (x) => [tf.clone(x), tf.cast(x, 'float32'), tf.cast(tf.cast(tf.mul(x, 10), 'int32'), 'float32')],
  },
  {
    name: 'transpose, reshape, expandDims, squeeze',
    owner: 'core',
    inputs: (r) => [normal(r, [2, 3, 4])],
    run: (x) => [tf.transpose(x, [2, 0, 1]), tf.reshape(x, [6, 4]), tf.squeeze(tf.expandDims(x, 1), [1])],
  },
  {
    name: 'einsum ij,jk->ik',
    owner: 'core',
    inputs: (r) => [normal(r, [4, 5]), normal(r, [5, 3])],
    run: (a, b) => tf.einsum('ij,jk->ik', a, b),
  },
  {
    name: 'einsum bhqd,bhkd->bhqk (attention scores)',
    owner: 'core',
    inputs: (r) => [normal(r, [2, 3, 5, 4]), normal(r, [2, 3, 6, 4])],
    run: (a, b) => tf.einsum('bhqd,bhkd->bhqk', a, b),
  },
  {
    name: 'einsum bi,bj->bij (outer)',
    owner: 'core',
    inputs: (r) => [normal(r, [3, 4]), normal(r, [3, 5])],
    run: (a, b) => tf.einsum('bi,bj->bij', a, b),
  },
  {
    name: 'einsum ij->ji, ij->i, ij,ij->i',
    owner: 'core',
    inputs: (r) => [normal(r, [3, 4]), normal(r, [3, 4])],
    run: (a, b) => [tf.einsum('ij->ji', a), tf.einsum('ij->i', a), tf.einsum('ij,ij->i', a, b)],
  },
  {
    name: 'einsum ijk,k->ij',
    owner: 'core',
    inputs: (r) => [normal(r, [2, 3, 4]), normal(r, [4])],
    run: (a, b) => tf.einsum('ijk,k->ij', a, b),
  },
  {
    name: 'conv2d valid stride 1',
    owner: 'core',
    inputs: (r) => [normal(r, [2, 9, 8, 3]), normal(r, [3, 3, 3, 4])],
    run: conv(1, 'valid'),
  },
  {
    name: 'conv2d same stride 1',
    owner: 'core',
    inputs: (r) => [normal(r, [2, 9, 8, 3]), normal(r, [3, 3, 3, 4])],
    run: conv(1, 'same'),
  },
  {
    name: 'conv2d same stride 2',
    owner: 'core',
    inputs: (r) => [normal(r, [2, 9, 8, 3]), normal(r, [3, 3, 3, 4])],
    run: conv(2, 'same'),
  },
  {
    name: 'conv2d 1×1, 5×5',
    owner: 'core',
    inputs: (r) => [normal(r, [2, 7, 7, 3]), normal(r, [1, 1, 3, 4]), normal(r, [5, 5, 3, 2])],
    run: (x, w1, w5) => [conv(1, 'valid')(x, w1), conv(1, 'same')(x, w5)],
  },
  {
    name: 'conv2d + bias + relu (fused)',
    owner: 'core',
    inputs: (r) => [normal(r, [2, 6, 6, 3]), normal(r, [3, 3, 3, 4]), normal(r, [4])],
    run: (x, w, b) =>
      tf.fused.conv2d({
        x: x as tf.Tensor4D,
        filter: w as tf.Tensor4D,
        strides: 1,
        pad: 'same',
        bias: b,
        activation: 'relu',
      }),
  },
  {
    name: 'conv2dTranspose stride 2',
    owner: 'core',
    inputs: (r) => [normal(r, [2, 4, 4, 4]), normal(r, [3, 3, 3, 4])],
    run: (x, w) => tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [2, 8, 8, 3], 2, 'same'),
  },
  {
    name: 'maxPool',
    owner: 'core',
    inputs: (r) => [distinct(r, [2, 6, 6, 3])],
    run: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'),
  },
  {
    name: 'avgPool same',
    owner: 'core',
    inputs: (r) => [normal(r, [2, 6, 6, 3])],
    run: (x) => tf.avgPool(x as tf.Tensor4D, 3, 1, 'same'),
  },
  {
    name: 'avgPool valid stride 2',
    owner: 'core',
    inputs: (r) => [normal(r, [2, 6, 6, 3])],
    run: (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'),
  },
  {
    name: 'maximum, minimum broadcast',
    owner: 'core',
    inputs: (r) => [distinct(r, [4, 5]), uniform(r, [5], 0.31, 0.39)],
    run: (a, b) => [tf.maximum(a, b), tf.minimum(a, b)],
  },
  {
    name: 'pow by scalar exponents 1, 2, 3, 4, 0.5, -1, 2.5',
    owner: 'core',
    inputs: (r) => [uniform(r, [3, 4], 0.5, 2), awayFromZero(r, [3, 4])],
    run: (x, y) => [1, 2, 3, 4, 0.5, -1, 2.5].map((e) => tf.pow(x, e)).concat([tf.pow(y, 3), tf.pow(y, 2)]),
  },
  {
    name: 'stridedSlice int32 (forward)',
    owner: 'core',
    inputs: (r) => [ints(r, [6, 8], 100)],
    run: (x) => tf.stridedSlice(x, [0, 1], [6, 8], [2, 3]),
    grad: false,
  },
  {
    name: 'dropout-free batch norm (moments + normalise)',
    owner: 'core',
    inputs: (r) => [normal(r, [8, 5]), normal(r, [5]), normal(r, [5])],
    run: (x, g, b) => {
      const { mean, variance } = tf.moments(x, 0);
      return tf.batchNorm(x, mean, variance, b, g, 1e-5);
    },
  },
  // ── graph stack (owner: graph) ─────────────────────────────────────────────────────────
  {
    name: 'gcn message passing: gather · weight → unsortedSegmentSum',
    owner: 'graph',
    inputs: (r) => [normal(r, [9, 4]), uniform(r, [14], 0.2, 1.5), ints(r, [14], 9), ints(r, [14], 9)],
    run: (x, w, src, dst) =>
      tf.unsortedSegmentSum(tf.mul(tf.gather(x, src), tf.reshape(w, [-1, 1])), dst as tf.Tensor1D, 9),
    grad: [0, 1],
  },
  {
    name: 'gcn degree norm: segment sum of weights, rsqrt, gather',
    owner: 'graph',
    inputs: (r) => [uniform(r, [14], 0.2, 1.5), ints(r, [14], 9), ints(r, [14], 9)],
    run: (w, src, dst) => {
      const dinv = tf.rsqrt(tf.add(tf.unsortedSegmentSum(w, dst as tf.Tensor1D, 9), 1));
      return tf.mul(tf.mul(tf.gather(dinv, src), w), tf.gather(dinv, dst));
    },
    grad: [0],
  },
  {
    name: 'segment softmax (GAT attention)',
    owner: 'graph',
    inputs: (r) => [normal(r, [14, 2]), ints(r, [14], 5)],
    run: (e, dst) => {
      const ex = tf.exp(tf.leakyRelu(e, 0.2));
      return tf.div(ex, tf.gather(tf.unsortedSegmentSum(ex, dst as tf.Tensor1D, 5), dst));
    },
    grad: [0],
  },
  {
    name: 'masked max pooling: gather padded rows, max, broadcastTo + where',
    owner: 'graph',
    inputs: (r) => [distinct(r, [6, 3])],
    run: (h) => {
      const pooled = tf.max(
        tf.reshape(
          tf.gather(tf.concat([h, tf.fill([1, 3], -1e9)], 0), tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 6, 6], 'int32')),
          [3, 3, 3],
        ),
        1,
      );
      return tf.where(tf.broadcastTo(tf.tensor2d([1, 1, 0], [3, 1], 'bool'), [3, 3]), pooled, tf.zerosLike(pooled));
    },
  },
  // ── nn, optimisers (owner: nn) ──────────────────────────────────────────────────────────
  {
    name: 'nn Linear on rank 3: reshape · matMul + bias',
    owner: 'nn',
    inputs: (r) => [normal(r, [2, 3, 5]), normal(r, [5, 4]), normal(r, [4])],
    run: (x, w, b) => tf.reshape(tf.add(tf.matMul(tf.reshape(x, [-1, 5]), w), b), [2, 3, 4]),
  },
  {
    name: 'nn LayerNorm / RMSNorm (mean, rsqrt)',
    owner: 'nn',
    inputs: (r) => [normal(r, [3, 6]), uniform(r, [6], 0.5, 1.5)],
    run: (x, g) => {
      const c = tf.sub(x, tf.mean(x, -1, true));
      return [
        tf.mul(tf.mul(c, tf.rsqrt(tf.add(tf.mean(tf.square(c), -1, true), 1e-5))), g),
        tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-6))), g),
      ];
    },
  },
  {
    name: 'nn BatchNorm2d (moments over N, H, W)',
    owner: 'nn',
    inputs: (r) => [normal(r, [2, 3, 3, 4]), uniform(r, [4], 0.5, 1.5), normal(r, [4])],
    run: (x, g, b) => {
      const m = tf.moments(x, [0, 1, 2]);
      return tf.add(tf.mul(tf.mul(tf.sub(x, m.mean), tf.rsqrt(tf.add(m.variance, 1e-5))), g), b);
    },
  },
  {
    name: 'nn gelu (erf) and silu',
    owner: 'nn',
    inputs: (r) => [normal(r, [3, 5])],
    run: (x) => [tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)), tf.mul(x, tf.sigmoid(x))],
  },
  {
    name: 'nn Conv2d with explicit padding, stride 2',
    owner: 'nn',
    inputs: (r) => [normal(r, [2, 5, 5, 2]), normal(r, [3, 3, 2, 3]), normal(r, [3])],
    run: (x, w, b) =>
      tf.add(
        tf.conv2d(
          tf.pad(x as tf.Tensor4D, [
            [0, 0],
            [1, 1],
            [1, 1],
            [0, 0],
          ]),
          w as tf.Tensor4D,
          2,
          'valid',
        ),
        b,
      ),
  },
  {
    name: 'nn CnnEncoder pieces: relu · conv · maxPool 2×2 · flatten',
    owner: 'nn',
    inputs: (r) => [normal(r, [2, 6, 6, 1]), normal(r, [3, 3, 1, 2])],
    run: (x, w) =>
      tf.reshape(
        tf.maxPool(tf.relu(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid')), 2, 2, 'valid'),
        [2, -1],
      ),
  },
  {
    name: 'nn ResNet pooling: mean over H, W',
    owner: 'nn',
    inputs: (r) => [normal(r, [2, 4, 4, 3])],
    run: (x) => tf.mean(x, [1, 2]),
  },
  {
    name: 'nn Embedding with padding mask: gather · notEqual',
    owner: 'nn',
    inputs: (r) => [normal(r, [6, 3]), ints(r, [8], 6)],
    run: (w, ids) => tf.mul(tf.gather(w, ids), tf.expandDims(tf.cast(tf.notEqual(ids, 0), 'float32'), 1)),
    grad: [0],
  },
  {
    name: 'nn softmax cross-entropy loss and IRM closed form',
    owner: 'nn',
    inputs: (r) => [normal(r, [5, 4]), tf.oneHot(ints(r, [5], 4), 4).toFloat()],
    run: (z, y) => [
      tf.losses.softmaxCrossEntropy(y, z),
      tf.square(tf.mean(tf.sum(tf.mul(tf.sub(tf.softmax(z), y), z), 1))),
    ],
    grad: [0],
  },
  {
    name: 'nn Adam update (forward)',
    owner: 'nn',
    inputs: (r) => [normal(r, [4, 3]), normal(r, [4, 3]), normal(r, [4, 3]), uniform(r, [4, 3], 0.1, 1)],
    run: (p, g, m, v) => {
      const m2 = tf.add(tf.mul(m, 0.9), tf.mul(g, 0.1));
      const v2 = tf.add(tf.mul(v, 0.999), tf.mul(tf.square(g), 0.001));
      return tf.sub(p, tf.mul(tf.div(m2, tf.add(tf.div(tf.sqrt(v2), Math.sqrt(0.001)), 1e-8)), 0.01 / 0.1));
    },
    grad: false,
  },
  // ── data, linear algebra, metrics (owner: data) ─────────────────────────────────────────
  {
    name: 'data kNN: L2-normalise · matMul transposeB · topk (forward)',
    owner: 'data',
    inputs: (r) => [normal(r, [5, 4]), normal(r, [7, 4])],
    run: (q, t) => {
      const n = (x: tf.Tensor) => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12));
      const top = tf.topk(tf.matMul(n(q) as tf.Tensor2D, n(t) as tf.Tensor2D, false, true), 3, true);
      return [top.values, top.indices];
    },
    grad: false,
  },
  {
    name: 'data linear probe: x·W + b, softmax cross-entropy + L2 weight decay',
    owner: 'data',
    inputs: (r) => [
      normal(r, [6, 4]),
      normal(r, [4, 3], 0.5),
      normal(r, [3], 0.5),
      tf.oneHot(ints(r, [6], 3), 3).toFloat(),
    ],
    run: (x, w, b, y) =>
      tf.add(
        tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b)),
        tf.mul(5e-3, tf.add(tf.sum(tf.square(w)), tf.sum(tf.square(b)))),
      ),
    grad: [1, 2],
  },
  {
    name: 'data probe standardisation: moments over rows, where(std < eps) (forward)',
    owner: 'data',
    inputs: (r) => [tf.concat([normal(r, [6, 3]), tf.ones([6, 1])], 1)],
    run: (x) => {
      const m = tf.moments(x, 0);
      const s = tf.sqrt(m.variance);
      return tf.div(tf.sub(x, m.mean), tf.where(tf.less(s, 1e-8), tf.onesLike(s), s));
    },
    grad: false,
  },
  {
    name: 'data augment: cropAndResize bilinear (forward)',
    owner: 'data',
    inputs: (r) => [uniform(r, [2, 6, 6, 1], 0, 1)],
    run: (x) =>
      tf.image.cropAndResize(
        x as tf.Tensor4D,
        tf.tensor2d([
          [0.1, 0.2, 0.9, 1],
          [0, 0, 0.6, 0.7],
        ]),
        tf.tensor1d([0, 1], 'int32'),
        [6, 6],
        'bilinear',
      ),
    grad: false,
  },
  {
    name: 'data augment: seeded randomNormal noise, clip, brightness · contrast (forward)',
    owner: 'data',
    inputs: (r) => [uniform(r, [3, 16], 0, 1)],
    run: (x) => {
      const n = tf.clipByValue(tf.add(x, tf.randomNormal([3, 16], 0, 0.1, 'float32', 7)), 0, 1);
      const m = tf.mean(n, 1, true);
      return tf.clipByValue(tf.add(tf.mul(tf.sub(tf.mul(n, 0.8), m), 1.2), m), 0, 1);
    },
    grad: false,
  },
  {
    name: 'data finiteness guard: isFinite · all · logicalNot (forward)',
    owner: 'data',
    inputs: (r) => [normal(r, [3, 4])],
    run: (x) => tf.logicalNot(tf.all(tf.isFinite(tf.div(x, tf.sub(x, x))))),
    grad: false,
  },
  // ── LM stack (owner: lm) ────────────────────────────────────────────────────────────────
  {
    name: 'lm RoPE: split · neg · concat (rotate_half), broadcast cos/sin',
    owner: 'lm',
    inputs: (r) => [normal(r, [1, 2, 5, 4]), normal(r, [5, 4]), normal(r, [5, 4])],
    run: (x, c, s) => {
      const [a, b] = tf.split(x, [2, 2], 3);
      return tf.add(tf.mul(x, c), tf.mul(tf.concat([tf.neg(b!), a!], 3), s));
    },
    grad: [0],
  },
  {
    name: 'lm attention block: GQA tile rank 3 · slice · matMul rank 4 · masked softmax · pad',
    owner: 'lm',
    inputs: (r) => [normal(r, [1, 4, 3, 4]), normal(r, [1, 2, 5, 4]), normal(r, [1, 2, 5, 4])],
    run: (q, k, v) => {
      const rep = (x: tf.Tensor) => tf.reshape(tf.tile(tf.reshape(x, [2, 1, 20]), [1, 2, 1]), [1, 4, 5, 4]);
      const kT = tf.transpose(rep(k), [0, 1, 3, 2]);
      const bias = tf.tensor2d([
        [0, 0, 0, -1e9, -1e9],
        [-1e9, 0, 0, 0, -1e9],
        [-1e9, -1e9, 0, 0, 0],
      ]);
      const p = tf.softmax(tf.add(tf.mul(tf.matMul(q, tf.slice(kT, [0, 0, 0, 0], [1, 4, 4, 5])), 0.5), bias));
      return [
        tf.matMul(p, rep(v)),
        tf.pad(p, [
          [0, 0],
          [0, 0],
          [0, 0],
          [1, 0],
        ]),
      ];
    },
  },
  {
    name: 'lm SwiGLU MLP and tanh GELU (gelu_new)',
    owner: 'lm',
    inputs: (r) => [normal(r, [3, 4]), normal(r, [4, 6], 0.5), normal(r, [4, 6], 0.5)],
    run: (x, wg, wu) => {
      const g = tf.matMul(x as tf.Tensor2D, wg as tf.Tensor2D);
      const u = tf.matMul(x as tf.Tensor2D, wu as tf.Tensor2D);
      const gelu = tf.mul(
        tf.mul(0.5, u),
        tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(u, tf.mul(0.044715, tf.pow(u, 3)))))),
      );
      return [tf.mul(tf.mul(g, tf.sigmoid(g)), u), gelu];
    },
  },
  {
    name: 'lm target NLL: logSumExp − sum(logits · oneHot)',
    owner: 'lm',
    inputs: (r) => [normal(r, [5, 7]), ints(r, [5], 7)],
    run: (z, t) => tf.sub(tf.logSumExp(z, 1), tf.sum(tf.mul(z, tf.oneHot(t as tf.Tensor1D, 7)), 1)),
    grad: [0],
  },
  {
    name: 'lm embedding by one-hot matMul, positions by slice',
    owner: 'lm',
    inputs: (r) => [normal(r, [9, 4]), ints(r, [6], 9), normal(r, [8, 4])],
    run: (w, ids, wpe) =>
      tf.add(tf.matMul(tf.oneHot(ids as tf.Tensor1D, 9), w as tf.Tensor2D), tf.slice(wpe, [2, 0], [6, 4])),
    grad: [0, 2],
  },
  // ── contrastive losses (owner: symnce) ─────────────────────────────────────────────────
  {
    name: 'symnce cosine logits: L2-normalise (maximum, sqrt) · matMul transposeB · where(eye) mask · logSumExp',
    owner: 'symnce',
    inputs: (r) => [normal(r, [6, 4])],
    run: (x) => {
      const z = tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), 1, true), 1e-24)));
      const l = tf.div(tf.matMul(z as tf.Tensor2D, z as tf.Tensor2D, false, true), 0.5);
      const m = tf.where(tf.cast(tf.eye(6), 'bool'), tf.fill([6, 6], -1e9), l);
      return tf.mul(tf.sub(m, tf.logSumExp(m, 1, true)), tf.sub(1, tf.eye(6)));
    },
  },
  {
    name: 'symnce offDiagonalLogSoftmax (closed-form customGrad) · exp',
    owner: 'symnce',
    inputs: (r) => [normal(r, [5, 5])],
    run: (l) => {
      const lp = offDiagonalLogSoftmax(l as tf.Tensor2D);
      return [tf.mul(lp, tf.sub(1, tf.eye(5))), tf.exp(lp)];
    },
  },
  {
    name: 'symnce RINCE / linear RevNCE: tile · maximum · log-add-exp · exp(q·x) · masked row means',
    owner: 'symnce',
    inputs: (r) => [
      normal(r, [5, 5]),
      tf.tensor2d([
        [0, 1, 0, 0, 1],
        [1, 0, 0, 1, 0],
        [0, 0, 0, 1, 0],
        [0, 1, 1, 0, 0],
        [1, 0, 0, 0, 0],
      ]),
    ],
    run: (a, pos) => {
      const neg = tf.sub(tf.sub(1, tf.eye(5)), pos);
      const ln = tf.tile(tf.logSumExp(tf.where(tf.greater(neg, 0.5), a, tf.fill([5, 5], -1e9)), 1, true), [1, 5]);
      const m = tf.maximum(a, ln);
      const lt = tf.add(m, tf.log(tf.add(tf.exp(tf.sub(a, m)), tf.exp(tf.sub(ln, m)))));
      const rince = tf.div(
        tf.sum(tf.mul(tf.sub(tf.exp(tf.mul(tf.add(lt, Math.log(0.01)), 0.1)), tf.exp(tf.mul(a, 0.1))), pos), 1),
        tf.maximum(tf.sum(pos, 1), 1),
      );
      const e = tf.exp(tf.sub(a, 2));
      return [
        rince,
        tf.sub(
          tf.div(tf.sum(tf.mul(e, neg), 1), tf.maximum(tf.sum(neg, 1), 1)),
          tf.div(tf.sum(tf.mul(e, pos), 1), tf.maximum(tf.sum(pos, 1), 1)),
        ),
      ];
    },
    grad: [0],
  },
  {
    name: 'symnce flattenViews: transpose [1, 0, 2] · reshape (view-major)',
    owner: 'symnce',
    inputs: (r) => [normal(r, [3, 2, 4])],
    run: (x) => tf.reshape(tf.transpose(x, [1, 0, 2]), [6, 4]),
  },
];
