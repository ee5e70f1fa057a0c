import { LabError, strictOptions } from '@lab/core';
import { type Graph } from '@lab/graph';

/**
 * One node-classification graph with environment ids and OOD splits (the GOOD node-level layout): core's
 * {@link Graph} (`numNodes`, directed edges `src[k] → dst[k]` with both directions of every undirected
 * edge, row-major features `x` [N · featDim]) plus labels, environments and split masks.
 *
 * Plain typed arrays (no tensors), so a graph can be built, saved and shared without tfjs memory
 * bookkeeping; the trainer turns `x` into a tensor.
 */
export interface NodeGraph extends Graph {
  /** Labels in [0, numClasses) [N]. */
  y: Int32Array;
  numClasses: number;
  /** Environment (domain) id of each training node; −1 for nodes without one [N]. */
  env: Int32Array;
  /** 1 = training node [N]. */
  trainMask: Uint8Array;
  /** 1 = OOD validation node (model selection) [N]. */
  valMask: Uint8Array;
  /** 1 = OOD test node [N]. */
  testMask: Uint8Array;
  /** 1 = in-distribution validation node (optional) [N]. */
  idValMask?: Uint8Array;
}

/** Undirected simple adjacency in CSR form: neighbours of i are `indices[indptr[i] .. indptr[i+1])`, sorted, no self-loops. */
export interface Adjacency {
  numNodes: number;
  indptr: Int32Array;
  indices: Int32Array;
}

function checkLength(arr: ArrayLike<number>, expected: number, name: string): void {
  if (arr.length !== expected) {
    throw new LabError('SHAPE_MISMATCH', `${name}: expected length ${expected} (numNodes), got ${arr.length}`);
  }
}

/**
 * Checks a {@link NodeGraph}: lengths, edge ids in [0, N), labels in [0, C), finite features,
 * non-empty train / OOD-validation / OOD-test masks, and (when `undirected`) that every edge has its reverse.
 */
export function validateNodeGraph(g: NodeGraph, options: { undirected?: boolean } = {}): void {
  const { undirected } = strictOptions(options, { undirected: false }, 'validateNodeGraph options');
  if (typeof g !== 'object' || g === null)
    throw new LabError('INVALID_ARGUMENT', `graph: expected a NodeGraph object, got ${g === null ? 'null' : typeof g}`);
  const n = g.numNodes;
  if (!Number.isInteger(n) || n < 1)
    throw new LabError('OUT_OF_RANGE', `graph.numNodes: expected a positive integer, got ${n}`);
  if (g.src.length !== g.dst.length) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `graph.src / graph.dst: expected equal lengths, got ${g.src.length} and ${g.dst.length}`,
    );
  }
  for (let k = 0; k < g.src.length; k++) {
    const s = g.src[k]!;
    const d = g.dst[k]!;
    if (!(s >= 0 && s < n) || !(d >= 0 && d < n)) {
      throw new LabError('OUT_OF_RANGE', `graph edge ${k}: expected node ids in [0, ${n}), got ${s} → ${d}`);
    }
  }
  if (!Number.isInteger(g.featDim) || g.featDim < 1) {
    throw new LabError('OUT_OF_RANGE', `graph.featDim: expected a positive integer, got ${g.featDim}`);
  }
  if (g.x.length !== n * g.featDim) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `graph.x: expected ${n} × ${g.featDim} = ${n * g.featDim} values, got ${g.x.length}`,
    );
  }
  for (let i = 0; i < g.x.length; i++) {
    if (!Number.isFinite(g.x[i]!)) {
      throw new LabError(
        'NON_FINITE',
        `graph.x: expected finite features, found ${g.x[i]} at node ${Math.floor(i / g.featDim)}`,
      );
    }
  }
  checkLength(g.y, n, 'graph.y');
  checkLabels(g.y, g.numClasses, 'graph.y');
  checkLength(g.env, n, 'graph.env');
  const masks: [Uint8Array | undefined, string][] = [
    [g.trainMask, 'graph.trainMask'],
    [g.valMask, 'graph.valMask'],
    [g.testMask, 'graph.testMask'],
  ];
  for (const [mask, name] of masks) {
    if (!mask) throw new LabError('INVALID_ARGUMENT', `${name}: required`);
    checkLength(mask, n, name);
    if (!mask.some((v) => v !== 0))
      throw new LabError('EMPTY_INPUT', `${name}: expected at least one node in the split, got 0`);
  }
  if (g.idValMask) checkLength(g.idValMask, n, 'graph.idValMask');
  if (g.edgeWeight) {
    if (g.edgeWeight.length !== g.src.length) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `graph.edgeWeight: expected ${g.src.length} weights (one per directed edge), got ${g.edgeWeight.length}`,
      );
    }
    for (let k = 0; k < g.edgeWeight.length; k++) {
      if (!(Number.isFinite(g.edgeWeight[k]!) && g.edgeWeight[k]! >= 0))
        throw new LabError(
          'OUT_OF_RANGE',
          `graph.edgeWeight: expected finite weights >= 0, got ${g.edgeWeight[k]} at edge ${k}`,
        );
    }
  }
  if (undirected) {
    const seen = new Set<number>();
    for (let k = 0; k < g.src.length; k++) seen.add(g.src[k]! * n + g.dst[k]!);
    for (let k = 0; k < g.src.length; k++) {
      if (!seen.has(g.dst[k]! * n + g.src[k]!)) {
        throw new LabError(
          'INVALID_ARGUMENT',
          `graph edges: expected an undirected (symmetric) edge list, edge ${g.src[k]} → ${g.dst[k]} has no reverse`,
        );
      }
    }
  }
}

