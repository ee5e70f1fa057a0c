import type { Preset } from '@lab/core';

// Paper: Qi Zhang*, Yifei Wang*, Jingyi Cui, Xiang Pan, Qi Lei, Stefanie Jegelka, Yisen Wang. "Beyond
// Interpretability: The Gains of Feature Monosemanticity on Model Robustness", ICLR 2025 (arXiv:2410.21331).
// Official code: github.com/PKU-ML/Beyond_Interpretability (a fork of PKU-ML/non_neg and solo-learn).

/** The non-negative map φ applied to the normalised projector output before InfoNCE (spec §2.3). */
export type NonNeg = 'none' | 'relu' | 'repRelu';
export const NON_NEG_CHOICES = ['none', 'relu', 'repRelu'] as const satisfies readonly NonNeg[];

/** Options of the CL / NCL loss (`nclLoss`). */
export interface NclOptions {
  /** Temperature τ of InfoNCE: 0.2 in every Beyond_Interpretability config (`simclr.yaml`, `temperature: 0.2`). */
  temperature: number;
  /**
   * φ: `'relu'` is NCL (non_neg's `non_neg: relu`), `'repRelu'` its variant (ReLU forward, GELU′ backward),
   * `'none'` plain SimCLR (CL).
   */
  nonNeg: NonNeg;
  /**
   * Add `L_var = −mean_d mean_i |z_id|` when φ ≠ identity. Only Beyond_Interpretability has it (default
   * true); `false` is PKU-ML/non_neg's behaviour.
   */
  varLoss: boolean;
}

/** Defaults of {@link NclOptions}: τ = 0.2, relu, var loss on (the Beyond_Interpretability NCL configs). */
export const defaultNclOptions: Readonly<NclOptions> = Object.freeze({
  temperature: 0.2,
  nonNeg: 'relu' as NonNeg,
  varLoss: true,
});

/** Options of {@link TopKSAE} and its `fit` (spec §2.4). */
export interface TopKSAEOptions {
  /** Number of latents L. Official: L = D = 2048 (not over-complete); default here: the input dimension D. */
  latents?: number;
  /** Active latents per row k. Official `sae.yaml`: 256 = D/8; default here: ⌊L/8⌋ (at least 1). */
  k?: number;
  /** Adam learning rate of the encoder and the pre-bias (ImageNet-100 `sae.yaml` uses Adam; 1e-3 here, spec §3). */
  lr: number;
  /** Learning rate of the decoder (its own group in the official code, 0.3 with LARS; 1e-3 with Adam here). */
  decoderLr: number;
  /** Optimiser steps of `fit` (spec §5: 1500 full-batch steps). */
  steps: number;
  /** Rows per step; `undefined` = the full batch. */
  batchSize?: number;
  /** Seeds the nn.Linear-style initialisation of W_enc and W_dec and the minibatch order. */
  seed: number;
  /** L2-normalise rows before the SAE, as SAE training does on `normalize(projector(h))` (default true). */
  normalizeInput: boolean;
  /**
   * Renormalise the decoder columns to unit norm after every step (the OpenAI/EleutherAI TopK SAEs do). The
   * official code has no decoder-norm constraint, so the default is false.
   */
  unitNormDecoder: boolean;
}

/** Defaults of {@link TopKSAEOptions}: L = D, k = D/8, Adam 1e-3 for both groups, 1500 full-batch steps. */
export const defaultTopKSAEOptions: Readonly<TopKSAEOptions> = Object.freeze({
  latents: undefined,
  k: undefined,
  lr: 1e-3,
  decoderLr: 1e-3,
  steps: 1500,
  batchSize: undefined,
  seed: 0,
  normalizeInput: true,
  unitNormDecoder: false,
});

