/**
 * Options of CIA / CIA-LRA, of the node-level OOD trainer, of the CBAS-like generator and of the miniature
 * replication, with their defaults, the ranges every public function checks (with core's `strictOptions`)
 * and the replication presets.
 *
 * Paper: Qixun Wang, Yifei Wang, Yisen Wang, Xianghua Ying. "Dissecting the Failure of Invariant
 * Learning on Graphs". NeurIPS 2024. arXiv:2411.02847. Official code (a fork of the GOOD benchmark):
 * github.com/NOVAglow646/NeurIPS24-Invariant-Learning-on-Graphs. The defaults below follow that code
 * (configs/final_configs, CBAS) unless a comment says the package departs from it.
 */

import type { OptionChecks, Preset, ReplicateOptions } from '@lab/core';

/** How the hop distance of a candidate pair is computed. */
export type HopMode = 'exact' | 'official';

/** Which labels CIA-LRA may look at (see the spec §2.4: the official code uses every node's label). */
export type LabelScope = 'train' | 'trainPairs' | 'all';

/** Options of the CIA-LRA pair table (`lraPairs`). */
export interface LraOptions {
  /** Hop budget t: only same-class pairs at distance 1 ≤ d ≤ t are candidates (official sweep {2, …, 6}). */
  t: number;
  /** L, the number of GNN layers: Q = (rownorm(A + I))^L · onehot(y) (the backbone has 3). */
  layers: number;
  /** Keep a pair iff its min–max-normalised weight is > keepThreshold (official: 0.1). */
  keepThreshold: number;
  /**
   * `'exact'` (default): breadth-first shortest paths. `'official'`: the official `cal_Ak` walk-count
   * quirk (a pair can get a hop value larger than its distance on graphs with odd cycles); for parity only.
   */
  hopMode: HopMode;
  /**
   * `'train'` (default, a package decision): no label of a non-training node is read: pairs among training
   * nodes, Q from training labels only. `'trainPairs'`: pairs among training nodes, Q from all labels.
   * `'all'`: the official behaviour (every node's label, OOD validation and test included).
   */
  labelScope: LabelScope;
}

/** Defaults of {@link LraOptions}: t = 3, L = 3, threshold 0.1, exact hops, training labels only. */
export const defaultLraOptions: LraOptions = Object.freeze({
  t: 3,
  layers: 3,
  keepThreshold: 0.1,
  hopMode: 'exact',
  labelScope: 'train',
});

/** Ranges and choices of {@link LraOptions} (t ≤ 254: hop values are stored in one byte). */
export const lraOptionChecks: OptionChecks<LraOptions> = {
  t: { min: 1, max: 254, integer: true },
  layers: { min: 1, integer: true },
  keepThreshold: { min: 0, max: 1, maxExclusive: true },
  hopMode: ['exact', 'official'],
  labelScope: ['train', 'trainPairs', 'all'],
};

/** Options of the pairwise-distance losses (`ciaLoss`, `ciaLraLoss`). */
export interface DistanceOptions {
  /** ε in ‖a − b‖ = sqrt(‖a − b‖² + ε): keeps the gradient finite where a distance is exactly 0 (torch.cdist gives 0 there). */
  eps?: number;
}

/** Defaults of {@link DistanceOptions}: ε = 1e-12 (small enough to leave every non-zero float32 distance unchanged). */
export const defaultDistanceOptions: Required<DistanceOptions> = Object.freeze({ eps: 1e-12 });

/** Options of `vrexPenalty`. */
export interface VrexOptions {
  /** Divide the sum of squares by E − 1 (as `torch.var`, the GOOD code's default) rather than E. */
  unbiased?: boolean;
}

/** Defaults of {@link VrexOptions}: the unbiased variance, as GOOD's `VREx` (`torch.var`). */
export const defaultVrexOptions: Required<VrexOptions> = Object.freeze({ unbiased: true });

/** Training objective: ERM or ERM plus one invariance penalty / reweighting. */
export type NodeOODMethod = 'erm' | 'irm' | 'vrex' | 'groupdro' | 'coral' | 'cia' | 'cia-lra';

/** Every method, in the order reports list them. */
export const nodeOODMethods: readonly NodeOODMethod[] = ['erm', 'irm', 'vrex', 'groupdro', 'coral', 'cia', 'cia-lra'];

