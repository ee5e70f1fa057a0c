/**
 * CIA and CIA-LRA: cross-environment intra-class alignment for node-level OOD generalisation, and the
 * baselines' penalties (IRMv1, VREx, GroupDRO, Coral).
 *
 * Paper: Wang, Wang, Wang, Ying. "Dissecting the Failure of Invariant Learning on Graphs". NeurIPS 2024,
 * arXiv:2411.02847. Official code: NOVAglow646/NeurIPS24-Invariant-Learning-on-Graphs,
 * `GOOD/ood_algorithms/algorithms/CIA.py` (`CIA_loss`, `CIA_LRA_loss`, `cal_Ak`).
 *
 * Reads top to bottom: (1) graph-only preprocessing of CIA-LRA in plain TS, float64 (hop matrix,
 * neighbour label distribution, pair table), (2) the differentiable losses on tf tensors.
 */
import { LabError, assertInRange, assertOneOf, assertRank, irmPenaltyClosedForm, strictOptions, tf } from '@lab/core';
import { gatherNodes, type GraphStructure } from '@lab/graph';
import {
  defaultDistanceOptions,
  defaultLraOptions,
  defaultVrexOptions,
  lraOptionChecks,
  type DistanceOptions,
  type HopMode,
  type LabelScope,
  type LraOptions,
  type VrexOptions,
} from './config.js';
import { checkLabels, undirectedAdjacency, type Adjacency, type NodeGraph } from './graph.js';

const UNREACHED = 255;

// ── 1. Graph-only preprocessing (plain TS, once per graph) ─────────────────────────────────────

/**
 * Fills `row` (length N) with the hop values of source `i` as CIA-LRA sees them: 0 on the diagonal,
 * 1..t for reached nodes, {@link UNREACHED} otherwise. `touched` collects the written entries so the
 * caller resets only those.
 */
function hopRow(
  adj: Adjacency,
  i: number,
  t: number,
  mode: HopMode,
  row: Uint8Array,
  scratch: Float64Array[],
  touched: number[],
): void {
  const { indptr, indices } = adj;
  row[i] = 0;
  touched.push(i);
  if (mode === 'exact') {
    // Breadth-first search, depth ≤ t.
    let frontier = [i];
    for (let d = 1; d <= t && frontier.length > 0; d++) {
      const next: number[] = [];
      for (const u of frontier) {
        for (let k = indptr[u]!; k < indptr[u + 1]!; k++) {
          const v = indices[k]!;
          if (row[v] === UNREACHED) {
            row[v] = d;
            touched.push(v);
            next.push(v);
          }
        }
      }
      frontier = next;
    }
    return;
  }
  // Official `cal_Ak`: Ak = inf; Ak[A == 1] = 1; diag 0; P = A; for s = 2..t: P = A·P (walk counts),
  // Ak[(P > 0) & (P < Ak)] = s. P is a walk COUNT compared with a hop VALUE, so a pair already at
  // distance d is overwritten by s > d whenever it has fewer than d walks of length s (the quirk).
  // Row i of A^s is computed as the row vector e_iᵀ A^s (A is symmetric), with dense scratch rows.
  const [walks, nextWalks] = scratch as [Float64Array, Float64Array];
  walks.fill(0);
  for (let k = indptr[i]!; k < indptr[i + 1]!; k++) {
    const v = indices[k]!;
    walks[v] = 1;
    if (v !== i) {
      row[v] = 1;
      touched.push(v);
    }
  }
  let cur = walks;
  let nxt = nextWalks;
  for (let s = 2; s <= t; s++) {
    nxt.fill(0);
    for (let u = 0; u < adj.numNodes; u++) {
      const c = cur[u]!;
      if (c === 0) continue;
      for (let k = indptr[u]!; k < indptr[u + 1]!; k++) {
        const v = indices[k]!;
        nxt[v] = nxt[v]! + c;
      }
    }
    for (let v = 0; v < adj.numNodes; v++) {
      const p = nxt[v]!;
      const current = row[v] === UNREACHED ? Infinity : row[v]!;
      if (p > 0 && p < current) {
        if (row[v] === UNREACHED) touched.push(v);
        row[v] = s;
      }
    }
    [cur, nxt] = [nxt, cur];
  }
}

