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

/** The replication presets, in order of size (`--preset` refuses any other name); `standard` is the default. */
export const PRESETS = ['quick', 'standard', 'full'] as const satisfies readonly Preset[];
export type LongPPLPreset = (typeof PRESETS)[number];

/** The preset `replicate()` and `lab-longppl replicate` run when none is named. */
export const DEFAULT_PRESET: LongPPLPreset = 'standard';

/**
 * What each preset runs: seeds 0 … seeds − 1 and the tiers. `quick` (CI) is tier 1 alone; `standard` adds
 * tier 2 (a tiny LLaMA that has learned key–value retrieval, fine-tuned with LongCE and with plain CE on the
 * same batches) over 5 paired seeds; `full` the same over 10 paired seeds.
 */
export interface LongPPLReplicationConfig {
  seeds: number;
  tiers: (1 | 2)[];
}

export const PRESET_CONFIGS: Record<LongPPLPreset, LongPPLReplicationConfig> = {
  quick: { seeds: 3, tiers: [1] },
  standard: { seeds: 5, tiers: [1, 2] },
  full: { seeds: 10, tiers: [1, 2] },
};

/** Preset defaults (the same as {@link PRESET_CONFIGS}): seeds and tiers of each preset. */
export const defaultLongPPLReplicateOptions = {
  defaultPreset: DEFAULT_PRESET,
  seeds: PRESET_CONFIGS[DEFAULT_PRESET].seeds,
  quickTiers: PRESET_CONFIGS.quick.tiers,
  standardTiers: PRESET_CONFIGS.standard.tiers,
  fullTiers: PRESET_CONFIGS.full.tiers,
};

/** What both tiers share: the corpus and the key-token search (K, d, α, β). */
interface TierSearchOptions {
  corpus: Partial<CorpusOptions>;
  truncLen: number;
  slidingWindow: number;
  alpha: number;
  beta: number;
}

/** Settings of tier 1 (spec §5): the analytic zoo on the synthetic key–value corpus. */
export interface Tier1Options extends TierSearchOptions {
  docsPerSeed: number;
  /** Copy windows W of the zoo members. */
  windows: number[];
  /** Uniform mixing weights λ of the zoo members. */
  lambdas: number[];
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

/**
 * Settings of tier 2 (issue 17 item 6): LongCE fine-tuning against plain CE. A tiny LLaMA is first trained with
 * CE on the long documents until it retrieves (the base model, trained once per run on its own data stream, as
 * the paper fine-tunes one pretrained model); the positive control requires its query-value accuracy at the long
 * context to be well above chance and below the ceiling. Each paired seed then fine-tunes two copies of the base
 * on the same batches: one with CE, one with LongCE (paper eq. 7, official `loss_weight`: weights
 * `min(exp(LSD), γ)` re-estimated by the model being trained at every step, 1 for targets before K, divided by
 * n − 1). Accuracy is measured on held-out documents of that seed; LongPPL (key tokens from the external analytic
 * evaluator of tier 1, W = ∞) and PPL of both arms are reported.
 */
export interface Tier2Options extends TierSearchOptions {
  hidden: number;
  layers: number;
  heads: number;
  /** SwiGLU width. */
  intermediate: number;
  /** Adam learning rate of base training and fine-tuning. */
  learningRate: number;
  batchSize: number;
  /** CE steps of the base model (fixed before the comparison, calibrated on the base stream only). */
  baseSteps: number;
  /** Seed of the base model's initialisation and data stream (distinct from the comparison seeds' streams). */
  baseSeed: number;
  /** Fine-tuning steps of each arm. */
  fineTuneSteps: number;
  /** Accuracy checkpoints every this many fine-tuning steps (the last step is always one). */
  evalEvery: number;
  /** Held-out documents per seed. */
  evalDocs: number;
  /** LongCE's upper clip γ of exp(LSD) (official `--threshold`: 5). */
  cap: number;
  /** Positive control: the base model's long-context query-value accuracy must reach this (chance: 1/nValues). */
  minBaseAccuracy: number;
  /** …and stay below this, so fine-tuning has room to show a gain. */
  maxBaseAccuracy: number;
  /** Criterion: the lower end of the 95 % t interval of the mean paired accuracy gain (LongCE − CE) must reach this. */
  minGainCILow: number;
}

/**
 * Tier 2 as fixed before the comparison: n = 64 (3 definitions in [8, 35), 3 queries from 39: distances 4–55),
 * LLaMA 2 layers × d 64 × 4 heads (SwiGLU 128), Adam 1e-3, batch 16; base 2000 CE steps (calibrated on the base
 * stream only); 100 fine-tuning steps per arm with checkpoints every 25; K = 16, d = 16 (the official 4096 / 1024
 * scaled to n = 64: most query distances exceed K), γ = 5 (official); α = 2, β = −2 for LongPPL.
 */
export const defaultTier2Options: Tier2Options = {
  corpus: { length: 64, nDefinitions: 3, nQueries: 3, definitionEnd: 0.55, queryStart: 0.6 },
  hidden: 64,
  layers: 2,
  heads: 4,
  intermediate: 128,
  learningRate: 1e-3,
  batchSize: 16,
  baseSteps: 2000,
  baseSeed: 1000,
  fineTuneSteps: 100,
  evalEvery: 25,
  evalDocs: 32,
  truncLen: 16,
  slidingWindow: 16,
  alpha: 2,
  beta: -2,
  cap: 5,
  minBaseAccuracy: 0.25,
  maxBaseAccuracy: 0.9,
  minGainCILow: 0,
};

const count = { min: 1, integer: true } as const;

export const tier1Checks: OptionChecks<Tier1Options> = { docsPerSeed: count, truncLen: count, slidingWindow: count };

export const tier2Checks: OptionChecks<Tier2Options> = {
  hidden: count,
  layers: count,
  heads: count,
  intermediate: count,
  learningRate: { min: 0, minExclusive: true },
  batchSize: count,
  baseSteps: { min: 0, integer: true },
  baseSeed: { integer: true },
  fineTuneSteps: count,
  evalEvery: count,
  evalDocs: count,
  truncLen: count,
  slidingWindow: count,
  cap: { min: 0, minExclusive: true },
  minBaseAccuracy: { min: 0, max: 1 },
  maxBaseAccuracy: { min: 0, max: 1 },
};

/** Options of {@link replicate}: which tiers run and their sizes (defaults per preset). */
export interface LongPPLReplicateOptions extends ReplicateOptions {
  /** Tiers to run; default the preset's ([1] for `quick`, [1, 2] for `standard` and `full`). */
  tiers?: (1 | 2)[];
  tier1?: Partial<Tier1Options>;
  tier2?: Partial<Tier2Options>;
}
