import * as tf from '@tensorflow/tfjs';
import { LabError, assertRank } from './errors.js';

/**
 * Parameters to differentiate with respect to: a list (gradients come back as a list in the same
 * order) or a name → variable record (gradients come back keyed by the same names).
 */
export type ParamSet = readonly tf.Variable[] | Readonly<Record<string, tf.Variable>>;

/** Gradients shaped like the {@link ParamSet} they were taken for. */
export type GradSet<P extends ParamSet> = P extends readonly tf.Variable[]
  ? (tf.Tensor | null)[]
  : Record<string, tf.Tensor | null>;

export interface ValueAndGrads<P extends ParamSet> {
  /** The loss value (a scalar the caller owns and must dispose). */
  value: tf.Scalar;
  /**
   * One gradient per parameter, shaped like it; `null` where the loss does not depend on the
   * parameter (PyTorch's `grad is None`). The caller owns the tensors and must dispose them
   * (see {@link disposeGrads}).
   */
  grads: GradSet<P>;
}

/**
 * Evaluates a scalar loss and its gradients with respect to the given variables. Every intermediate
 * tensor made by `loss` is disposed before returning; only the value and the gradients survive.
 *
 * Variables with `trainable = false` get a `null` gradient (tfjs never differentiates frozen
 * variables); at least one listed variable must be trainable.
 *
 * @example
 * const w = tf.variable(tf.tensor1d([1, 2]));
 * const { value, grads } = valueAndGrads(() => w.square().sum(), { w });
 * // value = 5, grads.w = [2, 4]
 * value.dispose(); disposeGrads(grads);
 */
export function valueAndGrads<P extends ParamSet>(loss: () => tf.Scalar, params: P): ValueAndGrads<P> {
  const isList = Array.isArray(params);
  const names = isList ? params.map((_, i) => String(i)) : Object.keys(params);
  const vars: tf.Variable[] = isList
    ? [...(params as readonly tf.Variable[])]
    : Object.values(params as Record<string, tf.Variable>);
  vars.forEach((v, i) => {
    if (!(v instanceof tf.Variable)) {
      throw new LabError('INVALID_ARGUMENT', `params[${names[i]}]: expected a tf.Variable, got ${describe(v)}`);
    }
  });
  if (vars.length === 0) throw new LabError('EMPTY_INPUT', 'params: expected at least one variable, got none');
  if (!vars.some((v) => v.trainable)) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `params: expected at least one trainable variable, but all ${vars.length} are frozen (trainable = false)`,
    );
  }

  const checkedLoss = (): tf.Scalar => {
    const out = loss();
    if (!(out instanceof tf.Tensor))
      throw new LabError(
        'INVALID_ARGUMENT',
        `loss: expected the function to return a scalar tensor, got ${describe(out)}`,
      );
    if (out.size !== 1)
      throw new LabError('SHAPE_MISMATCH', `loss: expected a scalar, got shape [${out.shape.join(', ')}]`);
    if (out.dtype !== 'float32') throw new LabError('DTYPE_MISMATCH', `loss: expected dtype float32, got ${out.dtype}`);
    return (out.rank === 0 ? out : out.reshape([])) as tf.Scalar;
  };
  // tf.variableGrads runs `loss` inside the engine's gradient scope: intermediates are freed by that
  // scope, and the tensors saved for the backward pass are freed right after it.
  let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
  try {
    result = tf.variableGrads(checkedLoss, vars);
  } catch (err) {
    releaseTapeAfterError();
    if (err instanceof Error && /Cannot find a connection/.test(err.message)) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `loss: does not depend on any of the ${vars.length} parameters (names: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})`,
      );
    }
    throw err;
  }
  const { value, grads } = result;
  const byId = grads as Record<string, tf.Tensor>;
  // tfjs keys variableGrads' result by variable name; variables of a module have unique names.
  const list = vars.map((v) => byId[v.name] ?? null);
  if (isList) return { value, grads: list as GradSet<P> };
  const record: Record<string, tf.Tensor | null> = {};
  names.forEach((n, i) => (record[n] = list[i]!));
  return { value, grads: record as GradSet<P> };
}

/**
 * When the loss throws, tfjs frees the forward pass's tensors but not the copies it saved for the
 * backward pass (they stay on the abandoned tape). At the outermost gradient level, free them.
 */
function releaseTapeAfterError(): void {
  const state = (
    tf.engine() as unknown as { state?: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null } }
  ).state;
  if (!state || state.gradientDepth !== 0 || !Array.isArray(state.activeTape)) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/** Disposes every tensor of a gradient list or record (nulls are skipped). */
export function disposeGrads(grads: readonly (tf.Tensor | null)[] | Readonly<Record<string, tf.Tensor | null>>): void {
  for (const g of Array.isArray(grads) ? grads : Object.values(grads)) g?.dispose();
}

function describe(v: unknown): string {
  if (v instanceof tf.Tensor) return `a ${v.dtype} tensor of shape [${v.shape.join(', ')}]`;
  if (v === null) return 'null';
  return typeof v;
}