function checkHopArgs(t: number, mode: string): asserts mode is HopMode {
  assertInRange(t, 't', { min: 1, max: 254, integer: true });
  assertOneOf(mode, ['exact', 'official'] as const, 'hopMode');
}

/** Hop distances of CIA-LRA (`Ak` of the official code), dense: `get(i, j)` is 0 on the diagonal, 1..t, or Infinity. */
export interface HopMatrix {
  numNodes: number;
  t: number;
  mode: HopMode;
  get(i: number, j: number): number;
}

/**
 * The hop matrix `Ak` of CIA-LRA (spec §2.3 step 1): shortest-path length d where 1 ≤ d ≤ t, 0 on the
 * diagonal, Infinity otherwise. `mode: 'exact'` (default) is breadth-first search; `'official'`
 * reproduces the official `cal_Ak` walk-count quirk (16 of 144 entries differ on the golden graph).
 * Stores N² bytes; {@link lraPairs} never materialises it.
 */
export function hopMatrix(g: GraphStructure, t: number, mode: HopMode = 'exact'): HopMatrix {
  checkHopArgs(t, mode);
  const n = g.numNodes;
  const adj = undirectedAdjacency(n, g.src, g.dst);
  const dense = new Uint8Array(n * n).fill(UNREACHED);
  const row = new Uint8Array(n).fill(UNREACHED);
  const scratch = [new Float64Array(n), new Float64Array(n)];
  for (let i = 0; i < n; i++) {
    const touched: number[] = [];
    hopRow(adj, i, t, mode, row, scratch, touched);
    for (const v of touched) {
      dense[i * n + v] = row[v]!;
      row[v] = UNREACHED;
    }
  }
  return {
    numNodes: n,
    t,
    mode,
    get(i: number, j: number): number {
      const v = dense[i * n + j]!;
      return v === UNREACHED ? Infinity : v;
    },
  };
}

/**
 * Neighbour label distribution `Q = (rownorm(A + I))^L · onehot(y)` [N * C], float64, row-major
 * (spec §2.3 step 2). With `labelMask`, only masked nodes contribute their one-hot label (others a zero
 * row) and rows are not renormalised: this is how `labelScope: 'train'` keeps OOD labels out.
 */
export function neighbourLabelDist(
  g: GraphStructure & Pick<NodeGraph, 'y'>,
  layers: number,
  numClasses: number,
  labelMask?: Uint8Array,
): Float64Array {
  assertInRange(layers, 'layers', { min: 1, integer: true });
  if (g.y.length !== g.numNodes)
    throw new LabError('SHAPE_MISMATCH', `y: expected length ${g.numNodes} (numNodes), got ${g.y.length}`);
  checkLabels(g.y, numClasses, 'y');
  if (labelMask && labelMask.length !== g.numNodes) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `labelMask: expected length ${g.numNodes} (numNodes), got ${labelMask.length}`,
    );
  }
  const adj = undirectedAdjacency(g.numNodes, g.src, g.dst);
  return labelDistribution(adj, g.y, layers, numClasses, labelMask);
}

function labelDistribution(
  adj: Adjacency,
  y: Int32Array,
  layers: number,
  c: number,
  labelMask?: Uint8Array,
): Float64Array {
  const n = adj.numNodes;
  let q = new Float64Array(n * c);
  for (let i = 0; i < n; i++) if (!labelMask || labelMask[i]) q[i * c + y[i]!] = 1;
  for (let l = 0; l < layers; l++) {
    // One propagation with P = rownorm(A + I): P_ij = 1 / (deg_i + 1) on N(i) ∪ {i}.
    const next = new Float64Array(n * c);
    for (let i = 0; i < n; i++) {
      const start = adj.indptr[i]!;
      const end = adj.indptr[i + 1]!;
      const scale = 1 / (end - start + 1);
      for (let k = 0; k < c; k++) next[i * c + k] = q[i * c + k]! * scale;
      for (let e = start; e < end; e++) {
        const j = adj.indices[e]!;
        for (let k = 0; k < c; k++) next[i * c + k] = next[i * c + k]! + q[j * c + k]! * scale;
      }
    }
    q = next;
  }
  return q;
}