/** Options of `pretrain` (spec §3 and the miniature of §5). */
export interface PretrainOptions {
  /** `'cl'` (SimCLR, φ = identity) or `'ncl'` (φ = `nonNeg`, plus L_var when `varLoss`). */
  method: 'cl' | 'ncl';
  /** τ. The miniature uses 0.5 for both methods (spec §5; the paper's configs use 0.2). */
  temperature: number;
  /** φ for `'ncl'` (spec §5: relu; repRelu was unstable in the prototype). Ignored for `'cl'`. */
  nonNeg: 'relu' | 'repRelu';
  /** L_var for `'ncl'` (default true, Beyond_Interpretability). */
  varLoss: boolean;
  /** Optimiser steps (spec §5: about 150 per method). */
  steps: number;
  /** Images per step; each gives two views, so the loss sees 2·batchSize rows (spec §5: 256). */
  batchSize: number;
  /** Adam learning rate (spec §5: 1e-3; the paper uses LARS 0.4·batch/256, absent from tfjs). */
  lr: number;
  /** Width W of the encoder (`in → W → W`, BN + ReLU). Spec §5: 128 in tfjs (the prototype used 256). */
  hidden: number;
  /** Width of the projector (`W → W → projDim`) read by the probe. Spec §5: W. */
  projDim: number;
  /** Image height and width of the flat input rows (before pooling): 28×28 for MNIST. */
  imageSize: [number, number];
  /** Pool 2×2 after augmentation (28×28 → 14×14, spec §5). */
  pool: boolean;
  /** Per-view augmentation on the un-pooled image (spec §5): ±shift px, cutout side, brightness range, noise σ. */
  augment: { shift: number; cutout: number; brightness: [number, number]; noiseStd: number } | false;
  /**
   * Labels for the online classifier `L_class`; `null` = no online classifier (the miniature's default). With
   * labels, `onlineProbeDetach` decides whether its gradient reaches the backbone.
   */
  onlineProbeDetach: boolean;
  /** Seeds the initialisation, the batch order and the augmentations. */
  seed: number;
}

/** Defaults of {@link PretrainOptions}: the MNIST miniature of spec §5 (NCL relu + var, τ 0.5, Adam 1e-3, batch 256). */
export const defaultPretrainOptions: Readonly<PretrainOptions> = Object.freeze({
  method: 'ncl' as const,
  temperature: 0.5,
  nonNeg: 'relu' as const,
  varLoss: true,
  steps: 150,
  batchSize: 256,
  lr: 1e-3,
  hidden: 128,
  projDim: 128,
  imageSize: [28, 28] as [number, number],
  pool: true,
  augment: Object.freeze({ shift: 3, cutout: 10, brightness: [0.6, 1] as [number, number], noiseStd: 0.1 }),
  onlineProbeDetach: true,
  seed: 0,
});

// ── replication ─────────────────────────────────────────────────────────────────────────────

/** The replication presets, in order of size (`--preset` refuses any other name). */
export const PRESETS = ['quick', 'standard', 'full'] as const satisfies readonly Preset[];
export type MonoPreset = (typeof PRESETS)[number];

/** What one preset runs. Fixed before any comparison (seeds, arms, sizes, probe recipe). */
export interface MonoReplicationConfig {
  seeds: number;
  /** `'mnist'`: 10 digit classes, 14×14 (spec §5). `'mnist100'`: two digits side by side, class 10a + b (spec §5, closer to the paper). */
  dataset: 'mnist' | 'mnist100';
  /** Pre-training images (spec §5: the first 8,000 of the golden-ratio order). */
  pretrainSize: number;
  /** Labelled probe-training images, taken from the start of the pre-training set (spec §5: 2,000). */
  probeSize: number;
  /** Clean test images (spec §5: the last 2,000). */
  testSize: number;
  /** Encoder width W and projector width (spec §5: 128 / 128; `full`: a wide 1024 projector). */
  hidden: number;
  projDim: number;
  /** Pre-training steps per method (spec §5: about 150) and batch (256). */
  steps: number;
  batchSize: number;
  /** SAE: k active latents (spec §5: 16 of L = projDim) and full-batch Adam steps (1500). */
  saeK: number;
  saeSteps: number;
  /** SAE rows per step; `null` = the full batch (spec §5). `full` uses minibatches to fit 1024 latents in its budget. */
  saeBatchSize: number | null;
  /** Probe epochs of the `rawSgd` protocol (spec §5: 100). */
  probeEpochs: number;
  /** Label-noise rates of the probe (spec §5: 0, 0.5, 0.8; `full`: 0.5, 0.8, 0.9 as well). */
  labelNoise: number[];
  /** Labelled samples per class of the few-shot probe (spec §5: 20). */
  fewShotPerClass: number;
  /** Test-time pixel Gaussian noise σ (spec §5: 0.3, 0.6). */
  pixelNoise: number[];
  /** Positive control: the least clean probe accuracy of CL that shows pre-training worked (chance is 1/C). */
  positiveControlAccuracy: number;
}

