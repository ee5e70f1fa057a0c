import { LabError, strictOptions, type OptionChecks, type Preset, type ReplicateOptions } from '@lab/core';
import type { CorpusOptions } from './zoo.js';

// Paper: Lizhe Fang, Yifei Wang, Zhaoyang Liu, Chenheng Zhang, Stefanie Jegelka, Jinyang Gao, Bolin Ding, Yisen
// Wang. "What is Wrong with Perplexity for Long-context Language Modeling?" ICLR 2025, arXiv:2410.23771. Official
// code: github.com/PKU-ML/LongPPL (`longppl/longppl.py`, `perplexity.py`, `finetune/finetune.py`).

/**
 * Options of LongPPL's key-token search (paper §3, eq. 4–6; official `find_key_token` and `perplexity.py` flags).
 */
export interface LongPPLOptions {
  /** Short context K: the short pass keeps only the last K (to K + d − 1) tokens (official default 4096). */
  truncLen: number;
  /** Window stride d of the short passes (official default 1024). */
  slidingWindow: number;
  /** LSD threshold α in nats: key iff the long context raises log p by more than α (paper eq. 4: 2). */
  alpha: number;
  /** LCL threshold β in nats: key iff the long-context log p exceeds β (paper eq. 5: −2). */
  beta: number;
  /** Prepend BOS to each short window (the official code does not; the full pass has one). */
  prependBosToShort: boolean;
  /** Reproduce the official quirks: a key token at index 0 yields loss index −1, read as the last loss. */
  faithful: boolean;
}

/** Official defaults: K = 4096, d = 1024, α = 2, β = −2, no BOS on short windows, quirks off. */
export const defaultLongPPLOptions: LongPPLOptions = Object.freeze({
  truncLen: 4096,
  slidingWindow: 1024,
  alpha: 2,
  beta: -2,
  prependBosToShort: false,
  faithful: false,
});

/** Options of LongCE (paper §4, eq. 7; official `finetune/finetune.py::loss_weight`). */
export interface LongCEOptions {
  /** Short context K of the weight estimate (official: 4096). */
  truncLen: number;
  /** Window stride d (official `--internal`: 1024). */
  slidingWindow: number;
  /** Upper clip γ of the weight exp(LSD) (official `--threshold`: 5). */
  cap: number;
  /** Official behaviour: ignore padding masks (pads are trained on). */
  faithful: boolean;
}

/** Official defaults: K = 4096, d = 1024, γ = 5. */
export const defaultLongCEOptions: LongCEOptions = Object.freeze({
  truncLen: 4096,
  slidingWindow: 1024,
  cap: 5,
  faithful: false,
});

/** Ranges of the LongPPL options: K, d ≥ 1 integers (α, β: finite, any sign, checked by {@link resolveLongPPLOptions}). */
export const longPPLChecks: OptionChecks<LongPPLOptions> = {
  truncLen: { min: 1, integer: true },
  slidingWindow: { min: 1, integer: true },
};

/** Ranges of the LongCE options: K, d ≥ 1 integers; γ > 0. */
export const longCEChecks: OptionChecks<LongCEOptions> = {
  truncLen: { min: 1, integer: true },
  slidingWindow: { min: 1, integer: true },
  cap: { min: 0, minExclusive: true },
};

export function assertFiniteNumber(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new LabError('NON_FINITE', `${name}: expected a finite number, got ${value}`);
  }
}

/**
 * {@link resolveLongPPLOptions} for a function that also takes `extra` keys (e.g. `{ onProgress: undefined }`:
 * optional, no default): one `strictOptions` call, so an unknown key lists every key the function knows.
 */
export function strictLongPPLOptions<E extends object>(
  options: Partial<LongPPLOptions & E> | undefined,
  extra: E,
  where: string,
): LongPPLOptions & E {
  const o = strictOptions(
    options,
    { ...defaultLongPPLOptions, ...extra },
    where,
    longPPLChecks as OptionChecks<LongPPLOptions & E>,
  );
  assertFiniteNumber(o.alpha, 'alpha');
  assertFiniteNumber(o.beta, 'beta');
  const onProgress = (o as { onProgress?: unknown }).onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function')
    throw new LabError('INVALID_ARGUMENT', `onProgress: expected a function, got ${typeof onProgress}`);
  return o;
}

/**
 * Merges user options over the defaults and validates them with core's `strictOptions`: unknown keys, wrong
 * types, K or d < 1 or not integers, and non-finite α or β are refused with a `LabError` naming the key.
 */
export function resolveLongPPLOptions(
  options: Partial<LongPPLOptions> = {},
  where = 'LongPPL options',
): LongPPLOptions {
  return strictLongPPLOptions(options, {}, where);
}

