// @lab/made public API (explicit list).
export {
  edgeCosine,
  graphHomophily,
  nodeHomophily,
  ablLoss,
  symmetricEdgeMask,
  cleanNodesFromMask,
  cleanEdgeMask,
  crossEntropyPerSample,
  maskObjective,
  maskObjectiveTerms,
  rocAuc,
  maskedUnlearningLoss,
  cleanAccuracy,
  attackSuccessRate,
  isolationQuality,
} from './made.js';
export type { FeaturedGraph } from './made.js';
export { GraphClassifier, GIN, GCN, GraphSAGE, EdgeMaskGenerator } from './models.js';
export type { Architecture, GraphClassifierConfig, ClassifierOutput, EdgeMaskGeneratorConfig } from './models.js';
export { makeTrigger, plantTrigger, injectSubgraphTrigger, triggerTestSet } from './attack.js';
export type { PoisonedSet } from './attack.js';
export { backdoorTask, taskFeaturize, TASK_FEATURES, typedTask, TYPED_CLASSES } from './data.js';
export type { BackdoorTask } from './data.js';
export {
  predict,
  evaluateBackdoor,
  trainClassifier,
  isolate,
  madeDefend,
  ablDefend,
  maskGradientShares,
} from './defend.js';
export type { IsolationResult, UnlearnLogEntry, MadeResult, DefendExtras, MaskGradientShares } from './defend.js';
export { madeChart } from './chart.js';
export {
  defaultAblLossOptions,
  defaultMaskObjectiveOptions,
  defaultMaskedUnlearningOptions,
  defaultTriggerOptions,
  defaultBackdoorTaskOptions,
  defaultTypedTaskOptions,
  defaultMadeOptions,
  defaultAblOptions,
  defaultTrainOptions,
  defaultReplicationScale,
  defaultMadeReplicateOptions,
  PRESETS,
  PRESET_CONFIGS,
  ARMS,
  SETTINGS,
  CONTROLLED_PRECISION,
  REPLICATION_ISOLATION,
  REPLICATION_MADE,
  REPLICATION_THRESHOLDS,
} from './config.js';
export type {
  AblLossOptions,
  MaskObjectiveOptions,
  MaskedUnlearningOptions,
  FeatureTrigger,
  TriggerOptions,
  BackdoorTaskOptions,
  TypedTaskOptions,
  MadeOptions,
  AblOptions,
  TrainOptions,
  EpochCallback,
  TrainingProgress,
  MadePreset,
  MadeArm,
  MadeSetting,
  MadeReplicationConfig,
  MadeReplicationScale,
  MadeReplicateOptions,
} from './config.js';
export { replicate } from './replicate.js';
