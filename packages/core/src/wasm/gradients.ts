import * as tf from '@tensorflow/tfjs';
import { einsumGradConfig } from './einsum.js';

/**
 * Gradients that stock tfjs 4.22 lacks on every backend, registered globally (cheap ones only).
 * Scatters are written as `unsortedSegmentSum` over flat indices so that they are differentiable
 * themselves (its gradient is a gather).
 */

function first(dy: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(dy) ? dy[0]! : dy;
}

/** Scatter-adds `values` (flattened) into a zero tensor of `shape` at flat positions `flatIndex`. */
function scatterFlat(values: tf.Tensor, flatIndex: tf.Tensor, shape: number[]): tf.Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tf.unsortedSegmentSum(values.reshape([-1]), flatIndex.reshape([-1]).toInt() as tf.Tensor1D, n).reshape(shape);
}

/** StridedSlice: scatter dy back to the positions it was read from (found by slicing an iota). */
const stridedSliceGrad: tf.GradConfig = {
  kernelName: 'StridedSlice',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    return {
      x: () => {
        const a = attrs as unknown as {
          begin: number[];
          end: number[];
          strides: number[];
          beginMask: number;
          endMask: number;
          ellipsisMask: number;
          newAxisMask: number;
          shrinkAxisMask: number;
        };
        const iota = tf.range(0, x.size, 1, 'int32').reshape(x.shape);
        const positions = tf.stridedSlice(
          iota,
          a.begin,
          a.end,
          a.strides,
          a.beginMask,
          a.endMask,
          a.ellipsisMask,
          a.newAxisMask,
          a.shrinkAxisMask,
        );
        return scatterFlat(first(dy), positions, x.shape);
      },
    };
  },
};

/** Flat row index of each index tuple of gatherND/scatterND: [..., depth] → [...]. */
function flatRowIndex(indices: tf.Tensor, shape: number[]): { rows: tf.Tensor; numRows: number; sliceShape: number[] } {
  const depth = indices.shape[indices.shape.length - 1]!;
  const strides: number[] = [];
  let s = 1;
  for (let i = depth - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  const rows = tf.sum(tf.mul(indices.toInt(), tf.tensor1d(strides, 'int32')), -1);
  return { rows, numRows: s, sliceShape: shape.slice(depth) };
}

/** GatherNd: params gradient = scatter-add of dy rows to the gathered index tuples. */
const gatherNdGrad: tf.GradConfig = {
  kernelName: 'GatherNd',
  inputsToSave: ['params', 'indices'],
  gradFunc: (dy, saved) => {
    const [params, indices] = saved as [tf.Tensor, tf.Tensor];
    return {
      params: () => {
        const { rows, numRows, sliceShape } = flatRowIndex(indices, params.shape);
        const sliceSize = sliceShape.reduce((p, d) => p * d, 1);
        const g = first(dy).reshape([-1, sliceSize]);
        return tf.unsortedSegmentSum(g, rows.reshape([-1]), numRows).reshape(params.shape);
      },
      indices: () => tf.zerosLike(indices),
    };
  },
};

/** ScatterNd: updates gradient = gatherND(dy, indices). */
const scatterNdGrad: tf.GradConfig = {
  kernelName: 'ScatterNd',
  inputsToSave: ['indices'],
  gradFunc: (dy, saved) => {
    const [indices] = saved as [tf.Tensor];
    return { updates: () => tf.gatherND(first(dy), indices), indices: () => tf.zerosLike(indices) };
  },
};

/** TopK: the values gradient goes back to the positions the values came from. */
const topKGrad: tf.GradConfig = {
  kernelName: 'TopK',
  inputsToSave: ['x'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved) => {
    const [x, indices] = saved as [tf.Tensor, tf.Tensor];
    return {
      x: () => {
        const n = x.shape[x.shape.length - 1]!;
        const k = indices.shape[indices.shape.length - 1]!;
        const rows = indices.size / Math.max(k, 1);
        const rowBase = tf.range(0, rows * n, n, 'int32').reshape([rows, 1]);
        const flat = tf.add(indices.reshape([rows, k]), rowBase);
        return scatterFlat(first(dy), flat, x.shape);
      },
    };
  },
};

/** SparseSegmentSum: data gradient = scatter-add of dy[segmentIds] to the gathered rows. */
const sparseSegmentSumGrad: tf.GradConfig = {
  kernelName: 'SparseSegmentSum',
  inputsToSave: ['data', 'indices', 'segmentIds'],
  gradFunc: (dy, saved) => {
    const [data, indices, segmentIds] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
    return {
      data: () => tf.unsortedSegmentSum(tf.gather(first(dy), segmentIds), indices as tf.Tensor1D, data.shape[0]!),
      indices: () => tf.zerosLike(indices),
      segmentIds: () => tf.zerosLike(segmentIds),
    };
  },
};

/** Comparisons and logical ops are piecewise constant: zero gradient (lets `where(cond(x), …)` backprop). */
function zeroGrad(kernelName: string, inputNames: string[]): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: inputNames,
    // The tape wants float32 gradients even for bool/int inputs.
    gradFunc: (_dy, saved) => Object.fromEntries(inputNames.map((name, i) => [name, () => tf.zeros(saved[i]!.shape)])),
  };
}

