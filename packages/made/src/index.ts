// @lab/made public API (explicit list).
export {
  edgeCosine,
  graphHomophily,
  nodeHomophily,
  ablLoss,
  defaultAblLossOptions,
  symmetricEdgeMask,
  cleanNodesFromMask,
  cleanEdgeMask,
  crossEntropyPerSample,
  maskObjective,
  defaultMaskObjectiveOptions,
  maskedUnlearningLoss,
  defaultMaskedUnlearningOptions,
  cleanAccuracy,
  attackSuccessRate,
  isolationQuality,
} from './made.js';
export type { FeaturedGraph, AblLossOptions, MaskObjectiveOptions, MaskedUnlearningOptions } from './made.js';
export { GraphClassifier, GIN, GCN, GraphSAGE, EdgeMaskGenerator } from './models.js';
export type { Architecture, GraphClassifierConfig, ClassifierOutput, EdgeMaskGeneratorConfig } from './models.js';
export { makeTrigger, plantTrigger, injectSubgraphTrigger, triggerTestSet, defaultTriggerOptions } from './attack.js';
export type { FeatureTrigger, TriggerOptions, PoisonedSet } from './attack.js';
export { backdoorTask, taskFeaturize, defaultBackdoorTaskOptions, TASK_FEATURES } from './data.js';
export type { BackdoorTaskOptions, BackdoorTask } from './data.js';
export { predict, evaluateBackdoor, trainClassifier, isolate, madeDefend, ablDefend } from './defend.js';
export type { EpochCallback, IsolationResult, UnlearnLogEntry, MadeResult, DefendExtras } from './defend.js';
export { defaultMadeOptions, defaultAblOptions, defaultTrainOptions } from './config.js';
export type { MadeOptions, AblOptions, TrainOptions } from './config.js';
export { replicate, defaultMadeReplicateOptions } from './replicate.js';
export type { MadeReplicateOptions } from './replicate.js';
