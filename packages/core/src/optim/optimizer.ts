import * as tf from '@tensorflow/tfjs';
import { valueAndGrads } from '../autograd.js';
import { LabError, assertInRange } from '../errors.js';
import { Module } from '../nn/module.js';

/**
 * What an optimizer updates: a module (all its parameters; frozen ones are skipped at each step), a
 * variable list, or a name → variable record.
 */
export type OptimizerParams = Module | readonly tf.Variable[] | Readonly<Record<string, tf.Variable>>;

/** Gradients keyed like the optimizer's parameters (names, or indices for a list); null/absent = no gradient. */
export type Gradients =
  Readonly<Record<string, tf.Tensor | null | undefined>> | readonly (tf.Tensor | null | undefined)[];

/** Serialisable optimizer state: plain numbers for JSON and tensors for safetensors (`<param>.<slot>`). */
export interface OptimizerState {
  kind: string;
  scalars: Record<string, number>;
  tensors: Record<string, tf.Tensor>;
}

function resolveParams(params: OptimizerParams): Record<string, tf.Variable> {
  // All parameters: frozen ones are skipped at each step, so unfreezing later needs no new optimizer.
  if (params instanceof Module) return params.namedParameters();
  if (Array.isArray(params)) {
    const out: Record<string, tf.Variable> = {};
    (params as readonly tf.Variable[]).forEach((v, i) => (out[String(i)] = v));
    return out;
  }
  return { ...(params as Record<string, tf.Variable>) };
}

/**
 * Base class of the optimizers: holds the parameters by name, the learning rate (`lr`, which a
 * schedule may overwrite before each step) and per-parameter state ("slots", e.g. `exp_avg`).
 */
export abstract class Optimizer {
  /** Current learning rate; set it before a step to follow a schedule. */
  lr: number;
  /** Number of steps taken (PyTorch's per-parameter `step`, shared here). */
  stepCount = 0;
  readonly params: Record<string, tf.Variable>;
  private readonly slotStore = new Map<string, tf.Tensor>();

  constructor(params: OptimizerParams, lr: number) {
    this.params = resolveParams(params);
    if (Object.keys(this.params).length === 0)
      throw new LabError('EMPTY_INPUT', 'params: expected at least one variable, got none');
    for (const [name, v] of Object.entries(this.params)) {
      if (!(v instanceof tf.Variable))
        throw new LabError('INVALID_ARGUMENT', `params['${name}']: expected a tf.Variable`);
      if (v.dtype !== 'float32')
        throw new LabError('DTYPE_MISMATCH', `params['${name}']: expected a float32 variable, got ${v.dtype}`);
    }
    assertInRange(lr, 'lr', { min: 0 });
    this.lr = lr;
  }

  /** Short name stored in checkpoints ('sgd', 'adam', 'adamw'). */
  abstract readonly kind: string;

  /** One parameter's update; runs inside tf.tidy; returns the new value and the new slot tensors. */
  protected abstract update(
    name: string,
    param: tf.Variable,
    grad: tf.Tensor,
  ): { value: tf.Tensor; slots: Record<string, tf.Tensor> };

  /**
   * Applies one update from `grads` (keyed like the parameters). Parameters without a gradient, or
   * marked `trainable = false`, are skipped (PyTorch skips parameters whose `.grad` is None). The
   * gradients are not disposed.
   */
  step(grads: Gradients): void {
    assertInRange(this.lr, 'lr', { min: 0 });
    const isList = Array.isArray(grads);
    const work: [string, tf.Variable, tf.Tensor][] = [];
    for (const [name, param] of Object.entries(this.params)) {
      const g = isList
        ? (grads as readonly (tf.Tensor | null | undefined)[])[Number(name)]
        : (grads as Record<string, tf.Tensor | null | undefined>)[name];
      if (g === null || g === undefined || !param.trainable) continue;
      if (!tf.util.arraysEqual(g.shape, param.shape)) {
        throw new LabError(
          'SHAPE_MISMATCH',
          `grads['${name}']: expected shape [${param.shape.join(', ')}], got [${g.shape.join(', ')}]`,
        );
      }
      work.push([name, param, g]);
    }
    this.stepCount++;
    for (const [name, param, g] of work) {
      const { value, slots } = tf.tidy(() => this.update(name, param, g));
      param.assign(value);
      value.dispose();
      for (const [slot, t] of Object.entries(slots)) {
        const key = `${name}.${slot}`;
        this.slotStore.get(key)?.dispose();
        this.slotStore.set(key, t);
      }
    }
  }

  /** The slot tensor of a parameter (owned by the optimizer: do not dispose), or undefined before the first step. */
  protected slot(name: string, slot: string): tf.Tensor | undefined {
    return this.slotStore.get(`${name}.${slot}`);
  }

  /**
   * Computes `loss` and its gradients with respect to the trainable parameters, applies one step and
   * disposes everything; returns the loss value.
   */
  minimize(loss: () => tf.Scalar): number {
    const trainable: Record<string, tf.Variable> = {};
    for (const [n, v] of Object.entries(this.params)) if (v.trainable) trainable[n] = v;
    const { value, grads } = valueAndGrads(loss, trainable);
    try {
      this.step(grads);
      return value.dataSync()[0]!;
    } finally {
      value.dispose();
      for (const g of Object.values(grads)) g?.dispose();
    }
  }

  /** Hyper-parameters as numbers (for checkpoints). */
  protected abstract hyperParameters(): Record<string, number>;

  /** A snapshot of the state: scalars and copies of the slots as tensors (the caller disposes them). */
  stateDict(): OptimizerState {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [k, t] of this.slotStore) tensors[k] = t.clone();
    return { kind: this.kind, scalars: { lr: this.lr, stepCount: this.stepCount, ...this.hyperParameters() }, tensors };
  }

  /** Restores a state from {@link stateDict} (e.g. read from a checkpoint); tensors are copied. */
  loadStateDict(state: OptimizerState): void {
    if (state.kind !== this.kind)
      throw new LabError('INVALID_ARGUMENT', `state.kind: expected '${this.kind}', got '${state.kind}'`);
    for (const [k, t] of Object.entries(state.tensors)) {
      const param = k.slice(0, k.lastIndexOf('.'));
      const target = this.params[param];
      if (!target)
        throw new LabError(
          'INVALID_ARGUMENT',
          `state.tensors['${k}']: no parameter named '${param}' in this optimizer`,
        );
      if (!tf.util.arraysEqual(t.shape, target.shape)) {
        throw new LabError(
          'SHAPE_MISMATCH',
          `state.tensors['${k}']: expected shape [${target.shape.join(', ')}], got [${t.shape.join(', ')}]`,
        );
      }
    }
    this.disposeSlots();
    for (const [k, t] of Object.entries(state.tensors)) this.slotStore.set(k, t.clone());
    if (typeof state.scalars.lr === 'number') this.lr = state.scalars.lr;
    if (typeof state.scalars.stepCount === 'number') this.stepCount = state.scalars.stepCount;
  }

  private disposeSlots(): void {
    for (const t of this.slotStore.values()) t.dispose();
    this.slotStore.clear();
  }

  /** Frees the slot tensors (not the parameters). */
  dispose(): void {
    this.disposeSlots();
  }
}