/** Options of {@link trainNodeOOD}. */
export interface NodeOODOptions {
  method: NodeOODMethod;
  /**
   * λ, the weight of the penalty (ignored by ERM; η of GroupDRO). Official sweeps: CIA {0.1 … 1e-4},
   * CIA-LRA {0.05 … 1e-4}, IRM {0.1, 1, 10, 100}, VREx {…}, GroupDRO η {1e-3, 1e-2, 0.1}.
   */
  lambda: number;
  /** CIA-LRA pair options (merged over {@link defaultLraOptions}). */
  lra: Partial<LraOptions>;
  /** Training epochs (official CBAS: 200). */
  epochs: number;
  /** Adam learning rate (official CBAS: 3e-3; weight decay 0; the lr milestones are never reached). */
  lr: number;
  /** The penalty is added from this 0-based epoch on (official: `epoch > 1`, i.e. 2). */
  penaltyStartEpoch: number;
  /** Hidden width of the GCN (official 300; the miniature uses 64). */
  hidden: number;
  /** Number of GCN layers (official 3). */
  layers: number;
  /** Dropout after each layer (official 0.5). */
  dropout: number;
  /** Backbone; only `'gcn'` is implemented in this version. */
  model: 'gcn';
  /**
   * `'full'` (default): every step's loss covers every training node. `'roots'`: a GraphSAINT-style minibatch
   * per step: `batchRoots` roots drawn uniformly with replacement from all nodes, and the loss (CE and every
   * penalty) restricted to the distinct roots (the forward pass stays full-graph, so neighbourhoods are exact).
   * The official code samples GraphSAINT random-walk subgraphs (1,000 roots, walk length 3); on a 700-node
   * graph those cover almost every node, which is why the roots alone are a close stand-in.
   */
  sampler: 'full' | 'roots';
  /** Optimizer steps per epoch (official CBAS: 10 GraphSAINT steps; package default 1, one full-batch step). */
  stepsPerEpoch: number;
  /** `sampler: 'roots'`: roots drawn per step (official CBAS GraphSAINT batch size: 1,000). */
  batchRoots: number;
  /** Checkpoint selection: best OOD-validation accuracy (official) or best ID-validation accuracy. */
  select: 'oodVal' | 'idVal';
  /** Seed of initialisation and dropout. */
  seed: number;
  /** `true` switches every quirk to the official behaviour (`hopMode: 'official'`, `labelScope: 'all'`). */
  faithful: boolean;
}

/** Defaults of {@link NodeOODOptions} (the spec's miniature: CIA-LRA, λ 0.01, 200 epochs, Adam 3e-3, hidden 64). */
export const defaultNodeOODOptions: NodeOODOptions = Object.freeze({
  method: 'cia-lra',
  lambda: 0.01,
  lra: {},
  epochs: 200,
  lr: 3e-3,
  penaltyStartEpoch: 2,
  hidden: 64,
  layers: 3,
  dropout: 0.5,
  model: 'gcn',
  sampler: 'full',
  stepsPerEpoch: 1,
  batchRoots: 1000,
  select: 'oodVal',
  seed: 0,
  faithful: false,
});

/** Ranges and choices of {@link NodeOODOptions} (the `lra` object is checked against {@link lraOptionChecks}). */
export const nodeOODOptionChecks: OptionChecks<NodeOODOptions> = {
  method: nodeOODMethods,
  lambda: { min: 0 },
  epochs: { min: 1, integer: true },
  lr: { min: 0, minExclusive: true },
  penaltyStartEpoch: { min: 0, integer: true },
  hidden: { min: 1, integer: true },
  layers: { min: 1, integer: true },
  dropout: { min: 0, max: 1, maxExclusive: true },
  model: ['gcn'],
  sampler: ['full', 'roots'],
  stepsPerEpoch: { min: 1, integer: true },
  batchRoots: { min: 1, integer: true },
  select: ['oodVal', 'idVal'],
};

/**
 * λ per method of the miniature replication, fixed in advance (spec §5): IRM 1, VREx 10, CIA 0.01,
 * CIA-LRA 0.01 (from the official sweep ranges; never tuned on test accuracy).
 */