/** The candidate pairs of one class with the quantities that make up their weight (spec §2.3 steps 3–4). */
export interface LraClassTable {
  c: number;
  /** Node ids of the ordered pairs (i, j), row-major in the class-restricted hop matrix. */
  i: Int32Array;
  j: Int32Array;
  hop: Float32Array;
  /** Σ_k |Q_ik − Q_jk|. */
  qdiff: Float32Array;
  /** |Q_ic − Q_jc|, 1 where exactly 0. */
  qsame: Float32Array;
  /** qdiff / (hop · qsame). */
  raw: Float32Array;
  /** raw min–max-normalised within the class; NaN when max = min (the pair is dropped). */
  w: Float32Array;
  /** 1 iff w > keepThreshold. */
  kept: Uint8Array;
}

/** The CIA-LRA pair table: the kept pairs (concatenated over classes) and, optionally, every candidate. */
export interface LraPairs {
  /** Kept pairs [P]: node ids and weights in (keepThreshold, 1]. */
  i: Int32Array;
  j: Int32Array;
  w: Float32Array;
  /** Full per-class tables (empty when `details: false`). */
  perClass: LraClassTable[];
  candidateCount: number;
  keptCount: number;
  /** The options used. */
  options: LraOptions;
}

/**
 * Validates and completes CIA-LRA options with core's `strictOptions`: unknown keys, wrong types and values
 * outside their documented ranges throw a `LabError` naming the key; `where` names the caller in messages.
 */
export function resolveLraOptions(options: Partial<LraOptions> = {}, where = 'lra options'): LraOptions {
  return strictOptions(options, defaultLraOptions, where, lraOptionChecks);
}

/**
 * The CIA-LRA pair table (spec §2.3 steps 1–4), computed once per graph from the structure and the labels.
 *
 * For each class c, the ordered same-class pairs (i, j), i ≠ j, with 1 ≤ hop ≤ t get
 * `raw = Σ_k |Q_ik − Q_jk| / (hop · |Q_ic − Q_jc|)` (the own-class difference replaced by 1 where exactly 0),
 * min–max-normalised within the class; pairs with weight > keepThreshold are kept.
 * `labelScope` decides which nodes may pair and whose labels enter Q (see {@link LabelScope}).
 * Two passes over the hop rows keep memory at O(kept pairs) when `details` is false.
 */
