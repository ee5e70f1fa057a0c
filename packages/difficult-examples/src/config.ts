/**
 * Options of @lab/difficult-examples with their documented defaults.
 *
 * Paper: Yi-Ge Zhang, Jingyi Cui, Qiran Li, Yisen Wang. "Difficult Examples Hurt Unsupervised Contrastive
 * Learning: A Theoretical Perspective". ICLR 2026, arXiv:2501.01317 (https://arxiv.org/abs/2501.01317).
 */

/** Label-free difficult-pair selection (paper Eq. 12, §5.1). */
export interface SelectionOptions {
  /**
   * Upper edge of the band as a descending percentile: pairs more similar than `Sim_posHigh` are treated
   * as probable same-class pairs and left alone. The paper sets it near 1/#classes; default 0.1.
   */
  posHigh: number;
  /** Lower edge of the band as a descending percentile ("including more samples does not hurt"); default 0.95. */
  posLow: number;
  /** Percentiles over all off-diagonal pairs of the batch (`global`, default) or per anchor row (`row`). Not specified by the paper. */
  scope: 'global' | 'row';
  /** Drop the positive pair (i, pos(i)) from the candidates and from the percentile population (default true). Not specified by the paper. */
  excludePositive: boolean;
}

/** `{ posHigh: 0.1, posLow: 0.95, scope: 'global', excludePositive: true }` (paper §5.1; scope/exclusion are package choices). */
export const defaultSelectionOptions: Readonly<SelectionOptions> = Object.freeze({
  posHigh: 0.1,
  posLow: 0.95,
  scope: 'global',
  excludePositive: true,
});

/** The NT-Xent variants of the paper (Eqs. 13–16). */
export type DifficultLossMode = 'ntxent' | 'remove' | 'margin' | 'temperature' | 'combined';

/** Options of the edited NT-Xent loss. */
export interface DifficultLossOptions {
  /** NT-Xent temperature τ > 0 (not reported by the paper; the SimCLR CIFAR recipe uses 0.5). */
  temperature: number;
  /** Which edit: `ntxent` (baseline), `remove` (Eq. 13), `margin` (Eq. 14), `temperature` (Eq. 15), `combined` (Eq. 16). */
  mode: DifficultLossMode;
  /** Margin σ added to the cosine of difficult pairs (Eqs. 14, 16); the paper's best on CIFAR-100 is 0.1 (Fig. 5a). */
  sigma: number;
  /** Temperature factor ρ > 0 on difficult pairs (Eqs. 15, 16); the paper's best on CIFAR-100 is 0.7 (Fig. 5b, Table 9). */
  rho: number;
}

/** `{ temperature: 0.5, mode: 'combined', sigma: 0.1, rho: 0.7 }` (paper Fig. 5; τ from the SimCLR CIFAR recipe). */
export const defaultDifficultLossOptions: Readonly<DifficultLossOptions> = Object.freeze({
  temperature: 0.5,
  mode: 'combined',
  sigma: 0.1,
  rho: 0.7,
});

/** View augmentation for SimCLR training on flattened square images. */
export interface AugmentOptions {
  /** Largest random shift in pixels in each direction (spec §5: ±2 px). */
  maxShift: number;
  /** Random-resized-crop scale range [min, max]; `null` turns it off (default; the spec's one permitted strengthening). */
  cropScale: [number, number] | null;
  /** Standard deviation of added Gaussian pixel noise; 0 turns it off (default). */
  noiseStd: number;
}

/** `{ maxShift: 2, cropScale: null, noiseStd: 0 }`. */
export const defaultAugmentOptions: Readonly<AugmentOptions> = Object.freeze({
  maxShift: 2,
  cropScale: null,
  noiseStd: 0,
});

/** Architecture of the MLP SimCLR model: encoder (features h) and projector (outputs z). */
export interface SimCLRModelConfig {
  inputDim: number;
  /** Hidden widths of the encoder before its feature layer (spec §5: [128]). */
  hidden: number[];
  /** Width of the backbone features h (spec §5: 64). */
  featureDim: number;
  /** Projector hidden width (spec §5: 64). */
  projHidden: number;
  /** Projector output width (spec §5: 32). */
  projDim: number;
  seed: number;
}

/** The spec's miniature model: 784-128-64 encoder, 64-64-32 head. */
export const defaultSimCLRModelConfig: Readonly<SimCLRModelConfig> = Object.freeze({
  inputDim: 784,
  hidden: [128],
  featureDim: 64,
  projHidden: 64,
  projDim: 32,
  seed: 0,
});

/** SimCLR training with in-loss selection and edits. */
export interface TrainOptions {
  /** Loss variant; `ntxent` ignores selection entirely. */
  mode: DifficultLossMode;
  selection: SelectionOptions;
  loss: Omit<DifficultLossOptions, 'mode'>;
  model: Omit<SimCLRModelConfig, 'inputDim' | 'seed'>;
  augment: AugmentOptions;
  /** Side length of the square images (28 for MNIST); inputs are `[N, side*side]`. */
  imageSide: number;
  epochs: number;
  /** Items per batch B (2B rows after the two views; spec §5: 128). */
  batchSize: number;
  /** Adam learning rate (spec §5: 1e-3). */
  lr: number;
  seed: number;
}

/** The spec's miniature recipe (§5): combined edit, Adam 1e-3, batch 128, 20 epochs, ±2 px shifts. */
export const defaultTrainOptions: Readonly<TrainOptions> = Object.freeze({
  mode: 'combined',
  selection: { ...defaultSelectionOptions },
  loss: { temperature: 0.5, sigma: 0.1, rho: 0.7 },
  model: { hidden: [128], featureDim: 64, projHidden: 64, projDim: 32 },
  augment: { ...defaultAugmentOptions },
  imageSide: 28,
  epochs: 20,
  batchSize: 128,
  lr: 1e-3,
  seed: 0,
}) as TrainOptions;