export const replicationLambdas: Readonly<Record<NodeOODMethod, number>> = Object.freeze({
  erm: 0,
  irm: 1,
  vrex: 10,
  groupdro: 0.01,
  coral: 1,
  cia: 0.01,
  'cia-lra': 0.01,
});

/** Options of `cbasGraph`: a port of GOOD's `good_cbas.py` (GOOD benchmark, Gui et al., NeurIPS 2022 D&B). */
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
  /** Fractions of shuffled nodes in the training environments / OOD validation (the rest is OOD test). */
  trainFraction: number;
  valFraction: number;
  /**
   * `'allTrain'` (default): every training-environment node is a labelled training node (420 of 700).
   * `'good'`: GOOD-CBAS's split: the training-environment nodes are split in thirds into training nodes, ID
   * validation (`idValMask`) and ID test (unused), so 140 / 140 / 140 / 140 / 140 at the default size.
   */
  split: 'allTrain' | 'good';
  /**
   * Random edges added after the split (uniform node pairs, no self-loops or duplicates): a difficulty knob
   * that blurs the house motifs so ERM keeps headroom (issue 17's prototype: 350 random edges, ERM 0.96 → 0.75).
   */
  randomEdges: number;
  /** Seed of the graph, the split and the colours (the miniature uses data seed = model seed). */
  seed: number;
}

/** Defaults of {@link CbasOptions}: GOOD-CBAS size (700 nodes), concept shift, 60/20/20 split, 5 environments. */
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
  split: 'allTrain',
  randomEdges: 0,
  seed: 0,
});

// ── the miniature replication ───────────────────────────────────────────────────────────────

/** The replication presets of this package, in order of size (`--preset` refuses any other name). */
export const PRESETS = ['quick', 'standard', 'full'] as const satisfies readonly Preset[];
export type CiaPreset = (typeof PRESETS)[number];

/** Graph sizes of the replication: GOOD-CBAS size, and base nodes and houses × 4. */
export type CiaScale = 'mini' | 'large';

/**
 * The compared arms: ERM, CIA (environment labels), CIA-LRA with the package's leak-free label scope
 * (`labelScope: 'train'`, the default) and CIA-LRA with the official behaviour (`'all'`: every node's label).
 */
export type CiaArm = 'erm' | 'cia' | 'cia-lra' | 'cia-lra-all';

/** Every arm, in the order reports list them. */
export const ciaArms: readonly CiaArm[] = ['erm', 'cia', 'cia-lra', 'cia-lra-all'];

/** One point of the selection grid: the penalty weight λ and CIA-LRA's hop budget t (CIA ignores t). */
export interface GridPoint {
  lambda: number;
  t: number;
}

/** What each preset runs, fixed before any comparison. */
export interface CiaPresetConfig {
  /** `'mini'`: 700 nodes (GOOD-CBAS); `'large'`: 2,800 nodes. */
  scale: CiaScale;
  /** Paired graphs (data seed = graph seed). */
  seeds: number;
  /** GOOD-CBAS split (140 / 140 / 140 / 140 / 140) or every training-environment node labelled. */
  split: CbasOptions['split'];
  /** GCN hidden width (official 300). */
  hidden: number;
  /** Epochs of `stepsPerEpoch` steps each. */
  epochs: number;
  /** Optimizer steps per epoch (official CBAS: 10). */
  stepsPerEpoch: number;
  /** Minibatches: GraphSAINT-style roots (1,000 per step) or the full batch. */
  sampler: NodeOODOptions['sampler'];
  arms: readonly CiaArm[];
  /**
   * (λ, t) candidates, selected per graph by OOD-validation accuracy. Every arm gets the same budget: ERM runs
   * as many candidates, which differ only in their initialisation seed (candidate k of every arm uses the
   * same initialisation seed).
   */
  grid: readonly GridPoint[];
  /** Graph seeds of the positive control (never among the comparison's graphs). */
  calibrationSeeds: readonly number[];
}

/** The random edges of the harder variant the positive control falls back to (issue 17's prototype: 350). */
export const RANDOM_EDGE_VARIANT = 350;

