// @lab/longppl public API (explicit list).
export {
  defaultLongPPLOptions,
  defaultLongCEOptions,
  resolveLongPPLOptions,
  resolveLongCEOptions,
  defaultTier1Options,
  defaultTier2Options,
  defaultLongPPLReplicateOptions,
  PRESETS,
  PRESET_CONFIGS,
  DEFAULT_PRESET,
} from './config.js';
export type {
  LongPPLOptions,
  LongCEOptions,
  Tier1Options,
  Tier2Options,
  LongPPLReplicateOptions,
  LongPPLPreset,
  LongPPLReplicationConfig,
} from './config.js';
export {
  windowSchedule,
  keyMask,
  mergeAdjacentSpans,
  alignKeySpans,
  parseSpanFile,
  formatSpanFile,
  documentLongPPL,
  corpusAggregate,
  longCEWeights,
  longCELoss,
  selfLongCEWeights,
  scoredModel,
  longShortLosses,
  findKeySpans,
  computeLongPPL,
} from './longppl.js';
export type { Span, Window, ScoredModel, DocumentLongPPL, LongShortLosses } from './longppl.js';
export { keyValueCorpus, analyticZooModel, symbolTokenizer, defaultCorpusOptions } from './zoo.js';
export type { CorpusOptions, KeyValueDocument, KeyValueCorpus, FillerChain, ZooModelOptions } from './zoo.js';
export { replicate } from './replicate.js';
export { batchShortLosses, batchLongCEWeights, trainStep } from './longce.js';
export type { BatchLongCEOptions, TrainStepResult } from './longce.js';
export { longPPLChart, R_LONGPPL_MAX, R_PPL_MIN } from './chart.js';
export { trainTier2Base, runTier2Seed, queryValueAccuracy, TIER2_ARMS } from './tier2.js';
export type { Tier2Base, Tier2SeedResult } from './tier2.js';
export type { Tier1SeedResult } from './tier1.js';
// Re-exported from @lab/core and @lab/lm so the spec's API is importable from one place.
export { pearson, spearman } from '@lab/core';
export { decodeDiffOffsets, tfjsScorer, precomputedScorer, scorerKey } from '@lab/lm';
export type { Scorer, OffsetTokenizer } from '@lab/lm';
