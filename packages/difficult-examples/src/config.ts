/**
 * Options of @lab/difficult-examples with their documented defaults, the replication presets and what each
 * preset runs.
 *
 * Paper: Yi-Ge Zhang, Jingyi Cui, Qiran Li, Yisen Wang. "Difficult Examples Hurt Unsupervised Contrastive
 * Learning: A Theoretical Perspective". ICLR 2026, arXiv:2501.01317 (https://arxiv.org/abs/2501.01317).
 */
import type { Preset, ProgressEvent, ReplicateOptions } from '@lab/core';

/** Label-free difficult-pair selection (paper Eq. 12, §5.1). */
export interface SelectionOptions {
  /**
   * Upper edge of the band as a descending percentile: pairs more similar than `Sim_posHigh` are treated
   * as probable same-class pairs and left alone. The paper sets it near 1/#classes; default 0.1.
   */
  posHigh: number;
  /** Lower edge of the band as a descending percentile ("including more samples does not hurt"); default 0.95. */
  posLow: number;
  /** Percentiles over all off-diagonal pairs of the batch (`global`, default) or per anchor row (`row`). Not specified by the paper. */
  scope: 'global' | 'row';
  /** Drop the positive pair (i, pos(i)) from the candidates and from the percentile population (default true). Not specified by the paper. */
  excludePositive: boolean;
}

/** `{ posHigh: 0.1, posLow: 0.95, scope: 'global', excludePositive: true }` (paper §5.1; scope/exclusion are package choices). */
export const defaultSelectionOptions: Readonly<SelectionOptions> = Object.freeze({
  posHigh: 0.1,
  posLow: 0.95,
  scope: 'global',
  excludePositive: true,
});

/** The NT-Xent variants of the paper (Eqs. 13–16). */
export const LOSS_MODES = ['ntxent', 'remove', 'margin', 'temperature', 'combined'] as const;
export type DifficultLossMode = (typeof LOSS_MODES)[number];

/** Options of the edited NT-Xent loss. */
export interface DifficultLossOptions {
  /** NT-Xent temperature τ > 0 (not reported by the paper; the SimCLR CIFAR recipe uses 0.5). */
  temperature: number;
  /** Which edit: `ntxent` (baseline), `remove` (Eq. 13), `margin` (Eq. 14), `temperature` (Eq. 15), `combined` (Eq. 16). */
  mode: DifficultLossMode;
  /** Margin σ added to the cosine of difficult pairs (Eqs. 14, 16); the paper's best on CIFAR-100 is 0.1 (Fig. 5a). */
  sigma: number;
  /** Temperature factor ρ > 0 on difficult pairs (Eqs. 15, 16); the paper's best on CIFAR-100 is 0.7 (Fig. 5b, Table 9). */
  rho: number;
}

/** `{ temperature: 0.5, mode: 'combined', sigma: 0.1, rho: 0.7 }` (paper Fig. 5; τ from the SimCLR CIFAR recipe). */
export const defaultDifficultLossOptions: Readonly<DifficultLossOptions> = Object.freeze({
  temperature: 0.5,
  mode: 'combined',
  sigma: 0.1,
  rho: 0.7,
});

/** View augmentation for SimCLR training on flattened square images. */
export interface AugmentOptions {
  /** Largest random shift in pixels in each direction (spec §5: ±2 px). */
  maxShift: number;
  /** Random-resized-crop scale range [min, max]; `null` turns it off (default; the spec's one permitted strengthening). */
  cropScale: [number, number] | null;
  /** Standard deviation of added Gaussian pixel noise; 0 turns it off (default). */
  noiseStd: number;
}

/** `{ maxShift: 2, cropScale: null, noiseStd: 0 }`. */
export const defaultAugmentOptions: Readonly<AugmentOptions> = Object.freeze({
  maxShift: 2,
  cropScale: null,
  noiseStd: 0,
});

/** Architecture of the MLP SimCLR model: encoder (features h) and projector (outputs z). */
export interface SimCLRModelConfig {
  inputDim: number;
  /** Hidden widths of the encoder before its feature layer (spec §5: [128]). */
  hidden: number[];
  /** Width of the backbone features h (spec §5: 64). */
  featureDim: number;
  /** Projector hidden width (spec §5: 64). */
  projHidden: number;
  /** Projector output width (spec §5: 32). */
  projDim: number;
  seed: number;
}

