import {
  Adam,
  LabError,
  Module,
  Rng,
  assertFinite,
  assertInRange,
  assertRank,
  fit,
  l2Normalize,
  strictOptions,
  tf,
  uniformInit,
  type OptimizerParams,
} from '@lab/core';
import { defaultTopKSAEOptions, type TopKSAEOptions } from './config.js';
import { normalizedMse, topKDecode, topKEncode, topKLatents, type TopKSAEParams } from './monosemantic.js';

type ResolvedSAEOptions = Required<Omit<TopKSAEOptions, 'batchSize'>> & { batchSize?: number };

const SAE_CHECKS = {
  latents: { min: 1, integer: true },
  lr: { min: 0, minExclusive: true },
  decoderLr: { min: 0, minExclusive: true },
  steps: { min: 1, integer: true },
  batchSize: { min: 1, integer: true },
  seed: { min: 0 },
} as const;

/** Adam with the decoder on its own learning rate (the official SAE gives the decoder its own group). */
class GroupedAdam extends Adam {
  constructor(
    params: OptimizerParams,
    lr: number,
    private readonly decoderLr: number,
    private readonly decoderNames: ReadonlySet<string>,
  ) {
    super(params, { lr });
  }

  protected override update(name: string, param: tf.Variable, grad: tf.Tensor) {
    if (!this.decoderNames.has(name)) return super.update(name, param, grad);
    const lr = this.lr;
    this.lr = (lr * this.decoderLr) / (this.baseLr || 1);
    try {
      return super.update(name, param, grad);
    } finally {
      this.lr = lr;
    }
  }

  /** The encoder's learning rate the decoder's is relative to (a schedule may scale both). */
  baseLr = this.lr;
}

/**
 * Top-k sparse autoencoder trainable on any feature matrix (spec §2.4; `SimCLR.forward`'s SAE branch and
 * `main_sparse.py` of Beyond_Interpretability). Owns W_enc `[L, D]`, b_lat `[L]`, W_dec `[D, L]` and b_pre
 * `[D]` in PyTorch layout; W_enc and W_dec get nn.Linear's U(±1/√fan_in), the biases start at 0. Like the
 * official code it has no sparsity penalty, no AuxK, no dead-latent resampling and (by default) no decoder
 * norm constraint: `deadLatents()` reports the latents that never fire instead.
 *
 * @example
 * const sae = new TopKSAE(128, { k: 16 });
 * await sae.fit(features, { steps: 500 });
 * const { latents } = sae.encode(features); // [n, 128], 16 non-zeros per row at most
 */
export class TopKSAE extends Module {
  readonly dim: number;
  readonly options: Readonly<ResolvedSAEOptions>;
  readonly wEnc: tf.Variable;
  readonly bLat: tf.Variable;
  readonly wDec: tf.Variable;
  readonly bPre: tf.Variable;

  constructor(dim: number, options: Partial<TopKSAEOptions> = {}) {
    super();
    assertInRange(dim, 'dim', { min: 1, integer: true });
    this.dim = dim;
    this.options = Object.freeze(resolve(dim, options, undefined));
    const { latents, seed } = this.options;
    const rng = new Rng(seed).fork('init');
    const encBound = 1 / Math.sqrt(dim);
    const decBound = 1 / Math.sqrt(latents);
    this.wEnc = this.addParameter('w_enc', uniformInit([latents, dim], rng.fork('w_enc'), -encBound, encBound));
    this.bLat = this.addParameter('b_lat', tf.zeros([latents]));
    this.wDec = this.addParameter('w_dec', uniformInit([dim, latents], rng.fork('w_dec'), -decBound, decBound));
    this.bPre = this.addParameter('b_pre', tf.zeros([dim]));
    if (this.options.unitNormDecoder) this.normalizeDecoder();
  }

  private get params(): TopKSAEParams {
    return {
      wEnc: this.wEnc as tf.Tensor as tf.Tensor2D,
      bLat: this.bLat as tf.Tensor as tf.Tensor1D,
      wDec: this.wDec as tf.Tensor as tf.Tensor2D,
      bPre: this.bPre as tf.Tensor as tf.Tensor1D,
    };
  }

  private input(x: tf.Tensor2D): tf.Tensor2D {
    if (!(x instanceof tf.Tensor)) throw new LabError('INVALID_ARGUMENT', 'x: expected a tf.Tensor of shape [B, D]');
    assertRank(x, 2, 'x');
    if (x.shape[1] !== this.dim)
      throw new LabError(
        'SHAPE_MISMATCH',
        `x: expected shape [B, ${this.dim}] (the SAE's input dimension), got [${x.shape.join(', ')}]`,
      );
    if (x.shape[0] === 0) throw new LabError('EMPTY_INPUT', 'x: expected at least 1 row, got 0');
    return this.options.normalizeInput ? l2Normalize(x) : x.clone();
  }

