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
// Re-exported from @lab/core and @lab/lm so the spec's API is importable from one place.
export { pearson, spearman } from '@lab/core';
export { decodeDiffOffsets, tfjsScorer, precomputedScorer, scorerKey } from '@lab/lm';
export type { Scorer, OffsetTokenizer } from '@lab/lm';
