/**
 * Options of the MADE defense (Lin, Li, Wang, "MADE: Graph Backdoor Defense with Masked Unlearning",
 * arXiv:2411.18648, 2024). The paper's hyper-parameters could not be read: every default below is the
 * spec's reconstruction ([R]) or ABL's value (Li et al., NeurIPS 2021, `bboylyg/ABL` config.py).
 */
export interface MadeOptions {
  /** Isolation warm-up epochs (ABL: 10). */
  isoEpochs: number;
  /** Warm-up loss: ABL's flooding `|ℓ − b| + b` (config default) or LGA `sign(ℓ − γ)·ℓ`. */
  isoLoss: 'flooding' | 'lga';
  /** γ / flood level b (ABL: 0.5). */
  gamma: number;
  /** ρ: fraction of the training set isolated (0.10 [R]; ABL isolates 0.01). */
  ratio: number;
  /** Isolation score [P: loss- and homophily-based; R: the rank sum]: low CE, low graph homophily, or both. */
  criterion: 'loss' | 'homophily' | 'both';
  /** Mask objective [R]: smallest edge set keeping the target (default), an adversarial budget mask, or node homophily with no generator. */
  maskObjective: 'smallestTrigger' | 'adversarialBudget' | 'nodeHomophily';
  /** β_size: weight of mean(m) in the mask objective (0.05 [R]). */
  betaSize: number;
  /** β_ent: weight of the mask entropy (0.1 [R]). */
  betaEnt: number;
  /** λ_u: weight of the masked unlearning (ascent) term (1.0 [R]). */
  lambdaU: number;
  /** b_u: per-sample clip of the ascended CE (2.0 [R]). */
  clip: number;
  /** λ_c: weight of the clean-subgraph keep term (0 = off [R]). */
  lambdaC: number;
  /** Masked-unlearning epochs after the warm-up (20 [R]). */
  unlearnEpochs: number;
  /** Plain fine-tuning epochs on the kept set afterwards (0 [R]). */
  finetuneEpochs: number;
  /** Isolated graphs per unlearning step (8, as the spec's joint schedule). */
  isoBatchSize: number;
  /** Node-homophily threshold of `maskObjective: 'nodeHomophily'`: nodes below it are suspicious (0.5 [R]). */
  homophilyThreshold: number;
  /** Adam learning rate of classifier and generator (0.01, the SBA victim's). */
  lr: number;
  /** Mini-batch size (32). */
  batchSize: number;
  /** Mask generator hidden width (64 [R]). */
  generatorHidden: number;
  seed: number;
}

/** Defaults of {@link MadeOptions} (spec §3). */
export const defaultMadeOptions: MadeOptions = {
  isoEpochs: 10,
  isoLoss: 'flooding',
  gamma: 0.5,
  ratio: 0.1,
  criterion: 'both',
  maskObjective: 'smallestTrigger',
  betaSize: 0.05,
  betaEnt: 0.1,
  lambdaU: 1.0,
  clip: 2.0,
  lambdaC: 0,
  unlearnEpochs: 20,
  finetuneEpochs: 0,
  isoBatchSize: 8,
  homophilyThreshold: 0.5,
  lr: 0.01,
  batchSize: 32,
  generatorHidden: 64,
  seed: 0,
};

/** Options of the ABL baseline (Li et al., NeurIPS 2021; spec §2.3, joint schedule of §5 by default). */
export interface AblOptions {
  isoEpochs: number;
  /** ABL's isolation loss (LGA in the miniature). */
  isoLoss: 'flooding' | 'lga';
  gamma: number;
  ratio: number;
  /** ABL ranks by loss only; `'both'` gives it MADE's isolation ("equal isolation" comparisons). */
  criterion: 'loss' | 'homophily' | 'both';
  /** `'joint'`: natural CE on the kept set minus the clipped CE on isolated graphs, per step; `'sequential'`: fine-tune, then gradient ascent. */
  schedule: 'joint' | 'sequential';
  /** Joint epochs (30) or sequential fine-tuning epochs (ABL: 60). */
  epochs: number;
  /** Sequential ascent epochs (ABL: 5) at `ascentLr` (ABL: 5e-4, SGD). */
  ascentEpochs: number;
  ascentLr: number;
  lambdaU: number;
  clip: number;
  isoBatchSize: number;
  lr: number;
  batchSize: number;
  seed: number;
}

export const defaultAblOptions: AblOptions = {
  isoEpochs: 10,
  isoLoss: 'lga',
  gamma: 0.5,
  ratio: 0.1,
  criterion: 'loss',
  schedule: 'joint',
  epochs: 30,
  ascentEpochs: 5,
  ascentLr: 5e-4,
  lambdaU: 1,
  clip: 2,
  isoBatchSize: 8,
  lr: 0.01,
  batchSize: 32,
  seed: 0,
};

/** Plain training (the victim: SBA's GIN recipe scaled to the miniature, spec §5). */
export interface TrainOptions {
  epochs: number;
  lr: number;
  batchSize: number;
  seed: number;
}

export const defaultTrainOptions: TrainOptions = { epochs: 40, lr: 0.01, batchSize: 32, seed: 0 };
