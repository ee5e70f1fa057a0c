import { LabError, tf } from '@lab/core';
import type { GraphStructure } from './graph.js';

/*
 * Message passing as gather + segment sum (PyG's `x[src]` then `scatter_add(…, dst)`).
 * tf.gather's gradient is tf.unsortedSegmentSum and vice versa, so both directions train on every
 * backend that has an `UnsortedSegmentSum` kernel; initBackend('wasm') registers the one stock
 * tfjs-backend-wasm lacks.
 */

function indexTensor(index: Int32Array | tf.Tensor1D): tf.Tensor1D {
  return index instanceof tf.Tensor ? index : tf.tensor1d(index, 'int32');
}

/**
 * Rows `x[index[k]]` — [E, D] from x [N, D]. Differentiable in x.
 * @example const messages = gatherNodes(h, g.src); // [E, D]
 */
export function gatherNodes(x: tf.Tensor2D, index: Int32Array | tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => tf.gather(x, indexTensor(index)) as tf.Tensor2D);
}

/**
 * Sums rows (or scalars) by segment: `out[s] = Σ_{k: segmentIds[k] = s} values[k]` — [numSegments, …].
 * Segments without rows are 0. Differentiable in `values`.
 */
export function segmentSum<T extends tf.Tensor1D | tf.Tensor2D>(
  values: T,
  segmentIds: Int32Array | tf.Tensor1D,
  numSegments: number,
): T {
  const numIds = segmentIds instanceof tf.Tensor ? segmentIds.shape[0] : segmentIds.length;
  if (values.shape[0] !== numIds) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `segmentIds: expected ${values.shape[0]} ids (one per row of values), got ${numIds}`,
    );
  }
  return tf.tidy(() => tf.unsortedSegmentSum(values, indexTensor(segmentIds), numSegments) as T);
}

/**
 * Weighted neighbourhood sum `out_i = Σ_{(j→i)} w_ji · x_j` — [N, D] (the "add" aggregation).
 * `edgeWeight` [E] defaults to 1; gradients flow into both `x` and `edgeWeight`.
 */
export function propagate(x: tf.Tensor2D, g: GraphStructure, edgeWeight?: tf.Tensor1D): tf.Tensor2D {
  checkFeatures(x, g, 'x');
  checkEdgeWeight(edgeWeight, g);
  return tf.tidy(() => {
    let messages = gatherNodes(x, g.src); // [E, D]
    if (edgeWeight) messages = tf.mul(messages, edgeWeight.reshape([-1, 1]));
    return segmentSum(messages, g.dst, g.numNodes); // [N, D]
  });
}

/** Mean over in-neighbours `out_i = Σ_{(j→i)} w_ji x_j / max(1, |{j → i}|)` — [N, D]. The divisor counts edges, so a down-weighted edge loses influence. */
export function propagateMean(x: tf.Tensor2D, g: GraphStructure, edgeWeight?: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    const count = new Float32Array(g.numNodes);
    for (let k = 0; k < g.dst.length; k++) count[g.dst[k]!]!++;
    for (let i = 0; i < count.length; i++) count[i] = 1 / Math.max(1, count[i]!);
    return tf.mul(propagate(x, g, edgeWeight), tf.tensor2d(count, [g.numNodes, 1]));
  });
}

/**
 * Softmax of edge scores over the edges entering each node (PyG `softmax(…, index)`) — [E, H].
 * The per-segment maximum is subtracted for stability (as a constant, read on the host).
 */
export function segmentSoftmax(scores: tf.Tensor2D, segmentIds: Int32Array, numSegments: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [e, h] = scores.shape;
    const vals = scores.dataSync();
    const maxes = new Float32Array(numSegments * h).fill(-Infinity);
    for (let k = 0; k < e; k++) {
      const s = segmentIds[k]!;
      for (let c = 0; c < h; c++) maxes[s * h + c] = Math.max(maxes[s * h + c]!, vals[k * h + c]!);
    }
    const shift = new Float32Array(e * h);
    for (let k = 0; k < e; k++) for (let c = 0; c < h; c++) shift[k * h + c] = maxes[segmentIds[k]! * h + c]!;
    const ex = tf.exp(tf.sub(scores, tf.tensor2d(shift, [e, h]))) as tf.Tensor2D; // [E, H]
    const denom = segmentSum(ex, segmentIds, numSegments); // [N, H]
    return tf.div(ex, gatherNodes(denom, segmentIds)) as tf.Tensor2D;
  });
}