/** Sums a gradient over the axes its input was broadcast along, so it has the input's shape. */
export function reduceToShape(g: tf.Tensor, shape: number[]): tf.Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.shape.length - shape.length;
  let r = lead > 0 ? tf.sum(g, [...Array(lead).keys()]) : g;
  const ones = shape.map((d, i) => (d === 1 && r.shape[i] !== 1 ? i : -1)).filter((i) => i >= 0);
  if (ones.length > 0) r = tf.sum(r, ones, true);
  return r.reshape(shape);
}

/** Marker on gradient configs we wrapped, so wrapping happens once. */
const FIXED = Symbol.for('@lab/core/broadcast-grad-fix');

/**
 * tfjs 4.22 forgets to reduce over broadcast axes in the gradients of BatchMatMul (batched × unbatched),
 * Maximum, Minimum and SquaredDifference ("gradient of input 'b' has shape [3,5], which does not
 * match the shape of the input [5]"), on every backend. Wrap them: same maths, then reduce.
 */
export function fixBroadcastGradients(): void {
  for (const kernelName of ['BatchMatMul', 'Maximum', 'Minimum', 'SquaredDifference']) {
    const stock = tf.getGradient(kernelName) as (tf.GradConfig & { [FIXED]?: true }) | undefined;
    if (!stock || stock[FIXED] || !stock.inputsToSave) continue;
    const names = stock.inputsToSave;
    const fixed: tf.GradConfig & { [FIXED]?: true } = {
      ...stock,
      gradFunc: (dy, saved, attrs) => {
        const grads = stock.gradFunc(dy, saved, attrs);
        const out: Record<string, () => tf.Tensor> = {};
        for (const [name, fn] of Object.entries(grads)) {
          const input = saved[names.indexOf(name)];
          out[name] = input ? () => reduceToShape(fn(), input.shape) : fn;
        }
        return out;
      },
    };
    fixed[FIXED] = true;
    tf.registerGradient(fixed);
  }
}

/**
 * UnsortedSegmentSum: dx[i] = dy[ids[i]] (0 where ids[i] is out of range). Same maths as tfjs's
 * `gatherDropNegatives`, but with a float mask multiply instead of a broadcast bool `logicalAnd` +
 * `where`, which took 480 ms for 50k × 64 on WASM (this version: a gather and a multiply).
 */
export const unsortedSegmentSumGrad: tf.GradConfig = {
  kernelName: 'UnsortedSegmentSum',
  inputsToSave: ['segmentIds'],
  gradFunc: (dy, saved) => {
    const [segmentIds] = saved as [tf.Tensor];
    return {
      x: () => {
        const g = first(dy);
        const numSegments = g.shape[0]!;
        const clipped = tf.clipByValue(segmentIds, 0, numSegments - 1).toInt();
        const gathered = tf.gather(g, clipped); // [ids..., inner...]
        const valid = tf.logicalAnd(tf.greaterEqual(segmentIds, 0), tf.less(segmentIds, numSegments)).toFloat();
        const maskShape = [...segmentIds.shape, ...new Array(gathered.rank - segmentIds.rank).fill(1)];
        return tf.mul(gathered, valid.reshape(maskShape));
      },
      segmentIds: () => tf.zeros(segmentIds.shape),
    };
  },
};

export function gradientConfigs(): tf.GradConfig[] {
  const binary = ['a', 'b'];
  return [
    stridedSliceGrad,
    gatherNdGrad,
    scatterNdGrad,
    topKGrad,
    sparseSegmentSumGrad,
    einsumGradConfig,
    ...['Equal', 'NotEqual', 'Greater', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr'].map((k) => zeroGrad(k, binary)),
    zeroGrad('LogicalNot', ['x']),
  ];
}
