import { LabError, Rng, assertInRange } from '@lab/core';
import { degreeOneHot, undirectedEdges, type Graph } from './graph.js';

/*
 * Seeded random-graph generators (plain TS, host memory). Edge lists are undirected pairs; graphs are
 * returned in the reverse-pair layout (u → v then v → u), so the reverse of edge k is edge k ^ 1.
 */

/** An undirected edge list over nodes 0..n-1. */
export type EdgePairs = [number, number][];

/** Erdős–Rényi G(n, p): every pair independently with probability p. */
export function erdosRenyiEdges(n: number, p: number, rng: Rng): EdgePairs {
  assertInRange(n, 'n', { min: 0, integer: true });
  assertInRange(p, 'p', { min: 0, max: 1 });
  const out: EdgePairs = [];
  for (let u = 0; u < n; u++) for (let v = u + 1; v < n; v++) if (rng.next() < p) out.push([u, v]);
  return out;
}

/**
 * Barabási–Albert preferential attachment (networkx's classic form): the first new node links to
 * nodes 0..m-1, and every later node links to m distinct nodes drawn with probability ∝ degree.
 */
export function barabasiAlbertEdges(n: number, m: number, rng: Rng): EdgePairs {
  assertInRange(m, 'm', { min: 1, integer: true });
  assertInRange(n, 'n', { min: m + 1, integer: true });
  const out: EdgePairs = [];
  const repeated: number[] = [];
  let targets = Array.from({ length: m }, (_, i) => i);
  for (let source = m; source < n; source++) {
    for (const t of targets) out.push([t, source]);
    repeated.push(...targets);
    for (let i = 0; i < m; i++) repeated.push(source);
    const chosen = new Set<number>();
    while (chosen.size < m) chosen.add(repeated[rng.int(repeated.length)]!);
    targets = [...chosen];
  }
  return out;
}

/** Watts–Strogatz small world: a ring where each node links to its k nearest neighbours (k even), each edge rewired with probability p. */
export function wattsStrogatzEdges(n: number, k: number, p: number, rng: Rng): EdgePairs {
  assertInRange(k, 'k', { min: 2, integer: true });
  assertInRange(n, 'n', { min: k + 1, integer: true });
  assertInRange(p, 'p', { min: 0, max: 1 });
  if (k % 2 !== 0) throw new LabError('INVALID_ARGUMENT', `k: expected an even number of ring neighbours, got ${k}`);
  const has = new Set<number>();
  const key = (u: number, v: number) => Math.min(u, v) * n + Math.max(u, v);
  const edges: EdgePairs = [];
  for (let u = 0; u < n; u++) for (let j = 1; j <= k / 2; j++) edges.push([u, (u + j) % n]);
  edges.forEach(([u, v]) => has.add(key(u, v)));
  for (const e of edges) {
    if (rng.next() >= p) continue;
    const [u, v] = e;
    let w = rng.int(n);
    let tries = 0;
    while ((w === u || has.has(key(u, w))) && tries++ < 4 * n) w = rng.int(n);
    if (w === u || has.has(key(u, w))) continue;
    has.delete(key(u, v));
    has.add(key(u, w));
    e[1] = w;
  }
  return edges.map(([u, v]) => [Math.min(u, v), Math.max(u, v)] as [number, number]);
}

/** Motif shapes that can be attached to a base graph. */
export type MotifKind = 'house' | 'cycle' | 'grid' | 'clique' | 'star';

/**
 * The edges of a motif and each node's role. `house` is PyG/GNNExplainer's: a square 0-1-2-3 with the roof
 * node 4 on 0 and 1; roles 1 (square corners under the roof), 2 (bottom corners), 3 (roof) — node 0 is
 * the one attached to the base. `cycle` (size ≥ 3, default 5), `grid` (3×3), `clique` (size, default 4) and
 * `star` (size leaves + centre, default 4) give every node role 1.
 */