/** Checks labels are integers in [0, numClasses). */
export function checkLabels(y: ArrayLike<number>, numClasses: number, name: string): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new LabError('OUT_OF_RANGE', `numClasses: expected a positive integer, got ${numClasses}`);
  }
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new LabError('OUT_OF_RANGE', `${name}: expected labels in [0, ${numClasses}), got ${v} at node ${i}`);
    }
  }
}

/**
 * The undirected simple graph under the edge list: both directions, duplicates and self-loops dropped,
 * neighbours sorted. CIA-LRA's hop and label-distribution computations use this 0/1 adjacency (as the
 * official dense `A`).
 */
export function undirectedAdjacency(numNodes: number, src: ArrayLike<number>, dst: ArrayLike<number>): Adjacency {
  if (!Number.isInteger(numNodes) || numNodes < 1)
    throw new LabError('OUT_OF_RANGE', `numNodes: expected a positive integer, got ${numNodes}`);
  if (src.length !== dst.length)
    throw new LabError('SHAPE_MISMATCH', `src / dst: expected equal lengths, got ${src.length} and ${dst.length}`);
  for (let k = 0; k < src.length; k++) {
    const s = src[k]!;
    const d = dst[k]!;
    if (!(Number.isInteger(s) && s >= 0 && s < numNodes && Number.isInteger(d) && d >= 0 && d < numNodes))
      throw new LabError('OUT_OF_RANGE', `edge ${k}: expected node ids in [0, ${numNodes}), got ${s} → ${d}`);
  }
  const sets: number[][] = Array.from({ length: numNodes }, () => []);
  for (let k = 0; k < src.length; k++) {
    const s = src[k]!;
    const d = dst[k]!;
    if (s === d) continue;
    sets[s]!.push(d);
    sets[d]!.push(s);
  }
  const indptr = new Int32Array(numNodes + 1);
  const chunks: number[][] = [];
  for (let i = 0; i < numNodes; i++) {
    const sorted = sets[i]!.sort((a, b) => a - b).filter((v, k, arr) => k === 0 || arr[k - 1] !== v);
    chunks.push(sorted);
    indptr[i + 1] = indptr[i]! + sorted.length;
  }
  const indices = new Int32Array(indptr[numNodes]!);
  chunks.forEach((c, i) => indices.set(c, indptr[i]!));
  return { numNodes, indptr, indices };
}