export function lraPairs(
  g: GraphStructure & Pick<NodeGraph, 'y' | 'numClasses' | 'trainMask'>,
  options: Partial<LraOptions> & { details?: boolean } = {},
): LraPairs {
  const { details, ...o } = strictOptions<LraOptions & { details: boolean }>(
    options,
    { ...defaultLraOptions, details: true },
    'lraPairs options',
    lraOptionChecks,
  );
  const n = g.numNodes;
  if (g.y.length !== n) throw new LabError('SHAPE_MISMATCH', `y: expected length ${n} (numNodes), got ${g.y.length}`);
  checkLabels(g.y, g.numClasses, 'y');
  if (o.labelScope !== 'all' && (!g.trainMask || g.trainMask.length !== n)) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `trainMask: expected length ${n} for labelScope '${o.labelScope}', got ${g.trainMask?.length}`,
    );
  }
  const C = g.numClasses;
  const adj = undirectedAdjacency(n, g.src, g.dst);
  const q = labelDistribution(adj, g.y, o.layers, C, o.labelScope === 'train' ? g.trainMask : undefined);
  const inScope = (v: number) => o.labelScope === 'all' || g.trainMask[v] !== 0;
  const members: number[][] = Array.from({ length: C }, () => []);
  for (let v = 0; v < n; v++) if (inScope(v)) members[g.y[v]!]!.push(v);

  const row = new Uint8Array(n).fill(UNREACHED);
  const scratch = o.hopMode === 'official' ? [new Float64Array(n), new Float64Array(n)] : [];
  const rawOf = (i: number, j: number, hop: number, c: number) => {
    let qdiff = 0;
    for (let k = 0; k < C; k++) qdiff += Math.abs(q[i * C + k]! - q[j * C + k]!);
    let qsame = Math.abs(q[i * C + c]! - q[j * C + c]!);
    if (qsame === 0) qsame = 1;
    return { qdiff, qsame, raw: qdiff / (hop * qsame) };
  };
  /** Visits every candidate pair, per source in increasing node id (row-major within each class). */
  const forEachCandidate = (visit: (c: number, i: number, j: number, hop: number) => void) => {
    for (let i = 0; i < n; i++) {
      if (!inScope(i)) continue;
      const touched: number[] = [];
      hopRow(adj, i, o.t, o.hopMode, row, scratch as Float64Array[], touched);
      const c = g.y[i]!;
      for (const j of members[c]!) {
        const h = row[j]!;
        if (j !== i && h !== UNREACHED && h >= 1 && h <= o.t) visit(c, i, j, h);
      }
      for (const v of touched) row[v] = UNREACHED;
    }
  };

  // Pass 1: per-class min and max of the raw weight (and the full tables when asked).
  const minRaw = new Float64Array(C).fill(Infinity);
  const maxRaw = new Float64Array(C).fill(-Infinity);
  const counts = new Int32Array(C);
  const tables = Array.from({ length: C }, () => ({
    i: [] as number[],
    j: [] as number[],
    hop: [] as number[],
    qdiff: [] as number[],
    qsame: [] as number[],
    raw: [] as number[],
  }));
  forEachCandidate((c, i, j, hop) => {
    const r = rawOf(i, j, hop, c);
    counts[c]!++;
    if (r.raw < minRaw[c]!) minRaw[c] = r.raw;
    if (r.raw > maxRaw[c]!) maxRaw[c] = r.raw;
    if (details) {
      const tb = tables[c]!;
      tb.i.push(i);
      tb.j.push(j);
      tb.hop.push(hop);
      tb.qdiff.push(r.qdiff);
      tb.qsame.push(r.qsame);
      tb.raw.push(r.raw);
    }
  });
  // max = min gives 0/0 = NaN in the official code: the comparison with the threshold is false, the class drops out.
  const weight = (raw: number, c: number) => {
    const range = maxRaw[c]! - minRaw[c]!;
    return range > 0 ? (raw - minRaw[c]!) / range : NaN;
  };

  // Pass 2: weights and the kept pairs.
  const keptI: number[] = [];
  const keptJ: number[] = [];
  const keptW: number[] = [];
  const keptByClass: { i: number[]; j: number[]; w: number[] }[] = Array.from({ length: C }, () => ({
    i: [],
    j: [],
    w: [],
  }));
  forEachCandidate((c, i, j, hop) => {
    const w = weight(rawOf(i, j, hop, c).raw, c);
    if (w > o.keepThreshold) {
      keptByClass[c]!.i.push(i);
      keptByClass[c]!.j.push(j);
      keptByClass[c]!.w.push(w);
    }
  });
  for (const k of keptByClass) {
    keptI.push(...k.i);
    keptJ.push(...k.j);
    keptW.push(...k.w);
  }

  const perClass: LraClassTable[] = [];
  if (details) {
    for (let c = 0; c < C; c++) {
      const tb = tables[c]!;
      if (tb.i.length === 0) continue;
      const w = Float32Array.from(tb.raw, (r) => weight(r, c));
      perClass.push({
        c,
        i: Int32Array.from(tb.i),
        j: Int32Array.from(tb.j),
        hop: Float32Array.from(tb.hop),
        qdiff: Float32Array.from(tb.qdiff),
        qsame: Float32Array.from(tb.qsame),
        raw: Float32Array.from(tb.raw),
        w,
        kept: Uint8Array.from(tb.raw, (r) => (weight(r, c) > o.keepThreshold ? 1 : 0)),
      });
    }
  }
  return {
    i: Int32Array.from(keptI),
    j: Int32Array.from(keptJ),
    w: Float32Array.from(keptW),
    perClass,
    candidateCount: counts.reduce((a, b) => a + b, 0),
    keptCount: keptI.length,
    options: o,
  };
}

// ── 2. Differentiable losses ───────────────────────────────────────────────────────────────────

function checkRepresentation(h: tf.Tensor, n: number, name: string): void {
  assertRank(h, 2, name);
  if (h.shape[0] !== n)
    throw new LabError('SHAPE_MISMATCH', `${name}: expected ${n} rows (one per node, as y), got ${h.shape[0]}`);
  const values = h.dataSync();
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k]!)) {
      throw new LabError(
        'NON_FINITE',
        `${name}: expected finite values, found ${values[k]} at row ${Math.floor(k / h.shape[1]!)}`,
      );
    }
  }
}