export function motif(kind: MotifKind, size?: number): { numNodes: number; edges: EdgePairs; roles: number[] } {
  if (kind === 'house')
    return {
      numNodes: 5,
      edges: [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 0],
        [0, 4],
        [1, 4],
      ],
      roles: [1, 1, 2, 2, 3],
    };
  if (kind === 'cycle') {
    const n = size ?? 5;
    assertInRange(n, 'motif size', { min: 3, integer: true });
    return {
      numNodes: n,
      edges: Array.from({ length: n }, (_, i) => [i, (i + 1) % n] as [number, number]),
      roles: Array(n).fill(1),
    };
  }
  if (kind === 'grid') {
    const edges: EdgePairs = [];
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 3; c++) {
        if (c < 2) edges.push([r * 3 + c, r * 3 + c + 1]);
        if (r < 2) edges.push([r * 3 + c, (r + 1) * 3 + c]);
      }
    return { numNodes: 9, edges, roles: Array(9).fill(1) };
  }
  if (kind === 'clique') {
    const n = size ?? 4;
    assertInRange(n, 'motif size', { min: 2, integer: true });
    const edges: EdgePairs = [];
    for (let u = 0; u < n; u++) for (let v = u + 1; v < n; v++) edges.push([u, v]);
    return { numNodes: n, edges, roles: Array(n).fill(1) };
  }
  if (kind === 'star') {
    const leaves = size ?? 4;
    assertInRange(leaves, 'motif size', { min: 1, integer: true });
    return {
      numNodes: leaves + 1,
      edges: Array.from({ length: leaves }, (_, i) => [0, i + 1] as [number, number]),
      roles: Array(leaves + 1).fill(1),
    };
  }
  throw new LabError(
    'INVALID_ARGUMENT',
    `motif kind: expected one of 'house', 'cycle', 'grid', 'clique', 'star', got '${String(kind)}'`,
  );
}

/** Node features a generator can attach. */
export type GeneratedFeatures = 'constant' | 'degree';

function featuresFor(
  numNodes: number,
  pairs: EdgePairs,
  features: GeneratedFeatures,
  maxDegree: number,
): { x: Float32Array; featDim: number } {
  if (features === 'constant') return { x: new Float32Array(numNodes).fill(1), featDim: 1 };
  if (features === 'degree') {
    const { src, dst } = undirectedEdges(pairs);
    return { x: degreeOneHot({ numNodes, src, dst }, maxDegree), featDim: maxDegree + 1 };
  }
  throw new LabError('INVALID_ARGUMENT', `features: expected 'constant' or 'degree', got '${String(features)}'`);
}

/** Builds a {@link Graph} (reverse-pair layout) from undirected pairs. */
export function graphFromPairs(
  numNodes: number,
  pairs: EdgePairs,
  x: Float32Array,
  featDim: number,
  extra: Partial<Graph> = {},
): Graph {
  const { src, dst } = undirectedEdges(pairs);
  return { numNodes, featDim, x, src, dst, ...extra };
}

/** Options of {@link baShapes}; defaults are PyG's `BAShapes` / GNNExplainer's (300 base nodes, m = 5, 80 houses). */
export interface BAShapesOptions {
  baseNodes: number;
  /** Edges per new BA node. */
  m: number;
  houses: number;
  /** Extra uniformly random undirected edges (GNNExplainer perturbs with 0.1·N; default 0). */
  randomEdges: number;
  features: GeneratedFeatures;
  /** Degree cap of `'degree'` features. */
  maxDegree: number;
  seed: number;
}

export const defaultBAShapesOptions: BAShapesOptions = {
  baseNodes: 300,
  m: 5,
  houses: 80,
  randomEdges: 0,
  features: 'constant',
  maxDegree: 10,
  seed: 0,
};

/**
 * BA-shapes (Ying et al., NeurIPS 2019, "GNNExplainer", §5; PyG `BAShapes`): a Barabási–Albert base graph
 * with house motifs, each attached by one edge from a random base node to house node 0. Node labels:
 * 0 base, 1 square corners under the roof, 2 bottom corners, 3 roof. Returns the graph plus each
 * node's house index (−1 for base nodes). Default size: 300 + 80·5 = 700 nodes.
 */
