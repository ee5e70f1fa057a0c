import { LabError, Rng, assertInRange, strictOptions } from '@lab/core';
import { baShapes } from '@lab/graph';
import { defaultCbasOptions, type CbasOptions } from './config.js';
import { validateNodeGraph, type NodeGraph } from './graph.js';

/** The 4-d colour features of GOOD-CBAS (`good_cbas.py`): colour k is `CBAS_COLOURS[k]`. */
export const CBAS_COLOURS: readonly (readonly number[])[] = [
  [1, 0, 0, 0.5],
  [0, 1, 0, 0.7],
  [0, 0, 1, 0.3],
  [1, 1, 0, 0.2],
];

/**
 * A CBAS-like node-classification graph with a planted environment shift (a port of GOOD's
 * `good_cbas.py`, built on core's BA-shapes generator): a BA base graph plus house motifs, labels
 * 0 = base node and 1–3 = house roles; node features are a 4-d colour. The shuffled nodes are split
 * 60/20/20 into training (in equal environments), OOD validation and OOD test.
 */
export function cbasGraph(options: Partial<CbasOptions> = {}): NodeGraph {
  const o = strictOptions(options, defaultCbasOptions, 'cbasGraph options', {
    baseNodes: { min: 1, integer: true },
    m: { min: 1, integer: true },
    houses: { min: 0, integer: true },
    shift: ['concept', 'covariate'],
    trainFraction: { min: 0, max: 1, minExclusive: true, maxExclusive: true },
    valCorrelation: { min: 0, max: 1 },
    testCorrelation: { min: 0, max: 1 },
    split: ['allTrain', 'good'],
    randomEdges: { min: 0, integer: true },
  });
  assertInRange(o.valFraction, 'valFraction', {
    min: 0,
    max: 1 - o.trainFraction,
    minExclusive: true,
    maxExclusive: true,
  });
  if (o.trainCorrelations.length < 1)
    throw new LabError('EMPTY_INPUT', 'trainCorrelations: expected at least one training environment, got 0');
  for (const [k, r] of o.trainCorrelations.entries()) assertInRange(r, `trainCorrelations[${k}]`, { min: 0, max: 1 });

  const base = baShapes({ baseNodes: o.baseNodes, m: o.m, houses: o.houses, seed: o.seed });
  const n = base.numNodes;
  const y = Int32Array.from(base.nodeLabels!);
  const rng = new Rng(o.seed).fork('cbas');
  const order = rng.fork('split').permutation(n);
  const nTrain = Math.round(o.trainFraction * n);
  const nVal = Math.round(o.valFraction * n);
  const numEnvs = o.shift === 'concept' ? o.trainCorrelations.length : 2;
  const env = new Int32Array(n).fill(-1);
  const trainMask = new Uint8Array(n);
  const valMask = new Uint8Array(n);
  const testMask = new Uint8Array(n);
  const idValMask = o.split === 'good' ? new Uint8Array(n) : undefined;
  const colour = new Int32Array(n);
  const draw = rng.fork('colour');
  for (let rank = 0; rank < n; rank++) {
    const v = order[rank]!;
    let correlation: number;
    let fixedColour = -1;
    if (rank < nTrain) {
      // GOOD split: within the training environments, ranks 0, 3, 6, … train; 1, 4, … ID validation; 2, 5, … ID test.
      if (o.split === 'allTrain' || rank % 3 === 0) trainMask[v] = 1;
      else if (rank % 3 === 1) idValMask![v] = 1;
      // Equal environments over the training part of the shuffle.
      env[v] = Math.min(numEnvs - 1, Math.floor((rank * numEnvs) / nTrain));
      correlation = o.trainCorrelations[env[v]!] ?? 0;
      if (o.shift === 'covariate') fixedColour = env[v]!;
    } else if (rank < nTrain + nVal) {
      valMask[v] = 1;
      correlation = o.valCorrelation;
      if (o.shift === 'covariate') fixedColour = 2;
    } else {
      testMask[v] = 1;
      correlation = o.testCorrelation;
      if (o.shift === 'covariate') fixedColour = 3;
    }
    colour[v] = fixedColour >= 0 ? fixedColour : draw.next() < correlation ? y[v]! : draw.int(CBAS_COLOURS.length);
  }
  const x = new Float32Array(n * 4);
  for (let v = 0; v < n; v++) x.set(CBAS_COLOURS[colour[v]!]!, v * 4);
  const { src, dst } = o.randomEdges > 0 ? withRandomEdges(base, o.randomEdges, rng.fork('edges')) : base;
  const g: NodeGraph = {
    numNodes: n,
    src,
    dst,
    x,
    featDim: 4,
    y,
    numClasses: 4,
    env,
    trainMask,
    valMask,
    testMask,
    ...(idValMask ? { idValMask } : {}),
  };
  validateNodeGraph(g);
  return g;
}

/** Adds `count` undirected edges between uniform node pairs (no self-loops, no duplicates), both directions. */
function withRandomEdges(
  g: { numNodes: number; src: Int32Array; dst: Int32Array },
  count: number,
  rng: Rng,
): { src: Int32Array; dst: Int32Array } {
  const n = g.numNodes;
  const free = (n * (n - 1)) / 2 - g.src.length / 2;
  if (count > free)
    throw new LabError('OUT_OF_RANGE', `randomEdges: expected at most ${free} (the missing node pairs), got ${count}`);
  const seen = new Set<number>();
  for (let e = 0; e < g.src.length; e++) seen.add(g.src[e]! * n + g.dst[e]!);
  const src = Array.from(g.src);
  const dst = Array.from(g.dst);
  for (let added = 0; added < count;) {
    const u = rng.int(n);
    const v = rng.int(n);
    if (u === v || seen.has(u * n + v)) continue;
    seen.add(u * n + v);
    seen.add(v * n + u);
    src.push(u, v);
    dst.push(v, u);
    added++;
  }
  return { src: Int32Array.from(src), dst: Int32Array.from(dst) };
}