function checkNodeArrays(n: number, y: Int32Array, env: Int32Array): void {
  if (y.length !== n) throw new LabError('SHAPE_MISMATCH', `y: expected length ${n}, got ${y.length}`);
  if (env.length !== n)
    throw new LabError('SHAPE_MISMATCH', `env: expected length ${n} (one per node, −1 for none), got ${env.length}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(y[i]!) || y[i]! < 0)
      throw new LabError('OUT_OF_RANGE', `y: expected non-negative integer labels, got ${y[i]} at node ${i}`);
    if (!Number.isInteger(env[i]!) || env[i]! < -1)
      throw new LabError('OUT_OF_RANGE', `env: expected ids ≥ 0 (or −1 for none), got ${env[i]} at node ${i}`);
  }
}

/** Class-and-environment grouping of the nodes that carry an environment id. */
interface EnvGroups {
  /** Per class: node ids with env ≥ 0 and their env ids. */
  byClass: { nodes: Int32Array; env: Int32Array }[];
  numEnvs: number;
}

function groupByClassAndEnv(y: Int32Array, env: Int32Array): EnvGroups {
  const classes = new Map<number, { nodes: number[]; env: number[] }>();
  const envs = new Set<number>();
  for (let i = 0; i < y.length; i++) {
    if (env[i]! < 0) continue;
    envs.add(env[i]!);
    const g = classes.get(y[i]!) ?? { nodes: [], env: [] };
    g.nodes.push(i);
    g.env.push(env[i]!);
    classes.set(y[i]!, g);
  }
  const byClass = [...classes.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, g]) => ({ nodes: Int32Array.from(g.nodes), env: Int32Array.from(g.env) }));
  return { byClass, numEnvs: envs.size };
}

let warnedFewEnvs = false;

/** CIA loss without argument checks (the trainer's inner loop). */
export function ciaLossUnchecked(h: tf.Tensor2D, y: Int32Array, env: Int32Array, eps = 1e-12): tf.Scalar {
  const groups = groupByClassAndEnv(y, env);
  return tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    let count = 0;
    for (const { nodes, env: e } of groups.byClass) {
      const m = nodes.length;
      // Constant mask of cross-environment pairs counted once: e_i < e_j.
      const mask = new Float32Array(m * m);
      let pairs = 0;
      for (let a = 0; a < m; a++) {
        for (let b = 0; b < m; b++) {
          if (e[a]! < e[b]!) {
            mask[a * m + b] = 1;
            pairs++;
          }
        }
      }
      if (pairs === 0) continue;
      const hc = gatherNodes(h, nodes); // [m, D]
      // Distances are translation invariant; centring first limits float32 cancellation in |a|² + |b|² − 2a·b.
      const centred = tf.sub(hc, tf.mean(hc, 0, true)); // [m, D]
      const sq = tf.sum(tf.square(centred), 1); // [m]
      const gram = tf.matMul(centred, tf.transpose(centred)); // [m, m]
      const d2 = tf.relu(tf.sub(tf.add(tf.reshape(sq, [m, 1]), tf.reshape(sq, [1, m])), tf.mul(2, gram))); // [m, m]
      const dist = tf.sqrt(tf.add(d2, eps)); // [m, m]
      total = tf.add(total, tf.sum(tf.mul(dist, tf.tensor2d(mask, [m, m])))) as tf.Scalar;
      count += pairs;
    }
    return count > 0 ? (tf.div(total, count) as tf.Scalar) : (tf.mul(tf.sum(h), 0) as tf.Scalar);
  });
}

/**
 * CIA loss (spec §2.2, `CIA.CIA_loss`): the mean Euclidean distance (not squared) between the
 * representations of same-class nodes from different environments,
 * `Σ_c Σ_{e1<e2} Σ_{i∈S(c,e1)} Σ_{j∈S(c,e2)} ‖h_i − h_j‖ / Σ_c Σ_{e1<e2} |S(c,e1)|·|S(c,e2)|`.
 * Nodes with `env = −1` never enter. With fewer than two environments it warns and returns 0.
 *
 * @param h representations [N, D]; `y` labels [N]; `env` environment ids [N] (−1 = none).
 */
export function ciaLoss(h: tf.Tensor2D, y: Int32Array, env: Int32Array, opts: DistanceOptions = {}): tf.Scalar {
  const { eps } = strictOptions(opts, defaultDistanceOptions, 'ciaLoss options', { eps: { min: 0 } });
  checkRepresentation(h, y.length, 'h');
  checkNodeArrays(y.length, y, env);
  if (groupByClassAndEnv(y, env).numEnvs < 2 && !warnedFewEnvs) {
    warnedFewEnvs = true;
    console.warn('ciaLoss: fewer than 2 environments among the nodes with env ≥ 0; the CIA loss is 0');
  }
  return ciaLossUnchecked(h, y, env, eps);
}

/** CIA-LRA loss without argument checks. */
export function ciaLraLossUnchecked(
  h: tf.Tensor2D,
  pairs: Pick<LraPairs, 'i' | 'j' | 'w' | 'keptCount'>,
  eps = 1e-12,
): tf.Scalar {
  return tf.tidy(() => {
    if (pairs.keptCount === 0) return tf.mul(tf.sum(h), 0) as tf.Scalar;
    const diff = tf.sub(gatherNodes(h, pairs.i), gatherNodes(h, pairs.j)); // [P, D]
    const dist = tf.sqrt(tf.add(tf.sum(tf.square(diff), 1), eps)); // [P]
    return tf.div(tf.sum(tf.mul(dist, tf.tensor1d(pairs.w))), pairs.keptCount) as tf.Scalar;
  });
}

/**
 * CIA-LRA loss (spec §2.3 step 5, `CIA.CIA_LRA_loss`): `Σ_kept w_ij ‖h_i − h_j‖ / #kept` over the pairs
 * of {@link lraPairs} (weights are constants), or 0 when no pair is kept. Needs no environment labels.
 *
 * @param h representations [N, D].
 */
export function ciaLraLoss(
  h: tf.Tensor2D,
  pairs: Pick<LraPairs, 'i' | 'j' | 'w' | 'keptCount'>,
  opts: DistanceOptions = {},
): tf.Scalar {
  const { eps } = strictOptions(opts, defaultDistanceOptions, 'ciaLraLoss options', { eps: { min: 0 } });
  assertRank(h, 2, 'h');
  const n = h.shape[0];
  if (typeof pairs !== 'object' || pairs === null || !pairs.i || !pairs.j || !pairs.w)
    throw new LabError('INVALID_ARGUMENT', 'pairs: expected a pair table { i, j, w, keptCount } (from lraPairs)');
  if (pairs.i.length !== pairs.keptCount || pairs.j.length !== pairs.keptCount || pairs.w.length !== pairs.keptCount) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `pairs: expected i, j and w of length keptCount = ${pairs.keptCount}, got ${pairs.i.length}, ${pairs.j.length}, ${pairs.w.length}`,
    );
  }
  for (let p = 0; p < pairs.keptCount; p++) {
    if (!(pairs.i[p]! >= 0 && pairs.i[p]! < n && pairs.j[p]! >= 0 && pairs.j[p]! < n)) {
      throw new LabError(
        'OUT_OF_RANGE',
        `pairs: expected node ids in [0, ${n}) (rows of h), got (${pairs.i[p]}, ${pairs.j[p]}) at pair ${p}`,
      );
    }
  }
  checkRepresentation(h, n, 'h');
  return ciaLraLossUnchecked(h, pairs, eps);
}

