// C4 group-equivariant layers (spec §2.3, `Equivariant Network/model/group_op.py`), in tfjs layouts: feature
// maps NHWC with channel = field·4 + r, kernels [kh, kw, in, out]. Each layer owns trainable *base* weights and
// expands them into an ordinary conv kernel with reverse / transpose / slice / concat, all differentiable, so the
// gradient reaches the base weights and the layers train on WASM.
import { BatchNorm2d, LabError, Module, Rng, assertInRange, assertRank, tf } from '@lab/core';

/** Spatial rot90 (counter-clockwise, k times) of the two leading axes of a kernel `[k, k, …]`. */
function rotKernel(w: tf.Tensor, times: number): tf.Tensor {
  const perm = [1, 0, ...Array.from({ length: w.rank - 2 }, (_, i) => i + 2)];
  let out = w;
  for (let t = 0; t < times; t++) out = tf.reverse(tf.transpose(out, perm), 0); // out[i][j] = in[j][k−1−i]
  return out;
}

/** Cyclic shift along `axis` of size 4: new[s] = old[(s − r) mod 4]. */
function rollGroup(w: tf.Tensor, r: number, axis: number): tf.Tensor {
  if (r % 4 === 0) return w;
  const size = w.shape.slice();
  const begin = w.shape.map(() => 0);
  const headSize = size.slice();
  headSize[axis] = 4 - r;
  const tailBegin = begin.slice();
  tailBegin[axis] = 4 - r;
  const tailSize = size.slice();
  tailSize[axis] = r;
  return tf.concat([tf.slice(w, tailBegin, tailSize), tf.slice(w, begin, headSize)], axis);
}

/** Spatial rot90 of a feature map `[B, H, W, C]` (counter-clockwise). */
function rotMap(x: tf.Tensor4D, times = 1): tf.Tensor4D {
  let y = x;
  for (let t = 0; t < times; t++) y = tf.reverse(tf.transpose(y, [0, 2, 1, 3]), 1);
  return y;
}

