// @lab/essl public API (explicit list).
export {
  rot90,
  hflip,
  vflip,
  invert,
  grayscale3,
  gaussianKernel1d,
  gaussianBlur,
  jigsaw,
  permutationRank,
  JIGSAW_PERMUTATIONS,
  applyTask,
  undoTask,
  transformationLoss,
  gradReverse,
  modeLosses,
  ntXent,
  cosineLrFactor,
} from './essl.js';
export type { ModeLosses } from './essl.js';
export { C4LiftConv, C4GroupConv, C4BatchNorm, c4GroupPool, c4Act, equivarianceResidual } from './c4.js';
export { MlpEncoder, SmallCnn, C4Cnn } from './encoders.js';
export type { Encoder, MlpEncoderOptions, SmallCnnOptions, C4CnnOptions } from './encoders.js';
export { pretrain } from './pretrain.js';
export type { PretrainData, PretrainLogEntry, PretrainResult, PretrainHooks } from './pretrain.js';
export { encodeImages, rotationAccuracy } from './evaluate.js';
export {
  TASKS,
  TASK_CLASSES,
  MODES,
  EXPERIMENTS,
  defaultEsslOptions,
  defaultTaskOptions,
  PRESETS,
  PRESET_CONFIGS,
  CRITERIA,
  MINIATURE,
} from './config.js';
export type {
  TaskName,
  EsslMode,
  EsslOptions,
  TaskOptions,
  EsslPreset,
  EsslExperiment,
  EsslReplicationConfig,
  EsslReplicateOptions,
} from './config.js';
export { replicate } from './replicate.js';