// ── second-order gradients ───────────────────────────────────────────────────────────────────
//
// Nested `tf.grad` (differentiating a function that itself calls tf.grad) is only correct in tfjs
// 4.22 when every op on the path has a gradient written in differentiable ops of the op's *inputs*.
// Several gradients reuse the op's saved *output*, which the outer tape treats as a constant, and a
// few gradients call kernels that have no gradient. Measured after initBackend() against central
// finite differences on both `cpu` and `wasm` (test/autograd.test.ts pins every row):
//
//   safe (nested result matches finite differences):
//     add, sub, mul, div, neg, square, pow (constant exponent), squaredDifference, sqrt, rsqrt,
//     reciprocal, log, log1p, expm1, sin, cos, atan, erf, abs, relu, leakyRelu, selu, softplus,
//     logSigmoid, max, min, matMul, sum, mean, norm — and compositions of these.
//   silently WRONG (the curvature through the op is dropped; it throws only when the whole path
//     runs through such ops): exp, tanh, sigmoid, softmax, logSoftmax, logSumExp,
//     tf.losses.softmaxCrossEntropy. The IRMv1 penalty's gradient through softmax-CE is wrong this
//     way (the penalty came out 0.036 where PyTorch gives 0.139 in an earlier measurement).
//   throws (no gradient for Cumprod / EluGrad): prod, elu.
//
// Workarounds: write exp(x) as expm1(x) + 1 (safe), or use the closed forms / finite-difference
// Hessian-vector products below.
// Use the closed forms below instead of nesting tf.grad through those ops.

/**
 * ∂/∂w of the mean softmax cross-entropy of `w · logits` at w = 1, in closed form:
 *
 *   ∂R/∂w |_{w=1} = mean_i Σ_k (softmax(z_i)_k − y_ik) · z_ik
 *
 * This is the inner gradient of the IRMv1 penalty (Arjovsky et al., 2019, "Invariant Risk
 * Minimization", Eq. 4 / Section 3.1: a dummy scalar classifier w = 1.0 multiplying the logits).
 * It is an ordinary first-order expression, so its own gradient w.r.t. the logits (needed to train
 * with the penalty) is exact, unlike a nested tf.grad through softmax-CE in tfjs.
 *
 * @param logits [N, C] float32 logits z
 * @param labels [N] int32 class indices, or [N, C] float32 one-hot / soft targets y
 * @returns scalar; an empty batch gives 0 (as IRM implementations replace NaN penalties with 0)
 */
export function softmaxCrossEntropyScaleGrad(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  assertRank(logits, 2, 'logits');
  const [n, c] = logits.shape as [number, number];
  if (logits.dtype !== 'float32')
    throw new LabError('DTYPE_MISMATCH', `logits: expected dtype float32, got ${logits.dtype}`);
  if (labels.rank === 1) {
    if (labels.shape[0] !== n)
      throw new LabError(
        'SHAPE_MISMATCH',
        `labels: expected shape [${n}] to match logits [${n}, ${c}], got [${labels.shape.join(', ')}]`,
      );
    if (labels.dtype !== 'int32')
      throw new LabError('DTYPE_MISMATCH', `labels: expected int32 class indices, got ${labels.dtype}`);
  } else if (labels.rank === 2) {
    if (labels.shape[0] !== n || labels.shape[1] !== c) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `labels: expected shape [${n}, ${c}] to match logits, got [${labels.shape.join(', ')}]`,
      );
    }
  } else {
    throw new LabError(
      'SHAPE_MISMATCH',
      `labels: expected [N] class indices or [N, C] targets, got shape [${labels.shape.join(', ')}]`,
    );
  }
  if (n === 0) return tf.scalar(0);
  return tf.tidy(() => {
    const targets = labels.rank === 1 ? tf.oneHot(labels as tf.Tensor1D, c).toFloat() : labels.toFloat(); // [N, C]
    const probs = tf.softmax(logits); // [N, C]
    return probs.sub(targets).mul(logits).sum(1).mean() as tf.Scalar; // mean_i Σ_k (p − y)·z
  });
}

/**
 * The IRMv1 penalty of one environment, `(∂R_e/∂w |_{w=1})²` with R_e the mean softmax
 * cross-entropy (Arjovsky et al., 2019, Eq. 4), computed with {@link softmaxCrossEntropyScaleGrad}.
 * Average it over environments and scale by λ as the method prescribes.
 *
 * @example
 * const penalty = irmPenaltyClosedForm(logits, labels); // scalar, differentiable w.r.t. logits
 */
export function irmPenaltyClosedForm(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => softmaxCrossEntropyScaleGrad(logits, labels).square());
}

/**
 * Hessian-vector product H·v of a scalar function at x by nested tf.grad — valid only when `f` uses
 * the ops listed as safe above (tested against finite differences in test/autograd.test.ts).
 * For anything through exp, tanh, sigmoid, softmax, logSoftmax or logSumExp, use {@link finiteDifferenceHvp}.
 */
export function hessianVectorProduct(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, v: tf.Tensor): tf.Tensor {
  if (!tf.util.arraysEqual(x.shape, v.shape)) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `v: expected the shape of x [${x.shape.join(', ')}], got [${v.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => tf.grad((y: tf.Tensor) => tf.grad(f)(y).mul(v).sum())(x));
}

/**
 * Hessian-vector product by central differences of first-order gradients,
 * `(∇f(x + εv) − ∇f(x − εv)) / 2ε`: exact to O(ε²) for every op with a correct first-order gradient,
 * at the cost of two gradient evaluations. The safe alternative to nested tf.grad.
 */
export function finiteDifferenceHvp(
  f: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  v: tf.Tensor,
  epsilon = 1e-3,
): tf.Tensor {
  if (!tf.util.arraysEqual(x.shape, v.shape)) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `v: expected the shape of x [${x.shape.join(', ')}], got [${v.shape.join(', ')}]`,
    );
  }
  if (!(epsilon > 0)) throw new LabError('OUT_OF_RANGE', `epsilon: expected a number > 0, got ${epsilon}`);
  return tf.tidy(() => {
    const g = tf.grad(f);
    const plus = g(x.add(v.mul(epsilon)));
    const minus = g(x.sub(v.mul(epsilon)));
    return plus.sub(minus).div(2 * epsilon);
  });
}
