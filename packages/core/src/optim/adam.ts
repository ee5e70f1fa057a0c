import * as tf from '@tensorflow/tfjs';
import { assertInRange } from '../errors.js';
import { Optimizer, type OptimizerParams } from './optimizer.js';

export interface AdamOptions {
  /** Learning rate (PyTorch default 1e-3). */
  lr?: number;
  /** (β1, β2), default (0.9, 0.999). */
  betas?: readonly [number, number];
  /** ε added to √v̂ (default 1e-8). */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 0.01). */
  weightDecay?: number;
  /** Use the running maximum of v (Reddi et al., 2018), default false. */
  amsgrad?: boolean;
}

/**
 * Adam (Kingma & Ba, 2015) with `torch.optim.Adam` semantics, at step t:
 *   g ← g + λθ;  m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;
 *   θ ← θ − lr · (m / (1 − β1ᵗ)) / (√v / √(1 − β2ᵗ) + ε)   (v → max(v_max, v) with amsgrad).
 */
export class Adam extends Optimizer {
  readonly kind: string = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  /** AdamW decouples the decay from the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: OptimizerParams, options: AdamOptions = {}, defaultWeightDecay = 0) {
    super(params, options.lr ?? 1e-3);
    const { betas = [0.9, 0.999], eps = 1e-8, weightDecay = defaultWeightDecay, amsgrad = false } = options;
    assertInRange(betas[0], 'betas[0]', { min: 0, max: 1, maxExclusive: true });
    assertInRange(betas[1], 'betas[1]', { min: 0, max: 1, maxExclusive: true });
    assertInRange(eps, 'eps', { min: 0 });
    assertInRange(weightDecay, 'weightDecay', { min: 0 });
    this.beta1 = betas[0];
    this.beta2 = betas[1];
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.amsgrad = amsgrad;
  }

  protected update(name: string, param: tf.Variable, grad: tf.Tensor) {
    const t = this.stepCount;
    let theta: tf.Tensor = param;
    let g = grad;
    if (this.weightDecay) {
      if (this.decoupled) theta = param.mul(1 - this.lr * this.weightDecay);
      else g = grad.add(param.mul(this.weightDecay));
    }
    const mPrev = this.slot(name, 'exp_avg');
    const vPrev = this.slot(name, 'exp_avg_sq');
    const m = (mPrev ? mPrev.mul(this.beta1) : tf.zerosLike(g)).add(g.mul(1 - this.beta1));
    const v = (vPrev ? vPrev.mul(this.beta2) : tf.zerosLike(g)).add(g.square().mul(1 - this.beta2));
    const slots: Record<string, tf.Tensor> = { exp_avg: m, exp_avg_sq: v };
    let vUsed = v;
    if (this.amsgrad) {
      const vMaxPrev = this.slot(name, 'max_exp_avg_sq');
      vUsed = vMaxPrev ? tf.maximum(vMaxPrev, v) : v.clone();
      slots.max_exp_avg_sq = vUsed;
    }
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    const denom = vUsed.sqrt().div(Math.sqrt(bc2)).add(this.eps);
    return { value: theta.sub(m.div(denom).mul(this.lr / bc1)), slots };
  }

  protected hyperParameters() {
    return {
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      weightDecay: this.weightDecay,
      amsgrad: this.amsgrad ? 1 : 0,
    };
  }
}

/**
 * AdamW (Loshchilov & Hutter, 2019) with `torch.optim.AdamW` semantics: the decay is decoupled,
 * θ ← θ(1 − lr·λ) before the Adam step, and λ defaults to 0.01.
 */
export class AdamW extends Adam {
  override readonly kind: string = 'adamw';
  protected override readonly decoupled: boolean = true;

  constructor(params: OptimizerParams, options: AdamOptions = {}) {
    super(params, options, 0.01);
  }
}