function fail(message: string): never {
  throw new LabError('MALFORMED_FILE', `GOOD json: ${message}`);
}

function numbers(value: unknown, name: string): number[] {
  if (!Array.isArray(value)) fail(`'${name}' must be an array, got ${value === null ? 'null' : typeof value}`);
  return (value as unknown[]).map((v, k) => {
    const num = typeof v === 'boolean' ? Number(v) : Array.isArray(v) && v.length === 1 ? Number(v[0]) : v;
    if (typeof num !== 'number' || Number.isNaN(num))
      fail(`'${name}'[${k}] must be a number, got ${JSON.stringify(v)}`);
    return num as number;
  });
}

function integers(value: unknown, name: string, min: number): number[] {
  const values = numbers(value, name);
  values.forEach((v, k) => {
    if (!Number.isInteger(v) || v < min) fail(`'${name}'[${k}] must be an integer >= ${min}, got ${v}`);
  });
  return values;
}

function mask(json: Record<string, unknown>, key: string, n: number, required: boolean): Uint8Array | undefined {
  if (json[key] === undefined) {
    if (required) fail(`missing '${key}'`);
    return undefined;
  }
  const values = numbers(json[key], key);
  if (values.length !== n) fail(`'${key}' has ${values.length} entries, expected ${n} (one per node)`);
  return Uint8Array.from(values, (v) => (v ? 1 : 0));
}

/**
 * Loads a node-classification graph exported from GOOD / PyG as JSON: `x` [N][F], `edge_index` [2][E],
 * `y` [N] (or [N][1]), `train_mask`, `val_mask` (OOD validation), `test_mask` (OOD test), optional
 * `id_val_mask`, and `env_id` [N] (environment of each training node; ignored elsewhere, where the
 * graph stores −1). Without `env_id`, every training node gets −1 (fine for ERM and CIA-LRA, which
 * need no environment labels; CIA, IRM, VREx, GroupDRO and Coral then refuse to train).
 * Masks may be booleans or 0/1. `num_classes` is optional (default max(y) + 1).
 */
export function loadGoodJson(json: unknown): NodeGraph {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    fail(`expected an object with x, edge_index, y and masks, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  const o = json as Record<string, unknown>;
  if (!Array.isArray(o.x) || o.x.length === 0) fail("'x' must be a non-empty [N][F] array");
  const rows = o.x as unknown[];
  const n = rows.length;
  const f = Array.isArray(rows[0]) ? (rows[0] as unknown[]).length : fail("'x' must be a [N][F] array of rows");
  if (f < 1) fail("'x' rows must hold at least one feature");
  // Every row is checked before the [N · F] buffer is allocated, so its size is bounded by what the file holds.
  const features = rows.map((row, i) => {
    const values = numbers(row, `x[${i}]`);
    if (values.length !== f) fail(`'x'[${i}] has ${values.length} features, expected ${f}`);
    return values;
  });
  const x = new Float32Array(n * f);
  features.forEach((values, i) => x.set(values, i * f));
  if (!Array.isArray(o.edge_index) || o.edge_index.length !== 2) fail("'edge_index' must be a [2][E] array");
  const src = Int32Array.from(integers((o.edge_index as unknown[])[0], 'edge_index[0]', 0));
  const dst = Int32Array.from(integers((o.edge_index as unknown[])[1], 'edge_index[1]', 0));
  const yValues = integers(o.y, 'y', 0);
  if (yValues.length !== n) fail(`'y' has ${yValues.length} entries, expected ${n} (one per row of x)`);
  const y = Int32Array.from(yValues);
  const maxLabel = yValues.reduce((a, b) => Math.max(a, b), 0);
  const numClasses = o.num_classes === undefined ? maxLabel + 1 : Number(o.num_classes);
  // The class count sets one-hot widths and per-class tables: a class needs at least one node, so at most N.
  if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > n)
    fail(
      `${o.num_classes === undefined ? "the class count (largest 'y' + 1)" : "'num_classes'"} must be an integer in [1, ${n}] (at most one class per node), got ${o.num_classes === undefined ? numClasses : JSON.stringify(o.num_classes)}`,
    );
  const trainMask = mask(o, 'train_mask', n, true)!;
  const valMask = mask(o, 'val_mask', n, true)!;
  const testMask = mask(o, 'test_mask', n, true)!;
  const idValMask = mask(o, 'id_val_mask', n, false);
  const env = new Int32Array(n).fill(-1);
  if (o.env_id !== undefined) {
    const e = integers(o.env_id, 'env_id', -1);
    if (e.length !== n) fail(`'env_id' has ${e.length} entries, expected ${n}`);
    for (let i = 0; i < n; i++) if (trainMask[i]) env[i] = e[i]!;
  }
  const g: NodeGraph = {
    numNodes: n,
    src,
    dst,
    x,
    featDim: f,
    y,
    numClasses,
    env,
    trainMask,
    valMask,
    testMask,
    ...(idValMask ? { idValMask } : {}),
  };
  validateNodeGraph(g);
  return g;
}