/** The criteria, fixed before any comparison (issue 17 item 4). */
export const CIA_CRITERIA = Object.freeze({
  /** Positive control: ERM's mean OOD test accuracy must leave headroom (≤ this). */
  ermHeadroom: 0.85,
  /** Claim: mean paired gain of CIA-LRA over ERM in OOD test accuracy, in points, at least this. */
  minGainPoints: 1,
  /** Claim: at least this fraction of the graphs with gain ≥ 0 (7 of 10). */
  minNonNegativeFraction: 0.7,
  /** The claim is asserted only with at least this many paired graphs (fewer: reported, verdict inconclusive). */
  minSeeds: 10,
});

/**
 * λ = 0.05 is the largest value of the official CIA-LRA sweep; λ = 1 is added because, calibrated on the
 * calibration graph 1000 only (hidden 300, first penalised batch), the LRA term carries 1.1 % of the gradient at
 * λ = 0.05 and 21 % at λ = 1 (label scope 'train'; 0.3 % and 6 % with scope 'all'): the official range barely acts.
 */
const GRID_STANDARD: readonly GridPoint[] = [
  { lambda: 0.05, t: 3 },
  { lambda: 1, t: 3 },
];

/**
 * `quick`: 1 graph, hidden 64, 3 epochs (CI-sized; the claim is reported, not asserted). `standard`: 10 GOOD-CBAS
 * graphs, hidden 300, 10 epochs × 10 root-sampled steps, ERM vs CIA-LRA in both label scopes, λ ∈ {0.05, 1}
 * at t = 3 (see `GRID_STANDARD`). `full`: the official schedule (200 epochs × 10 steps),
 * CIA too, and a 2 × 2 (λ, t) grid.
 */
export const PRESET_CONFIGS: Readonly<Record<CiaPreset, CiaPresetConfig>> = Object.freeze({
  quick: {
    scale: 'mini',
    seeds: 1,
    split: 'good',
    hidden: 64,
    epochs: 3,
    stepsPerEpoch: 10,
    sampler: 'roots',
    arms: ['erm', 'cia-lra', 'cia-lra-all'],
    grid: GRID_STANDARD,
    calibrationSeeds: [1000],
  },
  standard: {
    scale: 'mini',
    seeds: 10,
    split: 'good',
    hidden: 64,
    epochs: 10,
    stepsPerEpoch: 10,
    sampler: 'roots',
    arms: ['erm', 'cia-lra', 'cia-lra-all'],
    grid: GRID_STANDARD,
    calibrationSeeds: [1000, 1001],
  },
  full: {
    scale: 'mini',
    seeds: 10,
    split: 'good',
    hidden: 300,
    epochs: 200,
    stepsPerEpoch: 10,
    sampler: 'roots',
    arms: ['erm', 'cia', 'cia-lra', 'cia-lra-all'],
    grid: [
      { lambda: 0.05, t: 2 },
      { lambda: 0.05, t: 4 },
      { lambda: 1, t: 2 },
      { lambda: 1, t: 4 },
    ],
    calibrationSeeds: [1000, 1001, 1002],
  },
});

/** The CBAS graph sizes of each {@link CiaScale}. */
export const SCALE_GRAPHS: Readonly<Record<CiaScale, Pick<CbasOptions, 'baseNodes' | 'houses'>>> = Object.freeze({
  mini: { baseNodes: 300, houses: 80 },
  large: { baseNodes: 1200, houses: 320 },
});

/** Options of `replicate`: core's plus overrides of the preset (smoke tests use smaller runs). */
export interface CiaReplicateOptions extends ReplicateOptions {
  /** `'mini'`: GOOD-CBAS size (700 nodes); `'large'`: base nodes and houses × 4 (2,800 nodes). Default: the preset's. */
  scale?: CiaScale;
  /** Epochs per run (default: the preset's). */
  epochs?: number;
  /** GCN hidden width (default: the preset's). */
  hidden?: number;
  /** Arms to compare (default: the preset's); ERM is always run, as the baseline and the positive control. */
  methods?: CiaArm[];
  /** Overrides of the generated graph (smoke tests use a smaller one). */
  cbas?: Partial<CbasOptions>;
}

/** Defaults of {@link CiaReplicateOptions} (everything else comes from the preset). */
export const defaultCiaReplicateOptions: CiaReplicateOptions = Object.freeze({
  preset: 'standard',
  seeds: undefined,
  onProgress: undefined,
  scale: undefined,
  epochs: undefined,
  hidden: undefined,
  methods: undefined,
  cbas: {},
});