/** Merges user options over the defaults and validates them (unknown keys; K, d ≥ 1 integers; cap γ > 0). */
export function resolveLongCEOptions(options: Partial<LongCEOptions> = {}, where = 'LongCE options'): LongCEOptions {
  return strictOptions(options, defaultLongCEOptions, where, longCEChecks);
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// The miniature replication (spec §5): presets, tiers and their settings, fixed before any comparison
// ─────────────────────────────────────────────────────────────────────────────────────────────

/** The replication presets, in order of size (`--preset` refuses any other name). */
export const PRESETS = ['quick', 'full'] as const satisfies readonly Preset[];
export type LongPPLPreset = (typeof PRESETS)[number];

/** What each preset runs: seeds 0 … seeds − 1 and the tiers (tier 2, the trained tiny GPT-2, only in `full`). */
export interface LongPPLReplicationConfig {
  seeds: number;
  tiers: (1 | 2)[];
}

export const PRESET_CONFIGS: Record<LongPPLPreset, LongPPLReplicationConfig> = {
  quick: { seeds: 3, tiers: [1] },
  full: { seeds: 3, tiers: [1, 2] },
};

/** Preset defaults: 3 seeds; tier 2 (trained tiny GPT-2 zoo) only in `full` (the same as {@link PRESET_CONFIGS}). */
export const defaultLongPPLReplicateOptions = {
  seeds: PRESET_CONFIGS.quick.seeds,
  quickTiers: PRESET_CONFIGS.quick.tiers,
  fullTiers: PRESET_CONFIGS.full.tiers,
};

/** What both tiers share: the corpus, the zoo grid (window × λ) and the key-token search (K, d, α, β). */
interface TierZooOptions {
  corpus: Partial<CorpusOptions>;
  /** Windows W of the zoo members (copy window in tier 1, attention window in tier 2). */
  windows: number[];
  /** Uniform mixing weights λ of the zoo members. */
  lambdas: number[];
  truncLen: number;
  slidingWindow: number;
  alpha: number;
  beta: number;
}

/** Settings of tier 1 (spec §5): the analytic zoo on the synthetic key–value corpus. */
export interface Tier1Options extends TierZooOptions {
  docsPerSeed: number;
  /** α values of the robustness sweep (reported, never used to choose α). */
  alphaSweep: number[];
}

/** Spec §5 tier 1: 12 documents, W ∈ {16, 64, 128, 256, 512} × λ ∈ {0.01, 0.1, 0.3}, K = 64, d = 32, α = 2, β = −2. */
export const defaultTier1Options: Tier1Options = {
  docsPerSeed: 12,
  windows: [16, 64, 128, 256, 512],
  lambdas: [0.01, 0.1, 0.3],
  truncLen: 64,
  slidingWindow: 32,
  alpha: 2,
  beta: -2,
  alphaSweep: [1, 2, 3],
  corpus: {},
};

/** Settings of tier 2 (spec §5): a tiny GPT-2 trained on the key–value corpus, zoo by attention window. */
export interface Tier2Options extends TierZooOptions {
  /** Corpus of tier 2: n = 192; 6 definitions and 4 queries fit (the spec's 8 queries do not fit after 0.8n). */
  corpus: Partial<CorpusOptions>;
  hidden: number;
  layers: number;
  heads: number;
  learningRate: number;
  batchSize: number;
  /** Training budget per seed in seconds (the loop also stops at maxSteps). */
  trainSeconds: number;
  maxSteps: number;
  evalDocs: number;
  /** Below this query-value accuracy of the unrestricted model the seed is inconclusive. */
  minEvaluatorAccuracy: number;
}

/** Spec §5 tier 2: GPT-2 with 2 layers, d = 64, 4 heads, Adam 3e-3, batch 8, 100 s per seed. */
export const defaultTier2Options: Tier2Options = {
  corpus: { length: 192, nDefinitions: 6, nQueries: 4 },
  hidden: 64,
  layers: 2,
  heads: 4,
  learningRate: 3e-3,
  batchSize: 8,
  trainSeconds: 100,
  maxSteps: 5000,
  evalDocs: 12,
  windows: [8, 16, 32, 64, 192],
  lambdas: [0, 0.2],
  truncLen: 32,
  slidingWindow: 16,
  alpha: 2,
  beta: -2,
  minEvaluatorAccuracy: 0.8,
};

const count = { min: 1, integer: true } as const;

export const tier1Checks: OptionChecks<Tier1Options> = { docsPerSeed: count, truncLen: count, slidingWindow: count };

export const tier2Checks: OptionChecks<Tier2Options> = {
  hidden: count,
  layers: count,
  heads: count,
  learningRate: { min: 0, minExclusive: true },
  batchSize: count,
  trainSeconds: { min: 0 },
  maxSteps: count,
  evalDocs: count,
  truncLen: count,
  slidingWindow: count,
  minEvaluatorAccuracy: { min: 0, max: 1 },
};

/** Options of {@link replicate}: which tiers run and their sizes (defaults per preset follow spec §5). */
export interface LongPPLReplicateOptions extends ReplicateOptions {
  /** Tiers to run; default [1] for `quick`, [1, 2] for `full`. */
  tiers?: (1 | 2)[];
  tier1?: Partial<Tier1Options>;
  tier2?: Partial<Tier2Options>;
}
