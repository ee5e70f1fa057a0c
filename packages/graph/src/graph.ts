import { LabError, tf } from '@lab/core';

/**
 * The edge structure message passing needs: `numNodes` and the directed edges `src[k] → dst[k]`
 * (messages flow from `src` to `dst`, PyG's `edge_index[0] → edge_index[1]`). An undirected edge is
 * stored in both directions.
 */
export interface GraphStructure {
  numNodes: number;
  /** Sources of the directed edges, `edgeIndex[0]` — [E]. */
  src: Int32Array;
  /** Targets of the directed edges, `edgeIndex[1]` — [E]. */
  dst: Int32Array;
}

/**
 * One graph held in host memory (plain typed arrays, no tensors to dispose).
 * Node features are row-major `[numNodes, featDim]`.
 */
export interface Graph extends GraphStructure {
  featDim: number;
  /** Node features, row-major — [numNodes · featDim]. */
  x: Float32Array;
  /** Optional weight of each directed edge — [E] (absent = all 1). */
  edgeWeight?: Float32Array;
  /** Graph-level class (graph classification). */
  label?: number;
  /** Node-level classes (node classification) — [numNodes]. */
  nodeLabels?: Int32Array;
}

/** Many graphs stored as one disjoint graph; node ids are offset so graph g owns nodes `ptr[g] .. ptr[g+1]-1`. */
export interface GraphBatch extends Graph {
  numGraphs: number;
  /** Graph id of every node, sorted — [numNodes]. */
  batch: Int32Array;
  /** Node offsets — [numGraphs + 1]. */
  ptr: Int32Array;
  /** Edge offsets (edges stay grouped by graph) — [numGraphs + 1]. */
  edgePtr: Int32Array;
  /** Graph labels, when every graph has one — [numGraphs]. */
  labels?: Int32Array;
}

/** What {@link validateGraph} rejects beyond the structural checks. */
export interface GraphValidationOptions {
  /** `'error'` rejects edges `v → v` (default `'allow'`). */
  selfLoops?: 'allow' | 'error';
  /** `'error'` rejects repeated directed edges (default `'allow'`). */
  duplicates?: 'allow' | 'error';
  /** Require every edge `u → v` to have its reverse `v → u` (default false). */
  undirected?: boolean;
  /** Require the layout `src[2k+1] = dst[2k]`, `dst[2k+1] = src[2k]` (reverse edge of k is k^1; default false). */
  reversePairs?: boolean;
  /** Check features for NaN/Infinity (default true). */
  checkFinite?: boolean;
}

function isIntegerArray(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isInteger(a[i])) return false;
  return true;
}

/**
 * Checks a graph's structure and throws a {@link LabError} naming the argument on the first problem:
 * `src`/`dst` lengths, node ids outside `[0, numNodes)`, feature and edge-weight sizes, NaN features,
 * node labels, and (by option) self-loops, duplicate edges, symmetry and the reverse-pair layout.
 */
