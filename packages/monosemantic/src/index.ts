// @lab/monosemantic public API (explicit list).
export {
  repRelu,
  nclLoss,
  clLoss,
  viewMajorIds,
  topKEncode,
  topKLatents,
  topKDecode,
  normalizedMse,
  semanticConsistency,
  classConsistencyEval,
  sparsity,
  sparsityPerSample,
  activeDims,
  effectiveRank,
  orthogonality,
  monosemanticityMetrics,
  superpositionToy,
} from './monosemantic.js';
export type { TopKSAEParams, MonoMetrics } from './monosemantic.js';
export { TopKSAE } from './sae.js';
export { MlpEncoder } from './encoder.js';
export type { MlpEncoderConfig } from './encoder.js';
export { pretrain, pool2 } from './pretrain.js';
export type { PretrainData, PretrainResult } from './pretrain.js';
export { symmetricLabelNoise, addInputNoise, linearProbe } from './probes.js';
export type { MonoProbeOptions, MonoProbeResult } from './probes.js';
export { loadMiniature, twoDigitImages } from './data.js';
export type { MiniatureData } from './data.js';
export { decodeNpy, readFeatures, readLabels } from './features-file.js';
export {
  defaultNclOptions,
  defaultTopKSAEOptions,
  defaultPretrainOptions,
  NON_NEG_CHOICES,
  PRESETS,
  PRESET_CONFIGS,
  CRITERIA,
} from './config.js';
export type {
  NclOptions,
  NonNeg,
  TopKSAEOptions,
  PretrainOptions,
  MonoPreset,
  MonoReplicationConfig,
} from './config.js';
export { replicate, METHODS } from './replicate.js';
export type { MonoReplicateOptions } from './replicate.js';