export function baShapes(options: Partial<BAShapesOptions> = {}): Graph & { houseOf: Int32Array } {
  const o = { ...defaultBAShapesOptions, ...options };
  assertInRange(o.houses, 'houses', { min: 0, integer: true });
  assertInRange(o.randomEdges, 'randomEdges', { min: 0, integer: true });
  const rng = new Rng(o.seed);
  const pairs = barabasiAlbertEdges(o.baseNodes, o.m, rng.fork('base'));
  const house = motif('house');
  const n = o.baseNodes + o.houses * house.numNodes;
  const nodeLabels = new Int32Array(n);
  const houseOf = new Int32Array(n).fill(-1);
  const attach = rng.fork('attach');
  for (let h = 0; h < o.houses; h++) {
    const offset = o.baseNodes + h * house.numNodes;
    for (const [u, v] of house.edges) pairs.push([offset + u, offset + v]);
    house.roles.forEach((r, i) => {
      nodeLabels[offset + i] = r;
      houseOf[offset + i] = h;
    });
    pairs.push([attach.int(o.baseNodes), offset]);
  }
  const extra = rng.fork('random-edges');
  const present = new Set(pairs.map(([u, v]) => Math.min(u, v) * n + Math.max(u, v)));
  for (let added = 0, tries = 0; added < o.randomEdges && tries < 100 * o.randomEdges; tries++) {
    const u = extra.int(n);
    const v = extra.int(n);
    const key = Math.min(u, v) * n + Math.max(u, v);
    if (u === v || present.has(key)) continue;
    present.add(key);
    pairs.push([Math.min(u, v), Math.max(u, v)]);
    added++;
  }
  const { x, featDim } = featuresFor(n, pairs, o.features, o.maxDegree);
  return { ...graphFromPairs(n, pairs, x, featDim, { nodeLabels }), houseOf };
}

/** Options of {@link stochasticBlockModel}. */
export interface SBMOptions {
  /** Nodes per block (= class). */
  sizes: number[];
  /** Within-block edge probability, or a full symmetric block matrix via `probabilities`. */
  pIn: number;
  pOut: number;
  probabilities?: number[][];
  /** Gaussian features with class means `featureSignal · e_class` (dims ≥ classes) and unit noise (contextual SBM); 0 dims = constant feature. */
  featDim: number;
  featureSignal: number;
  seed: number;
}

export const defaultSBMOptions: SBMOptions = {
  sizes: [50, 50],
  pIn: 0.1,
  pOut: 0.01,
  featDim: 0,
  featureSignal: 1,
  seed: 0,
};

/** Stochastic block model (Holland et al., 1983) with optional class-dependent Gaussian features (contextual SBM); node labels = block. */
export function stochasticBlockModel(options: Partial<SBMOptions> = {}): Graph {
  const o = { ...defaultSBMOptions, ...options };
  if (o.sizes.length === 0) throw new LabError('EMPTY_INPUT', 'sizes: expected at least one block');
  const k = o.sizes.length;
  const P =
    o.probabilities ??
    Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => (a === b ? o.pIn : o.pOut)));
  if (P.length !== k || P.some((row) => row.length !== k))
    throw new LabError('SHAPE_MISMATCH', `probabilities: expected a ${k}×${k} matrix`);
  P.forEach((row, a) => row.forEach((p, b) => assertInRange(p, `probabilities[${a}][${b}]`, { min: 0, max: 1 })));
  const n = o.sizes.reduce((a, b) => a + b, 0);
  const nodeLabels = new Int32Array(n);
  let at = 0;
  o.sizes.forEach((s, c) => {
    assertInRange(s, `sizes[${c}]`, { min: 0, integer: true });
    nodeLabels.fill(c, at, at + s);
    at += s;
  });
  const rng = new Rng(o.seed);
  const edgeRng = rng.fork('edges');
  const pairs: EdgePairs = [];
  for (let u = 0; u < n; u++)
    for (let v = u + 1; v < n; v++) if (edgeRng.next() < P[nodeLabels[u]!]![nodeLabels[v]!]!) pairs.push([u, v]);
  let x: Float32Array;
  let featDim = o.featDim;
  if (featDim === 0) {
    x = new Float32Array(n).fill(1);
    featDim = 1;
  } else {
    if (featDim < k)
      throw new LabError('OUT_OF_RANGE', `featDim: expected 0 or at least the number of blocks (${k}), got ${featDim}`);
    const fr = rng.fork('features');
    x = fr.normalArray(n * featDim);
    for (let i = 0; i < n; i++) x[i * featDim + nodeLabels[i]!]! += o.featureSignal;
  }
  return graphFromPairs(n, pairs, x, featDim, { nodeLabels });
}