export function validateGraph(g: Graph | GraphStructure, name = 'graph', options: GraphValidationOptions = {}): void {
  const {
    selfLoops = 'allow',
    duplicates = 'allow',
    undirected = false,
    reversePairs = false,
    checkFinite = true,
  } = options;
  const n = g.numNodes;
  if (!Number.isInteger(n) || n < 0)
    throw new LabError('INVALID_ARGUMENT', `${name}.numNodes: expected a non-negative integer, got ${n}`);
  if (!(g.src instanceof Int32Array) || !(g.dst instanceof Int32Array)) {
    throw new LabError(
      'DTYPE_MISMATCH',
      `${name}.src/dst: expected Int32Array, got ${g.src?.constructor?.name} and ${g.dst?.constructor?.name}`,
    );
  }
  if (g.src.length !== g.dst.length) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: src and dst must have the same length (edgeIndex [2, E]), got ${g.src.length} and ${g.dst.length}`,
    );
  }
  const e = g.src.length;
  for (let k = 0; k < e; k++) {
    const u = g.src[k]!;
    const v = g.dst[k]!;
    if (u < 0 || u >= n || v < 0 || v >= n) {
      throw new LabError('OUT_OF_RANGE', `${name}: edge ${k} (${u} → ${v}) has a node id outside [0, ${n})`);
    }
    if (selfLoops === 'error' && u === v)
      throw new LabError('INVALID_ARGUMENT', `${name}: edge ${k} is a self-loop ${u} → ${v} (selfLoops: 'error')`);
  }
  if (reversePairs) {
    if (e % 2 !== 0)
      throw new LabError('INVALID_ARGUMENT', `${name}: the reverse-pair layout needs an even edge count, got ${e}`);
    for (let k = 0; k < e; k += 2) {
      if (g.src[k + 1] !== g.dst[k] || g.dst[k + 1] !== g.src[k]) {
        throw new LabError(
          'INVALID_ARGUMENT',
          `${name}: edge ${k + 1} must reverse edge ${k} (${g.src[k]} → ${g.dst[k]}), got ${g.src[k + 1]} → ${g.dst[k + 1]}`,
        );
      }
    }
  }
  if (duplicates === 'error' || undirected) {
    const seen = new Set<number>();
    for (let k = 0; k < e; k++) {
      const key = g.src[k]! * n + g.dst[k]!;
      if (duplicates === 'error' && seen.has(key)) {
        throw new LabError(
          'INVALID_ARGUMENT',
          `${name}: edge ${k} (${g.src[k]} → ${g.dst[k]}) is a duplicate (duplicates: 'error')`,
        );
      }
      seen.add(key);
    }
    if (undirected) {
      for (let k = 0; k < e; k++) {
        if (!seen.has(g.dst[k]! * n + g.src[k]!)) {
          throw new LabError(
            'INVALID_ARGUMENT',
            `${name}: edge ${k} (${g.src[k]} → ${g.dst[k]}) has no reverse edge, but an undirected graph is required`,
          );
        }
      }
    }
  }
  if (!('featDim' in g)) return;
  if (!Number.isInteger(g.featDim) || g.featDim < 0)
    throw new LabError('INVALID_ARGUMENT', `${name}.featDim: expected a non-negative integer, got ${g.featDim}`);
  if (!(g.x instanceof Float32Array))
    throw new LabError(
      'DTYPE_MISMATCH',
      `${name}.x: expected a Float32Array, got ${(g.x as unknown)?.constructor?.name}`,
    );
  if (g.x.length !== n * g.featDim) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}.x: expected ${n} × ${g.featDim} = ${n * g.featDim} values, got ${g.x.length}`,
    );
  }
  if (checkFinite) {
    for (let i = 0; i < g.x.length; i++) {
      if (!Number.isFinite(g.x[i])) {
        throw new LabError(
          'NON_FINITE',
          `${name}.x: expected finite features, found ${g.x[i]} at node ${Math.floor(i / g.featDim)}, feature ${i % g.featDim}`,
        );
      }
    }
  }
  if (g.edgeWeight !== undefined && g.edgeWeight.length !== e) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}.edgeWeight: expected ${e} values (one per directed edge), got ${g.edgeWeight.length}`,
    );
  }
  if (g.nodeLabels !== undefined) {
    if (g.nodeLabels.length !== n)
      throw new LabError('SHAPE_MISMATCH', `${name}.nodeLabels: expected ${n} labels, got ${g.nodeLabels.length}`);
  }
  if (g.label !== undefined && !Number.isInteger(g.label))
    throw new LabError('INVALID_ARGUMENT', `${name}.label: expected an integer class, got ${g.label}`);
}

/** Input accepted by {@link makeGraph}. */
export interface GraphInit {
  numNodes: number;
  /** `[2, E]` as nested arrays `[[src…], [dst…]]`, or a flat `Int32Array` of length 2E laid out row-major. */
  edgeIndex: readonly (readonly number[])[] | Int32Array;
  /** Node features as rows `[numNodes][featDim]` or a flat row-major array (then `featDim` is required). */
  x?: readonly (readonly number[])[] | Float32Array;
  featDim?: number;
  edgeWeight?: ArrayLike<number>;
  label?: number;
  nodeLabels?: ArrayLike<number>;
}

/**
 * Builds and validates a {@link Graph} from friendly inputs (nested arrays or typed arrays).
 * Node ids must be integers; without features every node gets the single constant feature 1.
 * @example
 * const g = makeGraph({ numNodes: 3, edgeIndex: [[0, 1, 1, 2], [1, 0, 2, 1]], x: [[1], [0], [1]] });
 */
export function makeGraph(init: GraphInit, name = 'graph', options: GraphValidationOptions = {}): Graph {
  const n = init.numNodes;
  let src: Int32Array;
  let dst: Int32Array;
  if (init.edgeIndex instanceof Int32Array) {
    if (init.edgeIndex.length % 2 !== 0)
      throw new LabError('SHAPE_MISMATCH', `${name}.edgeIndex: expected 2·E values, got ${init.edgeIndex.length}`);
    const e = init.edgeIndex.length / 2;
    src = init.edgeIndex.slice(0, e);
    dst = init.edgeIndex.slice(e);
  } else {
    if (init.edgeIndex.length !== 2)
      throw new LabError(
        'SHAPE_MISMATCH',
        `${name}.edgeIndex: expected shape [2, E], got ${init.edgeIndex.length} rows`,
      );
    const [s, d] = init.edgeIndex as [readonly number[], readonly number[]];
    if (s.length !== d.length)
      throw new LabError('SHAPE_MISMATCH', `${name}.edgeIndex: rows differ in length (${s.length} vs ${d.length})`);
    if (!isIntegerArray(s) || !isIntegerArray(d))
      throw new LabError('INVALID_ARGUMENT', `${name}.edgeIndex: expected integer node ids, found a non-integer`);
    src = Int32Array.from(s);
    dst = Int32Array.from(d);
  }
  let x: Float32Array;
  let featDim: number;
  if (init.x === undefined) {
    featDim = 1;
    x = new Float32Array(n).fill(1);
  } else if (init.x instanceof Float32Array) {
    if (init.featDim === undefined)
      throw new LabError('INVALID_ARGUMENT', `${name}.featDim: required when x is a flat Float32Array`);
    featDim = init.featDim;
    x = init.x;
  } else {
    featDim = init.featDim ?? init.x[0]?.length ?? 0;
    x = new Float32Array(n * featDim);
    if (init.x.length !== n)
      throw new LabError('SHAPE_MISMATCH', `${name}.x: expected ${n} rows, got ${init.x.length}`);
    init.x.forEach((row, i) => {
      if (row.length !== featDim)
        throw new LabError('SHAPE_MISMATCH', `${name}.x: row ${i} has ${row.length} features, expected ${featDim}`);
      x.set(row, i * featDim);
    });
  }
  const g: Graph = { numNodes: n, featDim, x, src, dst };
  if (init.edgeWeight !== undefined) g.edgeWeight = Float32Array.from(init.edgeWeight);
  if (init.label !== undefined) g.label = init.label;
  if (init.nodeLabels !== undefined) {
    if (!isIntegerArray(init.nodeLabels))
      throw new LabError('INVALID_ARGUMENT', `${name}.nodeLabels: expected integer classes`);
    g.nodeLabels = Int32Array.from(init.nodeLabels);
  }
  validateGraph(g, name, options);
  return g;
}

/**
 * Directed edge arrays in the reverse-pair layout from undirected pairs: `u → v` then `v → u` for each
 * pair, so the reverse of edge k is edge `k ^ 1` (what edge-mask symmetrisation relies on).
 */
export function undirectedEdges(pairs: readonly (readonly [number, number])[]): { src: Int32Array; dst: Int32Array } {
  const src = new Int32Array(2 * pairs.length);
  const dst = new Int32Array(2 * pairs.length);
  pairs.forEach(([u, v], k) => {
    src[2 * k] = u;
    dst[2 * k] = v;
    src[2 * k + 1] = v;
    dst[2 * k + 1] = u;
  });
  return { src, dst };
}

/** The undirected pairs `u < v` of a graph whose edges come in both directions (each pair once, sorted). */
export function undirectedPairs(g: GraphStructure): [number, number][] {
  const seen = new Set<number>();
  const out: [number, number][] = [];
  for (let k = 0; k < g.src.length; k++) {
    const u = Math.min(g.src[k]!, g.dst[k]!);
    const v = Math.max(g.src[k]!, g.dst[k]!);
    const key = u * g.numNodes + v;
    if (!seen.has(key)) {
      seen.add(key);
      out.push([u, v]);
    }
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** In-degree of every node, `Σ_{(j→i)} w_ji` (edge count when unweighted) — [numNodes]. */
export function inDegree(g: GraphStructure, edgeWeight?: ArrayLike<number>): Float32Array {
  const deg = new Float32Array(g.numNodes);
  for (let k = 0; k < g.dst.length; k++) deg[g.dst[k]!]! += edgeWeight ? edgeWeight[k]! : 1;
  return deg;
}

/** One-hot degree features (degree capped at `maxDegree`), `[numNodes, maxDegree + 1]` row-major, as used by SBA/GIN baselines. */
export function degreeOneHot(g: GraphStructure, maxDegree: number): Float32Array {
  const deg = inDegree(g);
  const out = new Float32Array(g.numNodes * (maxDegree + 1));
  for (let i = 0; i < g.numNodes; i++) out[i * (maxDegree + 1) + Math.min(maxDegree, deg[i]!)] = 1;
  return out;
}

/**
 * Hop distances from `source` by breadth-first search over the directed edges (`Infinity` when
 * unreachable or farther than `maxHops`) — [numNodes].
 */
export function bfsDistances(g: GraphStructure, source: number, maxHops = Infinity): Float64Array {
  const { rowPtr, cols } = csr(g);
  const dist = new Float64Array(g.numNodes).fill(Infinity);
  dist[source] = 0;
  let frontier = [source];
  for (let hop = 1; hop <= maxHops && frontier.length > 0; hop++) {
    const next: number[] = [];
    for (const u of frontier) {
      for (let k = rowPtr[u]!; k < rowPtr[u + 1]!; k++) {
        const v = cols[k]!;
        if (dist[v] === Infinity) {
          dist[v] = hop;
          next.push(v);
        }
      }
    }
    frontier = next;
  }
  return dist;
}

/** Compressed sparse rows of the out-edges: the neighbours of u are `cols[rowPtr[u] .. rowPtr[u+1])`, and `edge` maps back to edge ids. */
export function csr(g: GraphStructure): { rowPtr: Int32Array; cols: Int32Array; edge: Int32Array } {
  const rowPtr = new Int32Array(g.numNodes + 1);
  for (let k = 0; k < g.src.length; k++) rowPtr[g.src[k]! + 1]!++;
  for (let i = 0; i < g.numNodes; i++) rowPtr[i + 1]! += rowPtr[i]!;
  const fill = rowPtr.slice(0, g.numNodes);
  const cols = new Int32Array(g.src.length);
  const edge = new Int32Array(g.src.length);
  for (let k = 0; k < g.src.length; k++) {
    const at = fill[g.src[k]!]!++;
    cols[at] = g.dst[k]!;
    edge[at] = k;
  }
  return { rowPtr, cols, edge };
}

/**
 * Stacks graphs into one disjoint graph (PyG's `Batch.from_data_list`): node ids are offset, features
 * concatenated, edges kept grouped by graph, and `batch[i]` gives node i's graph. Graph labels are
 * collected when every graph has one; node labels when every graph has them. All graphs must share `featDim`.
 */
export function batchGraphs(graphs: readonly Graph[], name = 'graphs'): GraphBatch {
  if (graphs.length === 0) throw new LabError('EMPTY_INPUT', `${name}: expected at least one graph, got 0`);
  const featDim = graphs[0]!.featDim;
  let numNodes = 0;
  let numEdges = 0;
  graphs.forEach((g, i) => {
    if (g.featDim !== featDim)
      throw new LabError('SHAPE_MISMATCH', `${name}[${i}].featDim: expected ${featDim} (as graph 0), got ${g.featDim}`);
    numNodes += g.numNodes;
    numEdges += g.src.length;
  });
  const x = new Float32Array(numNodes * featDim);
  const src = new Int32Array(numEdges);
  const dst = new Int32Array(numEdges);
  const batch = new Int32Array(numNodes);
  const ptr = new Int32Array(graphs.length + 1);
  const edgePtr = new Int32Array(graphs.length + 1);
  const anyWeight = graphs.some((g) => g.edgeWeight !== undefined);
  const edgeWeight = anyWeight ? new Float32Array(numEdges).fill(1) : undefined;
  const allLabels = graphs.every((g) => g.label !== undefined);
  const allNodeLabels = graphs.every((g) => g.nodeLabels !== undefined);
  const labels = allLabels ? new Int32Array(graphs.length) : undefined;
  const nodeLabels = allNodeLabels ? new Int32Array(numNodes) : undefined;
  let nodeOffset = 0;
  let edgeOffset = 0;
  graphs.forEach((g, gi) => {
    x.set(g.x, nodeOffset * featDim);
    for (let k = 0; k < g.src.length; k++) {
      src[edgeOffset + k] = g.src[k]! + nodeOffset;
      dst[edgeOffset + k] = g.dst[k]! + nodeOffset;
    }
    if (edgeWeight && g.edgeWeight) edgeWeight.set(g.edgeWeight, edgeOffset);
    batch.fill(gi, nodeOffset, nodeOffset + g.numNodes);
    if (labels) labels[gi] = g.label!;
    if (nodeLabels) nodeLabels.set(g.nodeLabels!, nodeOffset);
    nodeOffset += g.numNodes;
    edgeOffset += g.src.length;
    ptr[gi + 1] = nodeOffset;
    edgePtr[gi + 1] = edgeOffset;
  });
  const out: GraphBatch = { numNodes, featDim, x, src, dst, batch, ptr, edgePtr, numGraphs: graphs.length };
  if (edgeWeight) out.edgeWeight = edgeWeight;
  if (labels) out.labels = labels;
  if (nodeLabels) out.nodeLabels = nodeLabels;
  return out;
}

/** Node features as a tensor `[numNodes, featDim]` (caller disposes). */
export function nodeFeatures(g: Graph): tf.Tensor2D {
  return tf.tensor2d(g.x, [g.numNodes, g.featDim], 'float32');
}

/** `edgeIndex` as an int32 tensor `[2, E]` (caller disposes). */
export function edgeIndexTensor(g: GraphStructure): tf.Tensor2D {
  const flat = new Int32Array(2 * g.src.length);
  flat.set(g.src, 0);
  flat.set(g.dst, g.src.length);
  return tf.tensor2d(flat, [2, g.src.length], 'int32');
}