// ── Baselines: per-environment risks and their penalties ──────────────────────────────────────

/** Row-normalised environment membership [E, N] (1/n_e on env e's nodes) and the env ids present. */
function envAveraging(env: Int32Array): { matrix: Float32Array; envs: number[]; counts: number[] } {
  const envs = [...new Set(Array.from(env).filter((e) => e >= 0))].sort((a, b) => a - b);
  const n = env.length;
  const row = new Map(envs.map((e, k) => [e, k]));
  const counts = envs.map(() => 0);
  for (let i = 0; i < n; i++) if (env[i]! >= 0) counts[row.get(env[i]!)!]!++;
  const matrix = new Float32Array(envs.length * n);
  for (let i = 0; i < n; i++) {
    if (env[i]! < 0) continue;
    const k = row.get(env[i]!)!;
    matrix[k * n + i] = 1 / counts[k]!;
  }
  return { matrix, envs, counts };
}

/** Per-node cross-entropy without argument checks (the trainer's inner loop). */
export function nodeCrossEntropyUnchecked(logits: tf.Tensor2D, y: Int32Array): tf.Tensor1D {
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.tensor1d(y, 'int32'), logits.shape[1]); // [N, C]
    return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), onehot), 1)) as tf.Tensor1D; // [N]
  });
}

