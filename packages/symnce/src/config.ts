import type { tf } from '@lab/core';

/**
 * Options of the SupCon-style losses.
 *
 * Paper: Cui, Zhang, Liu, Wang — "An Inclusive Theoretical Framework of Robust Supervised Contrastive
 * Loss against Label Noise", arXiv:2501.01130 (2025). SupCon: Khosla et al., "Supervised Contrastive
 * Learning", NeurIPS 2020 (arXiv:2004.11362), Eq. 2 ("L_out"), as implemented in SupContrast.
 */
export interface ContrastiveOptions {
  /** Temperature τ > 0 of `s_ij / τ` (the paper tunes it per dataset; SupCon's recipe uses 0.1). */
  temperature: number;
  /**
   * SupContrast's `base_temperature`: the SupCon loss is multiplied by `τ / baseTemperature`. It only
   * rescales the loss (SupContrast issue #73). `undefined` means `baseTemperature = τ`, i.e. no rescaling
   * (the package default); SupContrast's code uses 0.07.
   */
  baseTemperature?: number;
  /**
   * `[N, N]` float32 0/1 matrix that replaces the label-derived positives (e.g. from {@link nnPositiveMask}).
   * Its diagonal is ignored; negatives become every other row (`A(i) \ P(i)`).
   */
  positiveMask?: tf.Tensor2D;
  /**
   * What to do when an anchor has no positive in the batch. `'ignore'` (default, SupContrast after its
   * issue #20): SupCon counts the anchor as 0 in its mean, RevNCE/RINCE leave it out of theirs.
   * `'throw'`: a LabError naming `labels`.
   */
  onNoPositive: 'ignore' | 'throw';
}

/** The two reconstructed forms of the reverse term (spec §2.3; the paper's Eqs. 17–18 were not available). */
export type RevForm = 'mae' | 'linear';

/** Options of SymNCE = SupCon + β · RevNCE (paper §4, "SymNCE"). */
export interface SymNceOptions extends ContrastiveOptions {
  /**
   * Weight β of the reverse term. The paper picks β from {0.2, 0.6, 1.0} per dataset by validation;
   * 1.0 suits the bounded `'mae'` form; use β ≤ 0.2 with `'linear'` at τ = 0.5 (its scale grows like e^{1/τ}).
   */
  beta: number;
  /**
   * `'mae'` (default): `1 − softmax(s/τ)[positive]`, the reverse cross-entropy of InfoNCE with `log 0 := A`
   * (bounded in [0, 1]). `'linear'`: `−e^{s⁺/τ} + mean e^{s⁻/τ}` (= RINCE with q = 1, λ = 1/(M+1), up to
   * M/(M+1)). Both are reconstructions; reports must say which one ran.
   */
  revForm: RevForm;
}

/** Options of RINCE (Chuang et al., "Robust Contrastive Learning against Noisy Views", CVPR 2022). */
export interface RinceOptions extends ContrastiveOptions {
  /** q ∈ (0, 1]: q → 0 recovers InfoNCE, q = 1 is the linear (symmetric) loss. RINCE's ImageNet README uses 0.1. */
  q: number;
  /** λ > 0, the weight of the partition term. RINCE's ImageNet README uses 0.01. */
  lambda: number;
}

/** Defaults of {@link ContrastiveOptions}: τ = 0.1 (SupCon recipe), no base-temperature rescaling, label positives. */
export const defaultContrastiveOptions: Readonly<ContrastiveOptions> = Object.freeze({
  temperature: 0.1,
  baseTemperature: undefined,
  onNoPositive: 'ignore' as const,
});

/** Defaults of SymNCE: `{ temperature: 0.1, baseTemperature: undefined (= τ), beta: 1.0, revForm: 'mae' }` (spec §2.4). */
export const defaultSymNceOptions: Readonly<SymNceOptions> = Object.freeze({
  ...defaultContrastiveOptions,
  beta: 1.0,
  revForm: 'mae' as const,
});

/** Defaults of RINCE: q = 0.1, λ = 0.01 (RINCE repository, ImageNet README), τ = 0.1 as the other losses. */
export const defaultRinceOptions: Readonly<RinceOptions> = Object.freeze({
  ...defaultContrastiveOptions,
  q: 0.1,
  lambda: 0.01,
});

/** The losses {@link trainContrastive} can train with. */
export type LossName = 'supcon' | 'symnce' | 'rince' | 'revnce' | 'ntxent';

/** The forms of symmetric label noise (spec §2.7). */
export type SymmetricNoiseConvention = 'flipToOther' | 'uniform' | 'bernoulliToOther';
