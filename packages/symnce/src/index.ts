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

// Options, defaults and presets.
export {
  defaultContrastiveOptions,
  defaultSymNceOptions,
  defaultRinceOptions,
  LINEAR_MIN_TEMPERATURE,
  defaultEncoderConfig,
  defaultTrainOptions,
  defaultEvaluateOptions,
  PRESETS,
  REV_FORMS,
  CALIBRATED_BETAS,
  symNceReplicationPresets,
} from './config.js';
export type {
  ContrastiveOptions,
  SymNceOptions,
  RinceOptions,
  RevForm,
  LossName,
  SymmetricNoiseConvention,
  EncoderConfig,
  TrainOptions,
  EvaluateOptions,
  SymNcePreset,
  SymNceReplicateOptions,
  SymNceReplicationConfig,
  NoiseSetting,
  ReplicationArm,
} from './config.js';

// Label noise.
export { symmetricNoise, asymmetricNoise, ASYM_MAPS, truePositiveShare } from './noise.js';

// Encoder, training, evaluation, checkpoints.
export { ContrastiveEncoder } from './encoder.js';
export { trainContrastive, evaluate, extractFeatures, loadCheckpoint, reverseGradientShare } from './train.js';
export type { TrainResult, EpochLog, LabeledSet, LoadedCheckpoint, GradientShare } from './train.js';

// Miniature replication.
export { replicate, settingName, REPLICATION_METRICS } from './replicate.js';
export { replicationChart } from './chart.js';
