export { defaultLongPPLOptions, defaultLongCEOptions, resolveLongPPLOptions, resolveLongCEOptions } from './config.js';
export type { LongPPLOptions, LongCEOptions } from './config.js';
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
export { defaultTier1Options } from './tier1.js';
export type { Tier1Options } from './tier1.js';
export { defaultTier2Options } from './tier2.js';
export type { Tier2Options } from './tier2.js';
export { replicate, defaultLongPPLReplicateOptions } from './replicate.js';
export type { LongPPLReplicateOptions } from './replicate.js';
// Re-exported from @lab/core so the spec's API is importable from one place.
export { pearson, spearman } from '@lab/core';
export { decodeDiffOffsets, tfjsScorer, precomputedScorer, scorerKey } from '@lab/lm';
export type { Scorer, OffsetTokenizer } from '@lab/lm';