function checkMap(x: tf.Tensor, name: string): asserts x is tf.Tensor4D {
  if (!(x instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', `${name}: expected a tf.Tensor, got ${typeof x}`);
  assertRank(x, 4, name);
  if (x.shape[0] === 0) throw new LabError('EMPTY_INPUT', `${name}: expected at least 1 image, got an empty batch`);
}

function checkGroupChannels(x: tf.Tensor4D, fields: number | null, name: string): number {
  const c = x.shape[3];
  if (c % 4 !== 0)
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: expected a channel count divisible by 4 (channel = field·4 + r), got ${c}`,
    );
  if (fields !== null && c !== 4 * fields)
    throw new LabError('SHAPE_MISMATCH', `${name}: expected ${4 * fields} channels (${fields} fields × 4), got ${c}`);
  return c / 4;
}

function heNormal(shape: number[], fanIn: number, rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.normalArray(n, 0, Math.sqrt(2 / fanIn)), shape); // N(0, 2/fan_in) (group_op.py)
}

/**
 * Lifting convolution `C_4_Conv`: base W `[3, 3, I, O]` expands to Ŵ `[3, 3, I, 4O]` with Ŵ[…, o·4 + r] =
 * rot90(W[…, o], r); padding 1, no bias. Init N(0, 2/(9I)).
 */
export class C4LiftConv extends Module {
  readonly weight: tf.Variable;

  constructor(
    readonly inChannels: number,
    readonly outFields: number,
    opts: { seed?: number } = {},
  ) {
    super();
    assertInRange(inChannels, 'inChannels', { min: 1, integer: true });
    assertInRange(outFields, 'outFields', { min: 1, integer: true });
    const rng = new Rng(opts.seed ?? 0);
    this.weight = this.addParameter('weight', heNormal([3, 3, inChannels, outFields], 9 * inChannels, rng));
  }

  /** The expanded kernel `[3, 3, I, 4O]`. */
  expandedKernel(): tf.Tensor4D {
    return tf.tidy(() => {
      const rotated = [0, 1, 2, 3].map((r) => rotKernel(this.weight, r)); // 4 × [3, 3, I, O]
      return tf.stack(rotated, 4).reshape([3, 3, this.inChannels, 4 * this.outFields]) as tf.Tensor4D; // [3, 3, I, O, 4] → [3, 3, I, 4O]
    });
  }

  /** @param x `[B, H, W, I]`. @returns `[B, H, W, 4O]`. */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    checkMap(x, 'x');
    if (x.shape[3] !== this.inChannels)
      throw new LabError('SHAPE_MISMATCH', `x: expected ${this.inChannels} input channels, got ${x.shape[3]}`);
    return tf.tidy(() => tf.conv2d(x, this.expandedKernel(), 1, 'same')); // [B, H, W, 4O]
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.apply(x as tf.Tensor4D);
  }
}

/**
 * Group convolution `C_4_3x3` (kernel 3) or `C_4_1x1` (kernel 1): base W `[k, k, I, 4, O]` expands to
 * Ŵ `[k, k, 4I, 4O]` with Ŵ[…, i·4 + s, o·4 + r] = rot90(W[…, i, (s − r) mod 4, o], r) (no rotation for 1×1).
 * Stride 2 is a stride-1 conv followed by a 2×2 max-pool (as the official code); the optional bias is per field.
 * Init N(0, 2/(k²·4I)).
 */
export class C4GroupConv extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly stride: 1 | 2;
  readonly kernel: 1 | 3;

  constructor(
    readonly inFields: number,
    readonly outFields: number,
    opts: { stride?: 1 | 2; bias?: boolean; kernel?: 1 | 3; seed?: number } = {},
  ) {
    super();
    assertInRange(inFields, 'inFields', { min: 1, integer: true });
    assertInRange(outFields, 'outFields', { min: 1, integer: true });
    const { stride = 1, bias = false, kernel = 3, seed = 0 } = opts;
    if (stride !== 1 && stride !== 2) throw new LabError('INVALID_ARGUMENT', `stride: expected 1 or 2, got ${stride}`);
    if (kernel !== 1 && kernel !== 3) throw new LabError('INVALID_ARGUMENT', `kernel: expected 1 or 3, got ${kernel}`);
    this.stride = stride;
    this.kernel = kernel;
    const rng = new Rng(seed);
    const fanIn = kernel * kernel * 4 * inFields;
    this.weight = this.addParameter('weight', heNormal([kernel, kernel, inFields, 4, outFields], fanIn, rng));
    this.bias = bias ? this.addParameter('bias', tf.zeros([outFields])) : null;
  }

  /** The expanded kernel `[k, k, 4I, 4O]`. */
  expandedKernel(): tf.Tensor4D {
    return tf.tidy(() => {
      const k = this.kernel;
      const perR = [0, 1, 2, 3].map((r) => rotKernel(rollGroup(this.weight, r, 3), k === 3 ? r : 0)); // 4 × [k, k, I, 4, O]
      return tf.stack(perR, 5).reshape([k, k, 4 * this.inFields, 4 * this.outFields]) as tf.Tensor4D; // [k, k, I, 4, O, 4] → [k, k, 4I, 4O]
    });
  }

  /** @param x `[B, H, W, 4I]`. @returns `[B, H', W', 4O]` (H' = H, or ⌊H/2⌋ with stride 2). */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    checkMap(x, 'x');
    checkGroupChannels(x, this.inFields, 'x');
    return tf.tidy(() => {
      let y = tf.conv2d(x, this.expandedKernel(), 1, this.kernel === 3 ? 'same' : 'valid'); // [B, H, W, 4O]
      if (this.bias)
        y = tf.add(y, tf.tile(this.bias.reshape([this.outFields, 1]), [1, 4]).reshape([4 * this.outFields]));
      return this.stride === 2 ? tf.maxPool(y, 2, 2, 'valid') : y;
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.apply(x as tf.Tensor4D);
  }
}

/**
 * Group batch norm `C_4_BN`: BatchNorm over the view `[B, fields, 4, H, W]`, i.e. one γ/β and one mean/var per
 * field shared by its 4 rotation channels. Built on core's BatchNorm2d (PyTorch semantics, momentum 0.1, ε 1e-5)
 * applied to `[B, H·W, 4, F]`.
 */
export class C4BatchNorm extends Module {
  readonly bn: BatchNorm2d;

  constructor(readonly fields: number) {
    super();
    assertInRange(fields, 'fields', { min: 1, integer: true });
    this.bn = this.addModule('bn', new BatchNorm2d(fields));
  }

  /** @param x `[B, H, W, 4F]`. @param training batch statistics (true) or running ones. @returns `[B, H, W, 4F]`. */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    checkMap(x, 'x');
    checkGroupChannels(x, this.fields, 'x');
    const [b, h, w] = x.shape;
    const f = this.fields;
    this.bn.training = training;
    return tf.tidy(() => {
      const grouped = tf.transpose(x.reshape([b, h * w, f, 4]), [0, 1, 3, 2]); // [B, HW, 4, F]
      const normed = this.bn.forward(grouped); // [B, HW, 4, F]
      return tf.transpose(normed, [0, 1, 3, 2]).reshape([b, h, w, 4 * f]) as tf.Tensor4D; // [B, H, W, 4F]
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return this.apply(x as tf.Tensor4D, this.training);
  }
}

/** Group pooling `C_4_Pool`: max over the 4 rotation channels of each field. @param x `[B, H, W, 4F]`. @returns `[B, H, W, F]`. */
export function c4GroupPool(x: tf.Tensor4D): tf.Tensor4D {
  checkMap(x, 'x');
  const f = checkGroupChannels(x, null, 'x');
  const [b, h, w] = x.shape;
  return tf.tidy(() => tf.max(x.reshape([b, h, w, f, 4]), 4) as tf.Tensor4D); // [B, H, W, F]
}

/**
 * How a C4 feature map transforms when its input is rotated by 90°: a spatial rot90 and the cyclic group shift
 * channel s → s + 1 (`f(rot90(x)) = c4Act(f(x))`). @param x `[B, H, W, 4F]`. @returns `[B, W, H, 4F]`.
 */
export function c4Act(x: tf.Tensor4D): tf.Tensor4D {
  checkMap(x, 'x');
  const f = checkGroupChannels(x, null, 'x');
  const [b, h, w] = x.shape;
  return tf.tidy(() => {
    const shifted = rollGroup(x.reshape([b, h, w, f, 4]), 1, 4).reshape([b, h, w, 4 * f]) as tf.Tensor4D; // new[s] = old[s − 1]
    return rotMap(shifted);
  });
}

/**
 * Equivariance residual max |f(rot90(x)) − act(f(x))| of a map f on images x `[B, H, H, C]`, where act is
 * {@link c4Act} (`'regular'`, group feature maps; default), a spatial rot90 (`'spatial'`, e.g. after group
 * pooling) or the identity (`'invariant'`). Float32 C4 layers give < 1e-5.
 */
export function equivarianceResidual(
  f: (x: tf.Tensor4D) => tf.Tensor,
  x: tf.Tensor4D,
  options: { action?: 'regular' | 'spatial' | 'invariant' } = {},
): number {
  const { action = 'regular' } = options;
  if (!['regular', 'spatial', 'invariant'].includes(action))
    throw new LabError(
      'INVALID_ARGUMENT',
      `action: expected one of 'regular', 'spatial', 'invariant', got '${action}'`,
    );
  checkMap(x, 'x');
  if (x.shape[1] !== x.shape[2])
    throw new LabError(
      'SHAPE_MISMATCH',
      `x: equivarianceResidual needs square images, got ${x.shape[1]}×${x.shape[2]}`,
    );
  return tf.tidy(() => {
    const fx = f(x);
    const expected =
      action === 'regular' ? c4Act(fx as tf.Tensor4D) : action === 'spatial' ? rotMap(fx as tf.Tensor4D) : fx;
    const got = f(rotMap(x));
    if (got.shape.join() !== expected.shape.join())
      throw new LabError(
        'SHAPE_MISMATCH',
        `f: output shapes differ under rotation ([${got.shape.join(', ')}] vs [${expected.shape.join(', ')}])`,
      );
    return tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]!;
  });
}