/** The spec's miniature model: 784-128-64 encoder, 64-64-32 head. */
export const defaultSimCLRModelConfig: Readonly<SimCLRModelConfig> = Object.freeze({
  inputDim: 784,
  hidden: [128],
  featureDim: 64,
  projHidden: 64,
  projDim: 32,
  seed: 0,
});

/** SimCLR training with in-loss selection and edits. */
export interface TrainOptions {
  /** Loss variant; `ntxent` ignores selection entirely. */
  mode: DifficultLossMode;
  selection: SelectionOptions;
  loss: Omit<DifficultLossOptions, 'mode'>;
  model: Omit<SimCLRModelConfig, 'inputDim' | 'seed'>;
  augment: AugmentOptions;
  /** Side length of the square images (28 for MNIST); inputs are `[N, side*side]`. */
  imageSide: number;
  epochs: number;
  /** Items per batch B (2B rows after the two views; spec §5: 128). */
  batchSize: number;
  /** Adam learning rate (spec §5: 1e-3). */
  lr: number;
  seed: number;
}

/** The spec's miniature recipe (§5): combined edit, Adam 1e-3, batch 128, 20 epochs, ±2 px shifts. */
export const defaultTrainOptions: Readonly<TrainOptions> = Object.freeze({
  mode: 'combined',
  selection: { ...defaultSelectionOptions },
  loss: { temperature: 0.5, sigma: 0.1, rho: 0.7 },
  model: { hidden: [128], featureDim: 64, projHidden: 64, projDim: 32 },
  augment: { ...defaultAugmentOptions },
  imageSide: 28,
  epochs: 20,
  batchSize: 128,
  lr: 1e-3,
  seed: 0,
}) as TrainOptions;

/** Options of the supervised out-of-fold margin scorer (spec §2.4; the classifier is not given by the paper). */
export interface OutOfFoldOptions {
  /** Number of folds (spec §2.4: 5). */
  folds?: number;
  /** Hidden width of the d-hidden-C ReLU MLP scorer (spec §5: 128). */
  hidden?: number;
  /** Training epochs per fold (not specified by the paper; default 10). */
  epochs?: number;
  /** Rows per Adam step (default 128, the last batch of an epoch may be smaller). */
  batchSize?: number;
  /** Adam learning rate (default 1e-3). */
  lr?: number;
  /** Seeds the fold split, the initialisation and the batch order. */
  seed?: number;
  /** Number of classes; default max label + 1 (then the ids must be dense: below the number of examples). */
  numClasses?: number;
  /** Called after every scorer step with the steps done over all folds. */
  onProgress?: (event: ProgressEvent) => void;
}

/** `{ folds: 5, hidden: 128, epochs: 10, batchSize: 128, lr: 1e-3, seed: 0 }` (spec §2.4 and §5). */
export const defaultOutOfFoldOptions: Readonly<OutOfFoldOptions> = Object.freeze({
  folds: 5,
  hidden: 128,
  epochs: 10,
  batchSize: 128,
  lr: 1e-3,
  seed: 0,
  numClasses: undefined,
  onProgress: undefined,
});

/** Options of the ω-mixing generator (paper Fig. 2 / Table 10). */
export interface MixOptions {
  /** Weight of the image's own pixels in the 50/50 mixture (not given by the paper; default 0.5). */
  weight?: number;
  /** Values per image (784 for MNIST). */
  dim?: number;
}

/** `{ weight: 0.5, dim: 784 }`. */
export const defaultMixOptions: Readonly<Required<MixOptions>> = Object.freeze({ weight: 0.5, dim: 784 });

// ── the miniature replication (spec §5) ───────────────────────────────────────────────────

/** The variants of the miniature (spec §5). */
export const REPLICATION_VARIANTS = [
  'clean',
  'baseline',
  'oracle_remove',
  'margin_remove',
  'random_remove',
  'inloss_remove',
  'inloss_combined',
] as const;
export type ReplicationVariant = (typeof REPLICATION_VARIANTS)[number];

