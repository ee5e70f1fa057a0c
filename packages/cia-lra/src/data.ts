import { LabError, Rng, assertInRange, assertOneOf } from '@lab/core';
import { baShapes } from '@lab/graph';
import { validateNodeGraph, type NodeGraph } from './graph.js';

/** The 4-d colour features of GOOD-CBAS (`good_cbas.py`): colour k is `CBAS_COLOURS[k]`. */
export const CBAS_COLOURS: readonly (readonly number[])[] = [
  [1, 0, 0, 0.5],
  [0, 1, 0, 0.7],
  [0, 0, 1, 0.3],
  [1, 1, 0, 0.2],
];

/** Options of {@link cbasGraph}. */
export interface CbasOptions {
  /** Barabási–Albert base nodes (GOOD-CBAS: 300; `--scale large`: 1200). */
  baseNodes: number;
  /** Edges per new BA node (5). */
  m: number;
  /** Five-node houses attached to the base (GOOD-CBAS: 80; large: 320). */
  houses: number;
  /**
   * `'concept'`: colour = label with probability r_e (training envs [0.95, 0.9, 0.85, 0.8, 0.75], OOD
   * validation 0.3, test 0.0), otherwise a uniform colour, so the colour is a spurious shortcut whose
   * correlation with the label breaks at test time. `'covariate'`: the colour is the environment itself
   * and independent of the label; training envs see colours 0–1, validation colour 2, test colour 3.
   */
  shift: 'concept' | 'covariate';
  /** Probability colour = label per training environment (concept shift); its length is the number of environments. */
  trainCorrelations: readonly number[];
  valCorrelation: number;
  testCorrelation: number;
  /** Fractions of shuffled nodes in train / OOD validation (the rest is OOD test). */
  trainFraction: number;
  valFraction: number;
  /** Seed of the graph, the split and the colours (the miniature uses data seed = model seed). */
  seed: number;
}

/** Defaults of {@link cbasGraph}: GOOD-CBAS size (700 nodes), concept shift, 60/20/20 split, 5 environments. */
export const defaultCbasOptions: CbasOptions = Object.freeze({
  baseNodes: 300,
  m: 5,
  houses: 80,
  shift: 'concept',
  trainCorrelations: [0.95, 0.9, 0.85, 0.8, 0.75],
  valCorrelation: 0.3,
  testCorrelation: 0,
  trainFraction: 0.6,
  valFraction: 0.2,
  seed: 0,
});

/**
 * A CBAS-like node-classification graph with a planted environment shift (a port of GOOD's
 * `good_cbas.py`, built on core's BA-shapes generator): a BA base graph plus house motifs, labels
 * 0 = base node and 1–3 = house roles; node features are a 4-d colour. The shuffled nodes are split
 * 60/20/20 into training (in equal environments), OOD validation and OOD test.
 */
export function cbasGraph(options: Partial<CbasOptions> = {}): NodeGraph {
  const o = { ...defaultCbasOptions, ...options };
  assertOneOf(o.shift, ['concept', 'covariate'] as const, 'shift');
  assertInRange(o.trainFraction, 'trainFraction', { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  assertInRange(o.valFraction, 'valFraction', {
    min: 0,
    max: 1 - o.trainFraction,
    minExclusive: true,
    maxExclusive: true,
  });
  if (o.trainCorrelations.length < 1)
    throw new LabError('EMPTY_INPUT', 'trainCorrelations: expected at least one training environment, got 0');
  for (const [k, r] of o.trainCorrelations.entries()) assertInRange(r, `trainCorrelations[${k}]`, { min: 0, max: 1 });
  assertInRange(o.valCorrelation, 'valCorrelation', { min: 0, max: 1 });
  assertInRange(o.testCorrelation, 'testCorrelation', { min: 0, max: 1 });

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
  const colour = new Int32Array(n);
  const draw = rng.fork('colour');
  for (let rank = 0; rank < n; rank++) {
    const v = order[rank]!;
    let correlation: number;
    let fixedColour = -1;
    if (rank < nTrain) {
      trainMask[v] = 1;
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
  const g: NodeGraph = {
    numNodes: n,
    src: base.src,
    dst: base.dst,
    x,
    featDim: 4,
    y,
    numClasses: 4,
    env,
    trainMask,
    valMask,
    testMask,
  };
  validateNodeGraph(g);
  return g;
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
  const x = new Float32Array(n * f);
  rows.forEach((row, i) => {
    const values = numbers(row, `x[${i}]`);
    if (values.length !== f) fail(`'x'[${i}] has ${values.length} features, expected ${f}`);
    x.set(values, i * f);
  });
  if (!Array.isArray(o.edge_index) || o.edge_index.length !== 2) fail("'edge_index' must be a [2][E] array");
  const src = Int32Array.from(numbers((o.edge_index as unknown[])[0], 'edge_index[0]'));
  const dst = Int32Array.from(numbers((o.edge_index as unknown[])[1], 'edge_index[1]'));
  const yValues = numbers(o.y, 'y');
  if (yValues.length !== n) fail(`'y' has ${yValues.length} entries, expected ${n} (one per row of x)`);
  const y = Int32Array.from(yValues);
  const numClasses = o.num_classes === undefined ? Math.max(...yValues) + 1 : Number(o.num_classes);
  const trainMask = mask(o, 'train_mask', n, true)!;
  const valMask = mask(o, 'val_mask', n, true)!;
  const testMask = mask(o, 'test_mask', n, true)!;
  const idValMask = mask(o, 'id_val_mask', n, false);
  const env = new Int32Array(n).fill(-1);
  if (o.env_id !== undefined) {
    const e = numbers(o.env_id, 'env_id');
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
