import * as tf from '@tensorflow/tfjs';
import { LabError, assertInRange } from '../errors.js';
import { Optimizer, type OptimizerParams } from './optimizer.js';

export interface SgdOptions {
  lr: number;
  /** Momentum factor μ (default 0). */
  momentum?: number;
  /** Dampening τ of the momentum (default 0). */
  dampening?: number;
  /** L2 penalty λ added to the gradient: g ← g + λθ (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening = 0). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with PyTorch's `torch.optim.SGD` semantics:
 *   g ← g + λθ;  b ← g on the first step, else b ← μb + (1 − τ)g;
 *   g ← g + μb (Nesterov) or g ← b;  θ ← θ − lr·g.
 */
export class SGD extends Optimizer {
  readonly kind = 'sgd';
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: OptimizerParams, options: SgdOptions) {
    super(params, options.lr);
    const { momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = options;
    assertInRange(momentum, 'momentum', { min: 0 });
    assertInRange(dampening, 'dampening', { min: 0, max: 1 });
    assertInRange(weightDecay, 'weightDecay', { min: 0 });
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `nesterov: requires momentum > 0 and dampening = 0, got momentum ${momentum}, dampening ${dampening}`,
      );
    }
    this.momentum = momentum;
    this.dampening = dampening;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
  }

  protected update(name: string, param: tf.Variable, grad: tf.Tensor) {
    let g = this.weightDecay ? grad.add(param.mul(this.weightDecay)) : grad;
    const slots: Record<string, tf.Tensor> = {};
    if (this.momentum) {
      const prev = this.slot(name, 'momentum_buffer');
      const buf = prev ? prev.mul(this.momentum).add(g.mul(1 - this.dampening)) : g.clone();
      slots.momentum_buffer = buf;
      g = this.nesterov ? g.add(buf.mul(this.momentum)) : buf;
    }
    return { value: param.sub(g.mul(this.lr)), slots };
  }

  protected hyperParameters() {
    return {
      momentum: this.momentum,
      dampening: this.dampening,
      weightDecay: this.weightDecay,
      nesterov: this.nesterov ? 1 : 0,
    };
  }
}