export const PRESET_CONFIGS: Record<MonoPreset, MonoReplicationConfig> = {
  /** CI-sized smoke run: tiny data, few steps; checks the plumbing, its verdict means nothing. */
  quick: {
    seeds: 1,
    dataset: 'mnist',
    pretrainSize: 1024,
    probeSize: 512,
    testSize: 256,
    hidden: 32,
    projDim: 32,
    steps: 6,
    batchSize: 64,
    saeK: 4,
    saeSteps: 30,
    saeBatchSize: null,
    probeEpochs: 5,
    labelNoise: [0, 0.5, 0.8],
    fewShotPerClass: 5,
    pixelNoise: [0.3, 0.6],
    positiveControlAccuracy: 0.7,
  },
  /** The spec's miniature (§5) with 3 paired seeds: what `pnpm replicate` runs. */
  standard: {
    seeds: 3,
    dataset: 'mnist',
    pretrainSize: 8000,
    probeSize: 2000,
    testSize: 2000,
    hidden: 128,
    projDim: 128,
    steps: 150,
    batchSize: 256,
    saeK: 16,
    saeSteps: 1500,
    saeBatchSize: null,
    probeEpochs: 100,
    labelNoise: [0, 0.5, 0.8],
    fewShotPerClass: 20,
    pixelNoise: [0.3, 0.6],
    positiveControlAccuracy: 0.7,
  },
  /**
   * The spec's closer-to-paper setting (§5): MNIST-100 (two digits side by side, 100 classes), a 1024-d
   * projector, 50 noisy probe samples per class, r up to 0.9. Half (ii) is still only reported.
   */
  full: {
    seeds: 3,
    dataset: 'mnist100',
    pretrainSize: 8000,
    probeSize: 5000,
    testSize: 2000,
    hidden: 256,
    projDim: 1024,
    steps: 300,
    batchSize: 256,
    saeK: 128,
    saeSteps: 1500,
    saeBatchSize: 512,
    probeEpochs: 100,
    labelNoise: [0, 0.5, 0.8, 0.9],
    fewShotPerClass: 10,
    pixelNoise: [0.3, 0.6],
    positiveControlAccuracy: 0.3,
  },
};

/**
 * The asserted criteria of half (i) (spec §5), on seed means, each seed must also pass. Fixed before any run.
 * The positive control (`positiveControlAccuracy` of the preset: CL's clean probe accuracy, 0.87 in the MNIST
 * prototype) is checked first: when it fails, pre-training failed and the run cannot test the claim
 * (verdict `inconclusive`).
 */
export const CRITERIA = {
  /** NCL's exact-zero fraction (prototype 0.96). */
  nclSparsityAtLeast: 0.9,
  /** CL's exact-zero fraction (prototype 0.00). */
  clSparsityAtMost: 0.01,
  /** Semantic consistency NCL − CL (prototype 0.645 − 0.113). */
  nclConsistencyMargin: 0.4,
  /** Semantic consistency SAE − CL (prototype 0.575 − 0.113). */
  saeConsistencyMargin: 0.3,
  /** Clean accuracy NCL − CL, in accuracy points ×0.01 (spec: NCL ≥ CL − 6 points). */
  nclCleanAccuracyMargin: -0.06,
} as const;
