// The maths of E-SSL, top to bottom: the exact image transformations T_r, the pretext tasks that draw r and
// apply T_r, the transformation-prediction loss, the three objectives of the explaining-away study (gradient
// reversal), the NT-Xent of the combined objective and the official cosine schedule.
//
// Paper: Wang, Hu, Gupta, Ye, Wang, Jegelka. "Understanding the Role of Equivariance in Self-supervised
// Learning", NeurIPS 2024 (arXiv:2411.06508); code: kaotty/Understanding-ESSL (ESSL/equivariant_tasks.py,
// ESSL/verification.py). Images are NHWC float32 in [0, 1]; the golden file is CHW (tests transpose).
import {
  LabError,
  Rng,
  assertDtype,
  assertFinite,
  assertInRange,
  assertRank,
  l2Normalize,
  ntXentLoss,
  rot90 as rot90Table,
  strictOptions,
  tf,
} from '@lab/core';
import { TASKS, TASK_CLASSES, defaultTaskOptions, type TaskName, type TaskOptions } from './config.js';

// ── 1. input checks shared by every transform ─────────────────────────────────────────────────────────

/** Refuses anything but a non-empty, finite float32 batch of images `[B, H, W, C]`. */
export function assertImages(x: tf.Tensor, name = 'x'): asserts x is tf.Tensor4D {
  if (!(x instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', `${name}: expected a tf.Tensor of shape [B, H, W, C], got ${typeof x}`);
  assertRank(x, 4, name);
  assertDtype(x, 'float32', name);
  if (x.shape[0] === 0 || x.size === 0)
    throw new LabError('EMPTY_INPUT', `${name}: expected at least 1 image, got shape [${x.shape.join(', ')}]`);
  assertFinite(x, name);
}

function assertSquare(x: tf.Tensor4D, name: string, what: string): void {
  if (x.shape[1] !== x.shape[2])
    throw new LabError('SHAPE_MISMATCH', `${name}: ${what} needs square images, got ${x.shape[1]}×${x.shape[2]}`);
}

// ── 2. exact transformations T_r (spec §2.1) ──────────────────────────────────────────────────────────

/**
 * Rotates every image by 90·k° counter-clockwise, exactly (`torch.rot90(x, k, dims=[H, W])`, torchvision
 * `rotate(img, 90k)`); k is taken mod 4. Square images only.
 * @param x `[B, H, H, C]`. @returns `[B, H, H, C]`.
 */
export function rot90(x: tf.Tensor4D, k: number): tf.Tensor4D {
  assertImages(x);
  assertSquare(x, 'x', 'rot90');
  if (!Number.isInteger(k)) throw new LabError('INVALID_ARGUMENT', `k: expected an integer, got ${k}`);
  const r = ((k % 4) + 4) % 4;
  return tf.tidy(() => {
    let y: tf.Tensor4D = x.clone();
    // out[i][j] = in[j][W−1−i]: transpose H ↔ W, then reverse the new H axis.
    for (let t = 0; t < r; t++) y = tf.reverse(tf.transpose(y, [0, 2, 1, 3]), 1); // [B, H, W, C]
    return y;
  });
}

/** Mirrors every image left–right (`img.flip(-1)`). @param x `[B, H, W, C]`. */
export function hflip(x: tf.Tensor4D): tf.Tensor4D {
  assertImages(x);
  return tf.reverse(x, 2);
}

/** Mirrors every image up–down (`img.flip(-2)`). @param x `[B, H, W, C]`. */
export function vflip(x: tf.Tensor4D): tf.Tensor4D {
  assertImages(x);
  return tf.reverse(x, 1);
}

/** Inverts intensities, x ↦ 1 − x. @param x `[B, H, W, C]` in [0, 1]. */
export function invert(x: tf.Tensor4D): tf.Tensor4D {
  assertImages(x);
  return tf.tidy(() => tf.sub(1, x));
}

/**
 * Luma 0.2989 R + 0.587 G + 0.114 B copied to 3 channels (torchvision `rgb_to_grayscale` tensor path; the
 * official PIL path rounds to uint8, ≤ 2.7e-3 apart). @param x `[B, H, W, 3]`. @returns `[B, H, W, 3]`.
 */
export function grayscale3(x: tf.Tensor4D): tf.Tensor4D {
  assertImages(x);
  if (x.shape[3] !== 3)
    throw new LabError('SHAPE_MISMATCH', `x: grayscale3 needs 3 colour channels, got ${x.shape[3]}`);
  return tf.tidy(() => {
    const luma = tf.sum(tf.mul(x, tf.tensor1d([0.2989, 0.587, 0.114])), 3, true); // [B, H, W, 1]
    return tf.tile(luma, [1, 1, 1, 3]) as tf.Tensor4D; // [B, H, W, 3]
  });
}

function checkBlur(size: number, sigma: number): void {
  if (!Number.isInteger(size) || size <= 0 || size % 2 === 0)
    throw new LabError('OUT_OF_RANGE', `size: expected a positive odd integer kernel size, got ${size}`);
  assertInRange(sigma, 'sigma', { min: 0, minExclusive: true });
}

/**
 * Normalised 1-D Gaussian on the grid −(k−1)/2 … (k−1)/2 (torchvision `_get_gaussian_kernel1d`).
 * @returns `[size]` weights summing to 1.
 */
export function gaussianKernel1d(size: number, sigma: number): Float32Array {
  checkBlur(size, sigma);
  const half = (size - 1) / 2;
  const w = new Float64Array(size);
  let total = 0;
  for (let i = 0; i < size; i++) {
    const t = (i - half) / sigma;
    w[i] = Math.exp(-0.5 * t * t);
    total += w[i]!;
  }
  return Float32Array.from(w, (v) => v / total);
}

/**
 * Separable Gaussian blur with reflect padding (torchvision `gaussian_blur`, tensor path): a horizontal and a
 * vertical depthwise convolution with {@link gaussianKernel1d}. Needs `size // 2 < min(H, W)`.
 * @param x `[B, H, W, C]`. @returns `[B, H, W, C]`.
 */
export function gaussianBlur(x: tf.Tensor4D, size: number, sigma: number): tf.Tensor4D {
  assertImages(x);
  checkBlur(size, sigma);
  const [, h, w, c] = x.shape;
  const pad = Math.floor(size / 2);
  if (pad >= h || pad >= w)
    throw new LabError(
      'OUT_OF_RANGE',
      `size: reflect padding of ${pad} needs images larger than ${pad}×${pad}, got ${h}×${w}`,
    );
  const k = gaussianKernel1d(size, sigma);
  return tf.tidy(() => {
    const padded = tf.mirrorPad(
      x,
      [
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ],
      'reflect',
    ); // [B, H + 2p, W + 2p, C]
    const kRow = tf.tile(tf.tensor4d(k, [1, size, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D; // [1, k, C, 1]
    const kCol = tf.tile(tf.tensor4d(k, [size, 1, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D; // [k, 1, C, 1]
    const rows = tf.depthwiseConv2d(padded, kRow, 1, 'valid'); // [B, H + 2p, W, C]
    return tf.depthwiseConv2d(rows, kCol, 1, 'valid'); // [B, H, W, C]
  });
}

/** The 24 permutations of (0, 1, 2, 3) in lexicographic order: the jigsaw label r is the index (spec §2.1). */
export const JIGSAW_PERMUTATIONS: readonly (readonly [number, number, number, number])[] = (() => {
  const out: [number, number, number, number][] = [];
  for (const a of [0, 1, 2, 3])
    for (const b of [0, 1, 2, 3])
      for (const c of [0, 1, 2, 3])
        for (const d of [0, 1, 2, 3]) if (new Set([a, b, c, d]).size === 4) out.push([a, b, c, d]);
  return out;
})();

function checkPermutation(perm: readonly number[]): void {
  if (
    !Array.isArray(perm) ||
    perm.length !== 4 ||
    !perm.every((v) => Number.isInteger(v)) ||
    [...perm].sort().join() !== '0,1,2,3'
  )
    throw new LabError(
      'INVALID_ARGUMENT',
      `perm: expected a permutation of 0..3, got [${Array.isArray(perm) ? perm.join(', ') : String(perm)}]`,
    );
}

/** Lexicographic rank of a permutation of 0..3: (0,1,2,3) → 0, (1,0,2,3) → 6, (2,0,3,1) → 13, (3,2,1,0) → 23. */
export function permutationRank(perm: number[]): number {
  checkPermutation(perm);
  let rank = 0;
  for (let i = 0; i < perm.length; i++) {
    let smaller = 0;
    for (let j = i + 1; j < perm.length; j++) if (perm[j]! < perm[i]!) smaller++;
    let fact = 1;
    for (let f = 2; f < perm.length - i; f++) fact *= f;
    rank += smaller * fact;
  }
  return rank;
}

function checkJigsawShape(x: tf.Tensor4D): void {
  assertSquare(x, 'x', 'jigsaw');
  if (x.shape[1] % 2 !== 0)
    throw new LabError('SHAPE_MISMATCH', `x: jigsaw needs an even height and width, got ${x.shape[1]}×${x.shape[2]}`);
}

/**
 * 2×2 jigsaw: the output tile at grid position p (row-major) is input tile `perm[p]`.
 * @param x `[B, H, H, C]` with H even. @returns `[B, H, H, C]`.
 */
export function jigsaw(x: tf.Tensor4D, perm: [number, number, number, number]): tf.Tensor4D {
  assertImages(x);
  checkJigsawShape(x);
  checkPermutation(perm);
  const t = x.shape[1] / 2;
  return tf.tidy(() => {
    const tiles = [0, 1, 2, 3].map((q) => tf.slice(x, [0, Math.floor(q / 2) * t, (q % 2) * t, 0], [-1, t, t, -1])); // 4 × [B, t, t, C]
    const top = tf.concat([tiles[perm[0]]!, tiles[perm[1]]!], 2); // [B, t, 2t, C]
    const bottom = tf.concat([tiles[perm[2]]!, tiles[perm[3]]!], 2); // [B, t, 2t, C]
    return tf.concat([top, bottom], 1) as tf.Tensor4D; // [B, 2t, 2t, C]
  });
}

/** Per-image jigsaw as one host index table (one read-back, one upload), as core's geometric augmentations. */
function jigsawPerImage(x: tf.Tensor4D, labels: Int32Array): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const t = h / 2;
  const src = x.dataSync() as Float32Array;
  const out = new Float32Array(src.length);
  for (let n = 0; n < b; n++) {
    const perm = JIGSAW_PERMUTATIONS[labels[n]!]!;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const q = perm[(i >= t ? 2 : 0) + (j >= t ? 1 : 0)]!; // input tile shown at this grid position
        const si = Math.floor(q / 2) * t + (i % t);
        const sj = (q % 2) * t + (j % t);
        const to = ((n * h + i) * w + j) * c;
        const from = ((n * h + si) * w + sj) * c;
        for (let ch = 0; ch < c; ch++) out[to + ch] = src[from + ch]!;
      }
    }
  }
  return tf.tensor4d(out, [b, h, w, c]);
}

/** Picks, per image, `options[r_n]` exactly: Σ_k 1[r = k]·T_k(x) (every other term is an exact zero). */
function selectPerImage(variants: tf.Tensor4D[], r: Int32Array): tf.Tensor4D {
  return tf.tidy(() => {
    const b = r.length;
    let out: tf.Tensor = tf.zerosLike(variants[0]!);
    variants.forEach((v, k) => {
      const mask = tf.tensor4d(
        Float32Array.from(r, (rn) => (rn === k ? 1 : 0)),
        [b, 1, 1, 1],
      ); // [B, 1, 1, 1]
      out = tf.add(out, tf.mul(mask, v));
    });
    return out as tf.Tensor4D;
  });
}

// ── 3. pretext tasks: draw r per image, apply T_r (ESSL/equivariant_tasks.py) ─────────────────────────

/**
 * Draws a label r uniformly from the task's K values for every image (from `rng`) and applies T_r.
 * Test images are never transformed; `none` returns a copy with r = 0.
 * @param x `[B, H, W, C]` in [0, 1]. @returns `x` `[B, H, W, C]` transformed, `r` `[B]` int32.
 */
export function applyTask(
  task: TaskName,
  x: tf.Tensor4D,
  rng: Rng,
  opts: Partial<TaskOptions> = {},
): { x: tf.Tensor4D; r: tf.Tensor1D } {
  if (!(TASKS as readonly string[]).includes(task))
    throw new LabError(
      'INVALID_ARGUMENT',
      `task: expected one of ${TASKS.map((t) => `'${t}'`).join(', ')}, got '${String(task)}'`,
    );
  const o = strictOptions(opts, defaultTaskOptions as TaskOptions, 'applyTask options');
  if (o.blurSigmas.length !== 3 || !o.blurSigmas.every((s) => s > 0))
    throw new LabError(
      'OUT_OF_RANGE',
      `blurSigmas: expected 3 values > 0 (levels 1–3), got [${o.blurSigmas.join(', ')}]`,
    );
  if (o.blurKernels.length !== 3)
    throw new LabError(
      'OUT_OF_RANGE',
      `blurKernels: expected 3 kernel sizes (levels 1–3), got [${o.blurKernels.join(', ')}]`,
    );
  if (!(rng instanceof Rng)) throw new LabError('INVALID_ARGUMENT', 'rng: expected a seeded Rng from @lab/core');
  assertImages(x);
  const b = x.shape[0];
  const k = TASK_CLASSES[task];
  const r = new Int32Array(b);
  for (let n = 0; n < b; n++) r[n] = k === 1 ? 0 : rng.int(k);
  const out = tf.tidy((): tf.Tensor4D => {
    switch (task) {
      case 'none':
        return x.clone();
      case 'rotation':
        assertSquare(x, 'x', 'rotation');
        return rot90Table(x, r) as tf.Tensor4D; // [B, H, W, C]
      case 'hflip':
        return selectPerImage([x, hflip(x)], r);
      case 'vflip':
        return selectPerImage([x, vflip(x)], r);
      case 'invert':
        return selectPerImage([x, invert(x)], r);
      case 'grayscale':
        return selectPerImage([x, grayscale3(x)], r);
      case 'jigsaw':
        checkJigsawShape(x);
        return jigsawPerImage(x, r);
      case 'blur': {
        if (!o.faithful)
          return selectPerImage([x, ...[0, 1, 2].map((l) => gaussianBlur(x, o.blurKernels[l]!, o.blurSigmas[l]!))], r);
        // faithful: σ ~ U(0.1, 2.0) drawn for every image, whatever its level (the official GaussianBlur per call)
        const rows = tf.split(x, b, 0) as tf.Tensor4D[];
        const blurred = rows.map((row, n) =>
          r[n] === 0 ? row : gaussianBlur(row, o.blurKernels[r[n]! - 1]!, rng.uniform(0.1, 2.0)),
        );
        return tf.concat(blurred, 0) as tf.Tensor4D;
      }
    }
  });
  return { x: out, r: tf.tensor1d(r, 'int32') };
}

/**
 * The exact inverse of T_r where it has one: rotation by −r, a second flip or inversion, the inverse jigsaw
 * permutation; `none` is the identity. Blur and grayscale lose information and throw.
 * @param x `[B, H, W, C]` transformed images. @param r `[B]` their labels. @returns `[B, H, W, C]` the originals.
 */
export function undoTask(task: TaskName, x: tf.Tensor4D, r: tf.Tensor1D | Int32Array): tf.Tensor4D {
  if (!(TASKS as readonly string[]).includes(task))
    throw new LabError(
      'INVALID_ARGUMENT',
      `task: expected one of ${TASKS.map((t) => `'${t}'`).join(', ')}, got '${String(task)}'`,
    );
  if (task === 'blur' || task === 'grayscale')
    throw new LabError('INVALID_ARGUMENT', `task: '${task}' is lossy and has no exact inverse`);
  assertImages(x);
  const labels = r instanceof tf.Tensor ? (r.dataSync() as Int32Array) : r;
  if (labels.length !== x.shape[0])
    throw new LabError('SHAPE_MISMATCH', `r: expected ${x.shape[0]} labels (one per image), got ${labels.length}`);
  const k = TASK_CLASSES[task];
  for (const v of labels)
    if (!Number.isInteger(v) || v < 0 || v >= k)
      throw new LabError('OUT_OF_RANGE', `r: expected labels in 0..${k - 1} for '${task}', got ${v}`);
  return tf.tidy((): tf.Tensor4D => {
    switch (task) {
      case 'none':
        return x.clone();
      case 'rotation':
        assertSquare(x, 'x', 'rotation');
        return rot90Table(
          x,
          Int32Array.from(labels, (v) => (4 - v) % 4),
        ) as tf.Tensor4D;
      case 'hflip':
        return selectPerImage([x, hflip(x)], Int32Array.from(labels));
      case 'vflip':
        return selectPerImage([x, vflip(x)], Int32Array.from(labels));
      case 'invert':
        return selectPerImage([x, invert(x)], Int32Array.from(labels));
      case 'jigsaw': {
        checkJigsawShape(x);
        // the inverse of π puts tile π(p) back at p: inv[π[p]] = p
        const inverse = Int32Array.from(labels, (v) => {
          const perm = JIGSAW_PERMUTATIONS[v]!;
          const inv = [0, 0, 0, 0];
          perm.forEach((q, p) => (inv[q] = p));
          return permutationRank(inv);
        });
        return jigsawPerImage(x, inverse);
      }
    }
  });
}

// ── 4. losses ───────────────────────────────────────────────────────────────────────────────────────────

function checkLogits(logits: tf.Tensor, labels: tf.Tensor, name: string): void {
  assertRank(logits, 2, 'logits');
  assertRank(labels, 1, name);
  if (logits.shape[0] === 0) throw new LabError('EMPTY_INPUT', 'logits: expected at least 1 row, got 0');
  if (labels.shape[0] !== logits.shape[0])
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: expected ${logits.shape[0]} labels (one per row of logits), got ${labels.shape[0]}`,
    );
}

/** Mean softmax cross-entropy CE(logits, labels). @param logits `[B, K]`. @param labels `[B]` int. */
function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logProb = tf.logSoftmax(logits); // [B, K]
    const onehot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]); // [B, K]
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, logProb), 1))) as tf.Scalar;
  });
}

/**
 * Transformation-prediction loss CE(head(h), r) (spec §2.1: the projector's logits against the drawn labels).
 * @param logits `[B, K]`. @param r `[B]` int32 labels in 0..K−1. @returns scalar.
 */
export function transformationLoss(logits: tf.Tensor2D, r: tf.Tensor1D): tf.Scalar {
  checkLogits(logits, r, 'r');
  assertFinite(logits, 'logits');
  return crossEntropy(logits, r);
}

/**
 * Gradient reversal (Ganin & Lempitsky, 2015): identity forward, −λ·g backward. It turns "the classifier
 * minimises CE(cls) on the features" into "the encoder maximises it" in one backward pass (spec §2.2, the
 * package's `eliminate`).
 */
export function gradReverse(x: tf.Tensor, lambda: number): tf.Tensor {
  assertInRange(lambda, 'lambda', { min: 0 });
  const reverse = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.clone(input), gradFunc: (dy: tf.Tensor) => tf.mul(dy, -lambda) };
  });
  return reverse(x);
}

/** The three encoder objectives of `verification.py`, on features h, their rotation logits and their class logits. */
export interface ModeLosses {
  /** CE(rotHead(h), r). */
  rotLoss: tf.Scalar;
  /** CE(classifier(h), y). */
  clsLoss: tf.Scalar;
  /** What backpropagates: CE(rot) (normal), CE(rot) + λ·CE(cls) (add), CE(rot) + CE(cls ∘ reverse_λ) (eliminate). */
  loss: tf.Scalar;
  /** The objective as written in the spec: CE(rot) (+ CE(cls) with the online probe), CE(rot) + λ·CE(cls), CE(rot) − λ·CE(cls). */
  objective: tf.Scalar;
}

/**
 * Builds the explaining-away objective from features h `[B, D]`, a rotation head and a classifier (spec §2.2).
 * - `normal`: CE(rot) alone; with `onlineProbe` the classifier also learns CE(cls) on sg(h) (the detached online probe);
 * - `add`: CE(rot) + λ·CE(cls) reaches the encoder;
 * - `eliminate`: the encoder receives −λ·∇CE(cls) through {@link gradReverse} while the classifier minimises
 *   CE(cls) (the package default). `faithful: true` reproduces the official step on CE(rot) − λ·CE(cls) with
 *   the classifier in the same optimiser (it is pushed *up* the CE; its own later step gets a zero gradient at λ = 1).
 */
export function modeLosses(
  h: tf.Tensor2D,
  rotHead: (h: tf.Tensor2D) => tf.Tensor2D,
  classifier: (h: tf.Tensor2D) => tf.Tensor2D,
  r: tf.Tensor1D,
  y: tf.Tensor1D,
  options: { mode: 'normal' | 'add' | 'eliminate'; lambda: number; faithful?: boolean; onlineProbe?: boolean },
): ModeLosses {
  const { mode, lambda, faithful = false, onlineProbe = false } = options;
  assertInRange(lambda, 'lambda', { min: 0 });
  return tf.tidy(() => {
    const rotLoss = transformationLoss(rotHead(h), r); // scalar
    // sg(h) is a reversal with λ = 0 (tfjs has no stop-gradient op): identity forward, zero gradient
    const clsInput =
      mode === 'normal' ? gradReverse(h, 0) : mode === 'eliminate' && !faithful ? gradReverse(h, lambda) : h; // [B, D]
    const clsLoss = transformationLoss(classifier(clsInput as tf.Tensor2D), y); // scalar
    const objective =
      mode === 'normal'
        ? onlineProbe
          ? tf.add(rotLoss, clsLoss)
          : rotLoss
        : mode === 'add'
          ? tf.add(rotLoss, tf.mul(clsLoss, lambda))
          : tf.sub(rotLoss, tf.mul(clsLoss, lambda));
    const loss =
      mode === 'normal'
        ? onlineProbe
          ? tf.add(rotLoss, clsLoss)
          : rotLoss
        : mode === 'eliminate' && !faithful
          ? tf.add(rotLoss, clsLoss)
          : objective;
    return { rotLoss, clsLoss, loss: loss as tf.Scalar, objective: objective as tf.Scalar };
  });
}

/**
 * NT-Xent with positives at rows (2k, 2k+1) (spec §2.4).
 * - `standard` (default): SimCLR's masked form (Chen et al., 2020, Eq. 1), through core's `ntXentLoss`;
 * - `repoClamped`: the E-SSL repository's variant: cosines clamped at ≥ 1e-7 before dividing by t (negative
 *   similarities are flattened), the diagonal lowered by 1e5.
 * @param z `[2N, D]` raw projections. @returns scalar.
 */
export function ntXent(
  z: tf.Tensor2D,
  options: { temperature?: number; variant?: 'standard' | 'repoClamped' } = {},
): tf.Scalar {
  const { temperature, variant } = strictOptions(
    options,
    { temperature: 0.5, variant: 'standard' as 'standard' | 'repoClamped' },
    'ntXent options',
    { temperature: { min: 0, minExclusive: true }, variant: ['standard', 'repoClamped'] },
  );
  assertRank(z, 2, 'z');
  const n = z.shape[0];
  if (n < 2 || n % 2 !== 0)
    throw new LabError('SHAPE_MISMATCH', `z: expected an even number ≥ 2 of rows (pairs 2k, 2k+1), got ${n}`);
  assertFinite(z, 'z');
  if (variant === 'standard') return tf.tidy(() => ntXentLoss(z.reshape([n / 2, 2, z.shape[1]]), { temperature }));
  return tf.tidy(() => {
    const u = l2Normalize(z); // [2N, D]
    const s = tf.div(tf.maximum(tf.matMul(u, u, false, true), 1e-7), temperature); // [2N, 2N]
    const logits = tf.sub(s, tf.mul(tf.eye(n), 1e5)) as tf.Tensor2D; // [2N, 2N]
    const partner = tf.tensor1d(
      Int32Array.from({ length: n }, (_, i) => i ^ 1),
      'int32',
    ); // [2N] target 2k ↔ 2k+1
    return crossEntropy(logits, partner);
  });
}

/**
 * The official `get_lr(s, T, a, b) = b + (a − b)·½(1 + cos(πs/T))` (ESSL/utils.py). Its LambdaLR multiplies the
 * base lr by this value, so the official effective lr is `0.6·cosineLrFactor(s, T, 0.6, 1e-3)` (the quirk).
 */
export function cosineLrFactor(step: number, total: number, lrMax: number, lrMin: number): number {
  assertInRange(total, 'total', { min: 0, minExclusive: true });
  assertInRange(step, 'step', { min: 0, max: total });
  assertInRange(lrMax, 'lrMax', { min: 0 });
  assertInRange(lrMin, 'lrMin', { min: 0 });
  return lrMin + (lrMax - lrMin) * 0.5 * (1 + Math.cos((step / total) * Math.PI));
}
