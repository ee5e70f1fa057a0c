// @lab/symnce public API (explicit list).

// Losses (features [N, D] with labels [N], or [B, V, D] with labels [B], view-major).
export {
  supConLoss,
  revNceLoss,
  symNceLoss,
  rinceLoss,
  pairwiseLosses,
  nnPositiveMask,
  pairStats,
  rowLabels,
} from './symnce.js';
export type { LabelsInput } from './symnce.js';
export { ntXentLoss } from '@lab/core';
export { defaultContrastiveOptions, defaultSymNceOptions, defaultRinceOptions } from './config.js';
export type {
  ContrastiveOptions,
  SymNceOptions,
  RinceOptions,
  RevForm,
  LossName,
  SymmetricNoiseConvention,
} from './config.js';

// Label noise.
export { symmetricNoise, asymmetricNoise, ASYM_MAPS, truePositiveShare } from './noise.js';

// Encoder, training, evaluation, checkpoints.
export { ContrastiveEncoder, defaultEncoderConfig } from './encoder.js';
export type { EncoderConfig } from './encoder.js';
export {
  trainContrastive,
  evaluate,
  extractFeatures,
  loadCheckpoint,
  defaultTrainOptions,
  defaultEvaluateOptions,
} from './train.js';
export type { TrainOptions, TrainResult, EpochLog, LabeledSet, EvaluateOptions, LoadedCheckpoint } from './train.js';

// Miniature replication.
export { replicate, symNceReplicationPresets } from './replicate.js';
export type { SymNceReplicateOptions, SymNceReplicationConfig } from './replicate.js';