/** Options of `replicate()`: the shared ones plus overrides of the preset (tests use tiny sizes). */
export interface DEReplicateOptions extends ReplicateOptions {
  /** Fraction ω of training images replaced by cross-class mixtures (spec: 0.5). */
  omega?: number;
  /** Which variants to run; default: the preset's. `baseline` is always run (every comparison is paired against it). */
  variants?: ReplicationVariant[];
  /** SimCLR epochs per run (full 20, standard and quick 10). */
  epochs?: number;
  /** Items per batch B (spec: 128). */
  batchSize?: number;
  /** Training / clean probe / test images drawn per seed (spec: 3,000 / 1,000 / 2,000). */
  trainSize?: number;
  probeSize?: number;
  testSize?: number;
  /** Epochs of each fold's margin scorer (default 10). */
  scorerEpochs?: number;
  /** Epochs of the linear probe (default: @lab/core's `linearProbe` recipe, 300 full-batch Adam epochs). */
  probeEpochs?: number;
  /** View augmentation; the spec's one permitted strengthening is `{ cropScale: [0.6, 1], noiseStd: … }`, applied to all variants. */
  augment?: Partial<AugmentOptions>;
}

/** Defaults of `replicate()` (spec §5); `undefined` means "the preset's" (or the callee's default). */
export const defaultReplicateOptions: Readonly<DEReplicateOptions> = Object.freeze({
  preset: 'standard',
  seeds: undefined,
  onProgress: undefined,
  omega: 0.5,
  variants: undefined,
  epochs: undefined,
  batchSize: 128,
  trainSize: 3000,
  probeSize: 1000,
  testSize: 2000,
  scorerEpochs: 10,
  probeEpochs: undefined,
  augment: undefined,
});

/** The replication presets of this package, in order of size (`--preset` refuses any other name). */
export const PRESETS = ['quick', 'standard', 'full'] as const satisfies readonly Preset[];
export type DEPreset = (typeof PRESETS)[number];

/**
 * The arms the spec's criterion (§5) judges: `inloss_remove` (Eq. 13) is measured by `full` but enters no
 * criterion, so `standard` leaves it out.
 */
export const CRITERION_VARIANTS = [
  'clean',
  'baseline',
  'oracle_remove',
  'margin_remove',
  'random_remove',
  'inloss_combined',
] as const satisfies readonly ReplicationVariant[];

/**
 * The positive control (issue 17), run before the comparison arms: dropping exactly the mixed images
 * (`oracle_remove`) must raise the linear probe over `baseline` if the setting can detect the claimed effect
 * at all. It passes when the lower end of the 95 % t interval of the paired per-seed differences
 * (core's `pairedStatistics`) is above 0 points. When it fails the verdict is `inconclusive`, never `not-reproduced`.
 */
export const POSITIVE_CONTROL = Object.freeze({
  variant: 'oracle_remove' as ReplicationVariant,
  metric: 'probeAcc',
  level: 0.95,
  /** The control passes when the interval's lower end exceeds this (points of probe accuracy). */
  ciLowAbove: 0,
});

/** Seeds the spec's criterion needs (its "≥ 4 of 5 seeds" rule is ⌈0.8·n⌉ of n for other counts). */
export const CRITERION_MIN_SEEDS = 5;

/**
 * A custom loss edit whose gradient share on the first batch after the warm-up epoch is below this fraction
 * (at the paper's defaults) is reported in the report's notes as barely acting (issue 17).
 */
export const GRADIENT_SHARE_FLOOR = 0.05;

/** What each preset runs, fixed before any comparison. */
export interface DEPresetConfig {
  /** Paired seeds (0 … seeds − 1) unless the caller passes its own. */
  seeds: number;
  /** SimCLR epochs per run. */
  epochs: number;
  variants: ReplicationVariant[];
}

export const PRESET_CONFIGS: Readonly<Record<DEPreset, Readonly<DEPresetConfig>>> = Object.freeze({
  // spec §5's quick run: one seed; baseline, oracle_remove and inloss_combined; 10 epochs (CI smoke run).
  quick: { seeds: 1, epochs: 10, variants: ['baseline', 'oracle_remove', 'inloss_combined'] },
  // The smallest run the spec's criterion can judge: its 5 paired seeds and every arm it names (the positive
  // control oracle_remove first), at quick's 10 epochs (fixed before the run; see the README).
  standard: { seeds: 5, epochs: 10, variants: [...CRITERION_VARIANTS] },
  // spec §5: every variant, 5 paired seeds, 20 epochs.
  full: { seeds: 5, epochs: 20, variants: [...REPLICATION_VARIANTS] },
});