/** A family of random graphs for {@link graphClassificationDataset}. */
export type GraphFamily = 'er' | 'ba' | 'ws' | 'sbm' | 'ba-house' | 'ba-cycle' | 'ba-grid';

/** Options of {@link graphClassificationDataset}. */
export interface GraphDatasetOptions {
  numGraphs: number;
  /** One family per class; graph i gets class `i mod families.length` before shuffling. */
  families: GraphFamily[];
  minNodes: number;
  maxNodes: number;
  /** ER probability, BA attachment m, WS k/p; SBM uses two blocks with (pIn, pOut). */
  erP: number;
  baM: number;
  wsK: number;
  wsP: number;
  sbmPIn: number;
  sbmPOut: number;
  features: GeneratedFeatures;
  maxDegree: number;
  seed: number;
}

export const defaultGraphDatasetOptions: GraphDatasetOptions = {
  numGraphs: 200,
  families: ['ba-house', 'ba-cycle'],
  minNodes: 12,
  maxNodes: 20,
  erP: 0.2,
  baM: 1,
  wsK: 4,
  wsP: 0.1,
  sbmPIn: 0.5,
  sbmPOut: 0.05,
  features: 'constant',
  maxDegree: 6,
  seed: 0,
};

/**
 * A labelled set of random graphs whose class is their generating family: plain ER/BA/WS/two-block SBM
 * graphs, or BA graphs with a class motif attached to a random node (`ba-house`, `ba-cycle` (5-cycle),
 * `ba-grid`; BA-2motifs of Luo et al., NeurIPS 2020, "PGExplainer", with the defaults). Classes are balanced.
 * Each graph also records its motif nodes (`motifNodes`, empty for plain families).
 */
export function graphClassificationDataset(
  options: Partial<GraphDatasetOptions> = {},
): (Graph & { motifNodes: Int32Array })[] {
  const o = { ...defaultGraphDatasetOptions, ...options };
  assertInRange(o.numGraphs, 'numGraphs', { min: 1, integer: true });
  if (o.families.length === 0) throw new LabError('EMPTY_INPUT', 'families: expected at least one graph family');
  if (o.minNodes > o.maxNodes)
    throw new LabError('OUT_OF_RANGE', `minNodes: expected <= maxNodes (${o.maxNodes}), got ${o.minNodes}`);
  const rng = new Rng(o.seed);
  const out: (Graph & { motifNodes: Int32Array })[] = [];
  for (let i = 0; i < o.numGraphs; i++) {
    const label = i % o.families.length;
    const family = o.families[label]!;
    const r = rng.fork(i);
    const n = o.minNodes + r.int(o.maxNodes - o.minNodes + 1);
    let pairs: EdgePairs;
    let numNodes = n;
    let motifNodes = new Int32Array(0);
    if (family === 'er') pairs = erdosRenyiEdges(n, o.erP, r);
    else if (family === 'ba') pairs = barabasiAlbertEdges(n, o.baM, r);
    else if (family === 'ws') pairs = wattsStrogatzEdges(n, o.wsK, o.wsP, r);
    else if (family === 'sbm') {
      const half = Math.floor(n / 2);
      pairs = [];
      for (let u = 0; u < n; u++)
        for (let v = u + 1; v < n; v++)
          if (r.next() < (u < half === v < half ? o.sbmPIn : o.sbmPOut)) pairs.push([u, v]);
    } else if (family === 'ba-house' || family === 'ba-cycle' || family === 'ba-grid') {
      const m = motif(family === 'ba-house' ? 'house' : family === 'ba-cycle' ? 'cycle' : 'grid', 5);
      pairs = barabasiAlbertEdges(n, o.baM, r);
      for (const [u, v] of m.edges) pairs.push([n + u, n + v]);
      pairs.push([r.int(n), n]);
      numNodes = n + m.numNodes;
      motifNodes = Int32Array.from({ length: m.numNodes }, (_, j) => n + j);
    } else {
      throw new LabError(
        'INVALID_ARGUMENT',
        `families[${label}]: expected one of er, ba, ws, sbm, ba-house, ba-cycle, ba-grid, got '${String(family)}'`,
      );
    }
    const { x, featDim } = featuresFor(numNodes, pairs, o.features, o.maxDegree);
    out.push({ ...graphFromPairs(numNodes, pairs, x, featDim, { label }), motifNodes });
  }
  return rng.fork('order').shuffle(out);
}
