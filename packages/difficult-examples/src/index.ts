// @lab/difficult-examples public API (Zhang, Cui, Li, Wang, "Difficult Examples Hurt Unsupervised Contrastive
// Learning: A Theoretical Perspective", ICLR 2026, arXiv:2501.01317).

// ── options and defaults ──────────────────────────────────────────────────────────────────
export {
  defaultSelectionOptions,
  defaultDifficultLossOptions,
  defaultAugmentOptions,
  defaultSimCLRModelConfig,
  defaultTrainOptions,
  defaultOutOfFoldOptions,
  defaultMixOptions,
  defaultReplicateOptions,
  LOSS_MODES,
  REPLICATION_VARIANTS,
  PRESETS,
  PRESET_CONFIGS,
  CRITERION_VARIANTS,
  CRITERION_MIN_SEEDS,
  POSITIVE_CONTROL,
  GRADIENT_SHARE_FLOOR,
} from './config.js';
export type {
  SelectionOptions,
  DifficultLossOptions,
  DifficultLossMode,
  AugmentOptions,
  SimCLRModelConfig,
  TrainOptions,
  OutOfFoldOptions,
  MixOptions,
  DEReplicateOptions,
  ReplicationVariant,
  DEPreset,
  DEPresetConfig,
} from './config.js';

// ── selection (Eq. 12) and the edited NT-Xent losses (Eqs. 13–16) ────────────────────────
export {
  selectDifficultPairs,
  editLogits,
  difficultPairLoss,
  spectralContrastiveLoss,
  positiveIndex,
  editGradientShare,
} from './difficult-examples.js';
export type { DifficultPairSelection, EditGradientShare } from './difficult-examples.js';
// Written once in @lab/core (shared with @lab/symnce); re-exported for the spec's API.
export { ntXentLoss, quantile, symmetricEigenvalues } from '@lab/core';

// ── similarity-graph theory (Thms 3.3, 3.4, 4.3, 4.5; Cor 4.1) ──────────────────────────
export { similarityGraph, spectralBounds, numericLambda } from './theory.js';
export type { GraphParams, SpectralBounds } from './theory.js';

// ── dataset-level scoring and removal, ω-mixing, α/β/γ ───────────────────────────────────
export {
  top2Margin,
  lowestMarginPerClass,
  outOfFoldMargins,
  randomRemoval,
  keptIndices,
  mixDifficult,
  estimateAlphaBetaGamma,
} from './scoring.js';
export type { MixedData } from './scoring.js';

// ── SimCLR model and training with in-loss edits ─────────────────────────────────────────
export { SimCLRModel, trainSimCLR, resolveTrainOptions, twoViews, encode } from './model.js';
export type { EpochLog, TrainHooks, TrainOptionsInput } from './model.js';

// ── miniature replication ────────────────────────────────────────────────────────────────
export { replicate, mergeReplicationReports } from './replicate.js';
export { replicationChart } from './chart.js';