/**
 * Per-node cross-entropy −log softmax(z)_y [N].
 *
 * @param logits [N, C]; `y` integer labels in [0, C) [N].
 */
export function nodeCrossEntropy(logits: tf.Tensor2D, y: Int32Array): tf.Tensor1D {
  assertRank(logits, 2, 'logits');
  if (y.length !== logits.shape[0])
    throw new LabError('SHAPE_MISMATCH', `y: expected length ${logits.shape[0]} (rows of logits), got ${y.length}`);
  checkLabels(y, logits.shape[1], 'y');
  return nodeCrossEntropyUnchecked(logits, y);
}

/** Per-environment risks without argument checks. */
function envRisksUnchecked(logits: tf.Tensor2D, y: Int32Array, env: Int32Array): tf.Tensor1D {
  const { matrix, envs } = envAveraging(env);
  const n = env.length;
  return tf.tidy(() => {
    const ce = nodeCrossEntropyUnchecked(logits, y); // [N]
    return tf.reshape(tf.matMul(tf.tensor2d(matrix, [envs.length, n]), tf.reshape(ce, [n, 1])), [
      envs.length,
    ]) as tf.Tensor1D; // [E]
  });
}

/**
 * Mean cross-entropy R_e of each environment present (env ≥ 0) [E].
 *
 * @param logits [N, C]; `y` [N]; `env` [N] (−1 = none; at least one node needs an id).
 */
export function envRisks(logits: tf.Tensor2D, y: Int32Array, env: Int32Array): tf.Tensor1D {
  checkLogits(logits, y, env);
  return envRisksUnchecked(logits, y, env);
}

function checkLogits(logits: tf.Tensor2D, y: Int32Array, env: Int32Array): void {
  assertRank(logits, 2, 'logits');
  checkRepresentation(logits, y.length, 'logits');
  checkNodeArrays(y.length, y, env);
  checkLabels(y, logits.shape[1], 'y');
  if (!Array.from(env).some((e) => e >= 0))
    throw new LabError('EMPTY_INPUT', 'env: expected at least one node with an environment id ≥ 0, got none');
}

/** IRMv1 penalty without argument checks. */
export function irmPenaltyUnchecked(logits: tf.Tensor2D, y: Int32Array, env: Int32Array): tf.Scalar {
  const envs = [...new Set(Array.from(env).filter((e) => e >= 0))].sort((a, b) => a - b);
  return tf.tidy(() => {
    // Core's closed form of (∂R_e/∂w |_{w=1})² per environment: nested tf.grad through softmax-CE drops
    // the curvature term in tfjs 4.22 (spec §8), so the penalty is never computed by differentiating twice.
    const perEnv = envs.map((e) => {
      const nodes = Int32Array.from(Array.from(env.keys()).filter((i) => env[i] === e));
      const rows = gatherNodes(logits, nodes); // [n_e, C]
      return irmPenaltyClosedForm(
        rows,
        tf.tensor1d(
          Int32Array.from(nodes, (i) => y[i]!),
          'int32',
        ),
      );
    });
    return tf.mean(tf.stack(perEnv)) as tf.Scalar;
  });
}

/**
 * IRMv1 penalty (Arjovsky et al. 2019; GOOD `IRM`): `mean_e (∂R_e(w·z)/∂w |_{w=1})²` over the
 * environments present, with R_e the mean cross-entropy of env e's nodes, in closed form.
 *
 * @param logits [N, C]; `y` [N]; `env` [N] (−1 = not a training node).
 */
export function irmPenalty(logits: tf.Tensor2D, y: Int32Array, env: Int32Array): tf.Scalar {
  checkLogits(logits, y, env);
  return irmPenaltyUnchecked(logits, y, env);
}

/** VREx penalty without argument checks. */
export function vrexPenaltyUnchecked(logits: tf.Tensor2D, y: Int32Array, env: Int32Array, unbiased = true): tf.Scalar {
  return tf.tidy(() => {
    const risks = envRisksUnchecked(logits, y, env); // [E]
    const e = risks.shape[0];
    if (e < 2) return tf.mul(tf.sum(logits), 0) as tf.Scalar;
    const centred = tf.sub(risks, tf.mean(risks));
    return tf.div(tf.sum(tf.square(centred)), unbiased ? e - 1 : e) as tf.Scalar;
  });
}