function checkFeatures(x: tf.Tensor, g: GraphStructure, name: string): void {
  if (x.rank !== 2 || x.shape[0] !== g.numNodes) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: expected shape [${g.numNodes}, D] (one row per node), got [${x.shape.join(', ')}]`,
    );
  }
}

export function checkEdgeWeight(w: tf.Tensor | undefined, g: GraphStructure): void {
  if (w !== undefined && (w.rank !== 1 || w.shape[0] !== g.src.length)) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `edgeWeight: expected shape [${g.src.length}] (one per directed edge), got [${w.shape.join(', ')}]`,
    );
  }
}

function checkBatch(h: tf.Tensor2D, batch: Int32Array, numGraphs: number): void {
  if (batch.length !== h.shape[0])
    throw new LabError('SHAPE_MISMATCH', `batch: expected ${h.shape[0]} graph ids (one per node), got ${batch.length}`);
  for (let i = 0; i < batch.length; i++) {
    if (batch[i]! < 0 || batch[i]! >= numGraphs)
      throw new LabError('OUT_OF_RANGE', `batch[${i}]: expected a graph id in [0, ${numGraphs}), got ${batch[i]}`);
  }
}

/** Sum of node rows per graph (GIN's readout) — [numGraphs, D]. */
export function globalSumPool(h: tf.Tensor2D, batch: Int32Array, numGraphs: number): tf.Tensor2D {
  checkBatch(h, batch, numGraphs);
  return segmentSum(h, batch, numGraphs);
}

/** Mean of node rows per graph — [numGraphs, D]; an empty graph gives 0. */
export function globalMeanPool(h: tf.Tensor2D, batch: Int32Array, numGraphs: number): tf.Tensor2D {
  checkBatch(h, batch, numGraphs);
  return tf.tidy(() => {
    const count = new Float32Array(numGraphs);
    for (let i = 0; i < batch.length; i++) count[batch[i]!]!++;
    for (let gi = 0; gi < numGraphs; gi++) count[gi] = 1 / Math.max(1, count[gi]!);
    return tf.mul(segmentSum(h, batch, numGraphs), tf.tensor2d(count, [numGraphs, 1]));
  });
}

/**
 * Feature-wise max of node rows per graph — [numGraphs, D]; an empty graph gives 0.
 * Nodes are gathered into a padded [numGraphs, nMax, D] block whose padding is −1e9 (not −Infinity,
 * which would turn the gradient into NaN), then reduced.
 */
export function globalMaxPool(h: tf.Tensor2D, batch: Int32Array, numGraphs: number): tf.Tensor2D {
  checkBatch(h, batch, numGraphs);
  return tf.tidy(() => {
    const [n, d] = h.shape;
    const members: number[][] = Array.from({ length: numGraphs }, () => []);
    for (let i = 0; i < n; i++) members[batch[i]!]!.push(i);
    const nMax = members.reduce((mx, m) => Math.max(mx, m.length), 1);
    const slot = new Int32Array(numGraphs * nMax).fill(n); // row n is the padding row
    members.forEach((m, gi) => m.forEach((node, s) => (slot[gi * nMax + s] = node)));
    const padded = tf.concat([h, tf.fill([1, d], -1e9)], 0) as tf.Tensor2D; // [N+1, D]
    const pooled = gatherNodes(padded, slot).reshape([numGraphs, nMax, d]).max(1) as tf.Tensor2D; // [G, D]
    const nonEmpty = tf.broadcastTo(
      tf.tensor2d(
        members.map((m) => (m.length > 0 ? 1 : 0)),
        [numGraphs, 1],
        'bool',
      ),
      [numGraphs, d],
    );
    return tf.where(nonEmpty, pooled, tf.zerosLike(pooled)) as tf.Tensor2D;
  });
}

/** Pooling by name: `'sum'` (GIN), `'mean'` (GCN) or `'max'`. */
export type PoolingKind = 'sum' | 'mean' | 'max';

/** {@link globalSumPool}, {@link globalMeanPool} or {@link globalMaxPool} by name — [numGraphs, D]. */
export function globalPool(h: tf.Tensor2D, batch: Int32Array, numGraphs: number, kind: PoolingKind): tf.Tensor2D {
  if (kind === 'sum') return globalSumPool(h, batch, numGraphs);
  if (kind === 'mean') return globalMeanPool(h, batch, numGraphs);
  if (kind === 'max') return globalMaxPool(h, batch, numGraphs);
  throw new LabError('INVALID_ARGUMENT', `pooling: expected one of 'sum', 'mean', 'max', got '${String(kind)}'`);
}