  /** `pre` `[B, L]`, the top-k `latents` `[B, L]` (relu on the k largest, 0 elsewhere) and their `indices` `[B, k]`. */
  encode(x: tf.Tensor2D): { pre: tf.Tensor2D; latents: tf.Tensor2D; indices: tf.Tensor2D } {
    const input = this.input(x);
    try {
      return topKEncode(this.params, input, this.options.k);
    } finally {
      input.dispose();
    }
  }

  /** `x̂ = lat W_decᵀ + b_pre`. @param latents `[B, L]`. @returns `[B, D]`. */
  decode(latents: tf.Tensor2D): tf.Tensor2D {
    assertRank(latents, 2, 'latents');
    if (latents.shape[1] !== this.options.latents)
      throw new LabError(
        'SHAPE_MISMATCH',
        `latents: expected shape [B, ${this.options.latents}], got [${latents.shape.join(', ')}]`,
      );
    return topKDecode(this.params, latents);
  }

  /** Normalised MSE `mean_b [mean_d (x̂ − x)² / mean_d x²]` of `x` `[B, D]` (normalised first when `normalizeInput`). */
  loss(x: tf.Tensor2D): tf.Scalar {
    const input = this.input(x);
    try {
      return tf.tidy(() =>
        normalizedMse(topKDecode(this.params, topKLatents(this.params, input, this.options.k)), input),
      );
    } finally {
      input.dispose();
    }
  }

  /**
   * Trains the SAE on `x` `[n, D]` with Adam (decoder on `decoderLr`) through core's `fit`. `options` may
   * override `lr`, `decoderLr`, `steps`, `batchSize` and `seed` of the constructor's (not `latents`, `k`).
   * @returns the last step's loss.
   */
  async fit(x: tf.Tensor2D, options: Partial<TopKSAEOptions> = {}): Promise<{ finalLoss: number }> {
    const cfg = resolve(this.dim, { ...this.options, ...options }, this.options);
    assertFinite(x, 'x');
    const input = this.input(x);
    const n = input.shape[0];
    const batch = Math.min(cfg.batchSize ?? n, n);
    const perEpoch = Math.ceil(n / batch);
    const rng = new Rng(cfg.seed).fork('batches');
    const optimizer = new GroupedAdam(this, cfg.lr, cfg.decoderLr, new Set(['w_dec']));
    let finalLoss = NaN;
    try {
      await fit({
        model: this,
        optimizer,
        epochs: Math.ceil(cfg.steps / perEpoch),
        steps: cfg.steps,
        stepsPerEpoch: perEpoch,
        progress: 'none',
        label: 'sae',
        data: () => {
          if (batch === n) return [null];
          const order = rng.permutation(n);
          return Array.from({ length: perEpoch }, (_, b) => order.slice(b * batch, Math.min(n, (b + 1) * batch)));
        },
        loss: (rows) => {
          const xb = rows === null ? input : (tf.gather(input, tf.tensor1d(rows, 'int32')) as tf.Tensor2D);
          return normalizedMse(topKDecode(this.params, topKLatents(this.params, xb, cfg.k)), xb);
        },
        callbacks: {
          onStepEnd: (info) => {
            finalLoss = info.loss;
            if (cfg.unitNormDecoder) this.normalizeDecoder();
          },
        },
      });
    } finally {
      optimizer.dispose();
      input.dispose();
    }
    return { finalLoss };
  }

  /** Latents that are never among the top k (or never positive) on `x` — the SAE's dead latents. */
  deadLatents(x: tf.Tensor2D): number {
    const { pre, latents, indices } = this.encode(x);
    const fired = tf.tidy(() => tf.sum(tf.cast(tf.greater(latents, 0), 'float32'), 0).dataSync());
    tf.dispose([pre, latents, indices]);
    return fired.filter((v) => v === 0).length;
  }

  /** The trainable variables: W_enc, b_lat, W_dec, b_pre. */
  get trainableVariables(): tf.Variable[] {
    return this.parameters({ trainableOnly: true });
  }

  private normalizeDecoder(): void {
    tf.tidy(() => {
      const norms = tf.maximum(tf.norm(this.wDec, 'euclidean', 0, true), 1e-12); // [1, L] column norms
      this.wDec.assign(tf.div(this.wDec, norms));
    });
  }
}

function resolve(
  dim: number,
  options: Partial<TopKSAEOptions>,
  fixed: Readonly<ResolvedSAEOptions> | undefined,
): ResolvedSAEOptions {
  const cfg = strictOptions(options, defaultTopKSAEOptions, 'TopKSAE options', SAE_CHECKS);
  const latents = cfg.latents ?? dim;
  const k = cfg.k ?? Math.max(1, Math.floor(latents / 8));
  assertInRange(k, 'k', { min: 1, max: latents, integer: true });
  if (fixed && (latents !== fixed.latents || k !== fixed.k))
    throw new LabError(
      'INVALID_ARGUMENT',
      `fit options: 'latents' and 'k' are fixed at construction (L = ${fixed.latents}, k = ${fixed.k})`,
    );
  return { ...cfg, latents, k } as ResolvedSAEOptions;
}