/**
 * VREx penalty (Krueger et al. 2021; GOOD `VREx`): the variance of the per-environment risks,
 * unbiased (n − 1, as `torch.var`) by default. 0 with fewer than two environments.
 *
 * @param logits [N, C]; `y` [N]; `env` [N].
 */
export function vrexPenalty(logits: tf.Tensor2D, y: Int32Array, env: Int32Array, opts: VrexOptions = {}): tf.Scalar {
  const { unbiased } = strictOptions(opts, defaultVrexOptions, 'vrexPenalty options');
  checkLogits(logits, y, env);
  return vrexPenaltyUnchecked(logits, y, env, unbiased);
}

/** GroupDRO loss without argument checks. */
export function groupDroLossUnchecked(logits: tf.Tensor2D, y: Int32Array, env: Int32Array, eta: number): tf.Scalar {
  return tf.tidy(() => {
    const risks = envRisksUnchecked(logits, y, env); // [E]
    // Group weights ∝ exp(η R_e) from the current (detached) risks, recomputed every step as in GOOD.
    const r = risks.dataSync() as Float32Array;
    const maxR = Math.max(...r);
    const raw = Array.from(r, (v: number) => Math.exp(eta * (v - maxR)));
    const total = raw.reduce((a, b) => a + b, 0);
    return tf.sum(tf.mul(risks, tf.tensor1d(raw.map((v) => v / total)))) as tf.Scalar;
  });
}

/**
 * GroupDRO objective (Sagawa et al. 2020; GOOD `GroupDRO`): `Σ_e q_e R_e` with `q ∝ exp(η R_e)`
 * computed from the detached risks of this step. Replaces the mean cross-entropy (not added to it).
 */
export function groupDroLoss(logits: tf.Tensor2D, y: Int32Array, env: Int32Array, eta: number): tf.Scalar {
  checkLogits(logits, y, env);
  assertInRange(eta, 'eta', { min: 0 });
  return groupDroLossUnchecked(logits, y, env, eta);
}

/** Coral penalty without argument checks. */
export function coralPenaltyUnchecked(h: tf.Tensor2D, env: Int32Array): tf.Scalar {
  const envs = [...new Set(Array.from(env).filter((e) => e >= 0))].sort((a, b) => a - b);
  return tf.tidy(() => {
    const covs: tf.Tensor2D[] = [];
    for (const e of envs) {
      const nodes = Int32Array.from(Array.from(env.keys()).filter((i) => env[i] === e));
      if (nodes.length < 2) continue;
      const he = gatherNodes(h, nodes); // [n_e, D]
      const centred = tf.sub(he, tf.mean(he, 0, true)); // [n_e, D]
      covs.push(tf.div(tf.matMul(tf.transpose(centred), centred), nodes.length - 1) as tf.Tensor2D); // [D, D]
    }
    if (covs.length < 2) return tf.mul(tf.sum(h), 0) as tf.Scalar;
    let total: tf.Scalar = tf.scalar(0);
    let pairs = 0;
    for (let a = 0; a < covs.length; a++) {
      for (let b = 0; b < covs.length; b++) {
        if (a === b) continue;
        total = tf.add(total, tf.div(tf.mean(tf.square(tf.sub(covs[a]!, covs[b]!))), 4)) as tf.Scalar;
        pairs++;
      }
    }
    return tf.div(total, pairs) as tf.Scalar;
  });
}

/**
 * Coral penalty (Sun & Saenko 2016; GOOD `Coral`): the mean over ordered environment pairs of
 * `mean((Cov_i − Cov_j)²) / 4`, covariances unbiased (n − 1). Environments with < 2 nodes are skipped.
 *
 * @param h representations [N, D]; `env` [N].
 */
export function coralPenalty(h: tf.Tensor2D, env: Int32Array): tf.Scalar {
  checkRepresentation(h, env.length, 'h');
  for (let i = 0; i < env.length; i++) {
    if (!Number.isInteger(env[i]!) || env[i]! < -1)
      throw new LabError('OUT_OF_RANGE', `env: expected ids ≥ 0 (or −1 for none), got ${env[i]} at node ${i}`);
  }
  return coralPenaltyUnchecked(h, env);
}

export type { DistanceOptions, HopMode, LabelScope, VrexOptions };
