import * as tf from '@tensorflow/tfjs';
import { LabError, assertInRange, assertOneOf } from '../errors.js';
import { Rng } from '../random.js';

// Batched image augmentations for small greyscale images (28×28 MNIST and the like).
//
// Every function takes a batch `x` shaped [B, H, W, C] (NHWC), [B, H, W] or flat [B, H·W] (square
// images, or pass `imageSize`), returns a NEW tensor of the same shape, never disposes `x`, and leaves
// no intermediate tensors behind. Per-sample random parameters come from the seeded `rng` (it is
// advanced), so the same seed gives the same views on every backend. Geometric transforms build one
// int32 index table (B·H·W entries, a tight loop) and apply it as a host gather: "pad + index-table
// gather", one read-back and one upload per call.

/** Spatial size of flat [B, H·W] inputs; default: square, H = W = √(H·W). */
export interface ImageSizeOption {
  imageSize?: [number, number];
}

interface Layout {
  b: number;
  h: number;
  w: number;
  c: number;
  shape: number[];
}

function layoutOf(x: tf.Tensor, name: string, imageSize?: [number, number]): Layout {
  if (!(x instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', `${name}: expected a tf.Tensor, got ${typeof x}`);
  if (x.dtype !== 'float32') throw new LabError('DTYPE_MISMATCH', `${name}: expected dtype float32, got ${x.dtype}`);
  const shape = x.shape.slice();
  let b: number,
    h: number,
    w: number,
    c = 1;
  if (x.rank === 4) [b, h, w, c] = shape as [number, number, number, number];
  else if (x.rank === 3) [b, h, w] = shape as [number, number, number];
  else if (x.rank === 2) {
    b = shape[0]!;
    const d = shape[1]!;
    if (imageSize) {
      [h, w] = imageSize;
      if (h * w !== d)
        throw new LabError(
          'SHAPE_MISMATCH',
          `imageSize: expected H·W = ${d} for ${name} of shape [${shape.join(', ')}], got [${h}, ${w}]`,
        );
    } else {
      h = w = Math.round(Math.sqrt(d));
      if (h * w !== d)
        throw new LabError(
          'SHAPE_MISMATCH',
          `${name}: flat images of ${d} pixels are not square; pass imageSize: [H, W]`,
        );
    }
  } else {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: expected a batch of images [B, H, W, C], [B, H, W] or [B, H·W], got shape [${shape.join(', ')}]`,
    );
  }
  if (b === 0)
    throw new LabError(
      'EMPTY_INPUT',
      `${name}: expected at least 1 image, got an empty batch of shape [${shape.join(', ')}]`,
    );
  return { b, h, w, c, shape };
}

/**
 * Applies a gather table (per output pixel, the flat source pixel or −1 for zero) to x on the host.
 * Measured on the loaded 2-core machine, for 256×784: a host copy (dataSync + loop + upload) took
 * ~16 ms where `tf.gather` on WASM took ~90 ms, so the table is applied in JS.
 */
function applyTable(x: tf.Tensor, lay: Layout, table: Int32Array): tf.Tensor {
  const src = x.dataSync() as Float32Array;
  const out = new Float32Array(src.length);
  const c = lay.c;
  if (c === 1) {
    for (let i = 0; i < table.length; i++) {
      const s = table[i]!;
      out[i] = s < 0 ? 0 : src[s]!;
    }
  } else {
    for (let i = 0; i < table.length; i++) {
      const s = table[i]!;
      if (s >= 0) for (let ch = 0; ch < c; ch++) out[i * c + ch] = src[s * c + ch]!;
    }
  }
  return tf.tensor(out, lay.shape, 'float32');
}

/** Where a coordinate outside [0, n) reads from: `-1` (zero fill), the nearest edge, or a mirror. */
export type PadMode = 'zeros' | 'edge' | 'reflect';

function padIndex(i: number, n: number, mode: PadMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'zeros') return -1;
  if (mode === 'edge') return i < 0 ? 0 : n - 1;
  // reflect without repeating the edge (numpy 'reflect' / torch 'reflect'), period 2(n−1)
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = ((i % period) + period) % period;
  if (m >= n) m = period - m;
  return m;
}

export interface RandomCropOptions extends ImageSizeOption {
  /** Pixels of padding on each side (torchvision `RandomCrop(size, padding)`); the shift is uniform in [−padding, padding]. */
  padding: number;
  /** How padded pixels are filled. Default 'zeros' (torchvision's default fill 0). */
  padMode?: PadMode;
}

/**
 * Random crop with padding (torchvision `RandomCrop(H, padding=p)`), i.e. a random integer shift of
 * each image by (dy, dx) ∈ [−p, p]² with the uncovered border filled by `padMode`. This is the
 * "shift ±2 px" augmentation of the symnce / difficult-examples miniatures (`padding: 2`).
 *
 * @example const view = randomCrop(batch, { padding: 2 }, rng); // batch [B, 784] or [B, 28, 28, 1]
 */
export function randomCrop(x: tf.Tensor, options: RandomCropOptions, rng: Rng): tf.Tensor {
  const { padding, padMode = 'zeros' } = options;
  assertInRange(padding, 'padding', { min: 0, integer: true });
  assertOneOf(padMode, ['zeros', 'edge', 'reflect'], 'padMode');
  const lay = layoutOf(x, 'x', options.imageSize);
  const { b, h, w } = lay;
  const table = new Int32Array(b * h * w);
  const rowMap = new Int32Array(h),
    colMap = new Int32Array(w);
  for (let n = 0; n < b; n++) {
    const dy = rng.int(2 * padding + 1) - padding;
    const dx = rng.int(2 * padding + 1) - padding;
    for (let i = 0; i < h; i++) rowMap[i] = padIndex(i + dy, h, padMode);
    for (let j = 0; j < w; j++) colMap[j] = padIndex(j + dx, w, padMode);
    const base = n * h * w;
    for (let i = 0; i < h; i++) {
      const r = rowMap[i]!;
      const out = base + i * w;
      for (let j = 0; j < w; j++) {
        const c = colMap[j]!;
        table[out + j] = r < 0 || c < 0 ? -1 : base + r * w + c;
      }
    }
  }
  return applyTable(x, lay, table);
}

/** Random integer shift of each image by up to ±`maxShift` pixels, zero-filled: `randomCrop` with `padding = maxShift`. */
export function randomShift(x: tf.Tensor, maxShift: number, rng: Rng, options: ImageSizeOption = {}): tf.Tensor {
  return randomCrop(x, { padding: maxShift, imageSize: options.imageSize }, rng);
}

/**
 * Rotates image n by `k[n]`·90° counter-clockwise (`torch.rot90(img, k, dims=(-2, -1))`); `k` is one
 * number for the whole batch or one per image (any integer; taken mod 4). Images must be square.
 *
 * @example const rotated = rot90(batch, labels); // rotation-prediction targets in {0,1,2,3}
 */
export function rot90(x: tf.Tensor, k: number | ArrayLike<number>, options: ImageSizeOption = {}): tf.Tensor {
  const lay = layoutOf(x, 'x', options.imageSize);
  const { b, h, w } = lay;
  if (h !== w) throw new LabError('SHAPE_MISMATCH', `x: rot90 needs square images, got ${h}×${w}`);
  const ks = typeof k === 'number' ? null : k;
  if (ks && ks.length !== b)
    throw new LabError('SHAPE_MISMATCH', `k: expected ${b} rotations (one per image), got ${ks.length}`);
  const table = new Int32Array(b * h * w);
  for (let n = 0; n < b; n++) {
    const kn = ks ? ks[n]! : (k as number);
    if (!Number.isInteger(kn))
      throw new LabError('INVALID_ARGUMENT', `k: expected integers, got ${kn}${ks ? ` at index ${n}` : ''}`);
    const r = ((kn % 4) + 4) % 4;
    const base = n * h * w;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        // out[i][j] for k = 1, 2, 3 (counter-clockwise): in[j][w−1−i], in[h−1−i][w−1−j], in[h−1−j][i]
        const src =
          r === 0
            ? i * w + j
            : r === 1
              ? j * w + (w - 1 - i)
              : r === 2
                ? (h - 1 - i) * w + (w - 1 - j)
                : (h - 1 - j) * w + i;
        table[base + i * w + j] = base + src;
      }
    }
  }
  return applyTable(x, lay, table);
}

/**
 * Rotates each image by a uniformly drawn multiple of 90° (counter-clockwise) and returns the images
 * with the drawn k ∈ {0, 1, 2, 3} per image (the rotation-prediction labels of RotNet / E-SSL).
 */
export function randomRot90(
  x: tf.Tensor,
  rng: Rng,
  options: ImageSizeOption = {},
): { images: tf.Tensor; k: Int32Array } {
  const lay = layoutOf(x, 'x', options.imageSize);
  const k = new Int32Array(lay.b);
  for (let n = 0; n < lay.b; n++) k[n] = rng.int(4);
  return { images: rot90(x, k, options), k };
}

export interface RandomFlipOptions extends ImageSizeOption {
  /** Probability of a left–right flip per image. Default 0.5. */
  horizontal?: number;
  /** Probability of an up–down flip per image. Default 0. */
  vertical?: number;
}

/**
 * Random horizontal and/or vertical flips, drawn independently per image (torchvision
 * `RandomHorizontalFlip(p)` / `RandomVerticalFlip(p)`). Note that on MNIST flips change the digit's
 * meaning (digits are not mirror-symmetric).
 */
export function randomFlip(x: tf.Tensor, options: RandomFlipOptions, rng: Rng): tf.Tensor {
  const { horizontal = 0.5, vertical = 0 } = options;
  assertInRange(horizontal, 'horizontal', { min: 0, max: 1 });
  assertInRange(vertical, 'vertical', { min: 0, max: 1 });
  const lay = layoutOf(x, 'x', options.imageSize);
  const { b, h, w } = lay;
  const table = new Int32Array(b * h * w);
  for (let n = 0; n < b; n++) {
    const fh = rng.next() < horizontal,
      fv = rng.next() < vertical;
    const base = n * h * w;
    for (let i = 0; i < h; i++) {
      const r = fv ? h - 1 - i : i;
      for (let j = 0; j < w; j++) table[base + i * w + j] = base + r * w + (fh ? w - 1 - j : j);
    }
  }
  return applyTable(x, lay, table);
}

export interface GaussianNoiseOptions {
  /** Clamp the result to [lo, hi] (e.g. [0, 1]); default: no clamp (monosemantic adds unclamped noise). */
  clip?: [number, number];
}

/**
 * Adds i.i.d. Gaussian noise `σ·N(0, 1)` to every pixel, seeded from `rng` (tfjs `randomNormal` with a
 * seed drawn from the stream, so the noise is identical on every backend).
 */
export function gaussianNoise(x: tf.Tensor, std: number, rng: Rng, options: GaussianNoiseOptions = {}): tf.Tensor {
  assertInRange(std, 'std', { min: 0 });
  layoutOf(x, 'x', x.rank === 2 ? [1, x.shape[1]!] : undefined);
  const seed = rng.tfSeed();
  return tf.tidy(() => {
    const noisy = tf.add(x, tf.randomNormal(x.shape, 0, std, 'float32', seed));
    return options.clip ? tf.clipByValue(noisy, options.clip[0], options.clip[1]) : noisy;
  });
}

/**
 * Adds `strength·U[0, 1)` per pixel, seeded — the monosemantic official code's "uniform" input noise,
 * which is deliberately NOT zero-mean. `clip` as in {@link gaussianNoise}.
 */
export function uniformNoise(x: tf.Tensor, strength: number, rng: Rng, options: GaussianNoiseOptions = {}): tf.Tensor {
  assertInRange(strength, 'strength', { min: 0 });
  layoutOf(x, 'x', x.rank === 2 ? [1, x.shape[1]!] : undefined);
  const seed = rng.tfSeed();
  return tf.tidy(() => {
    const noisy = tf.add(x, tf.randomUniform(x.shape, 0, strength, 'float32', seed));
    return options.clip ? tf.clipByValue(noisy, options.clip[0], options.clip[1]) : noisy;
  });
}

export interface RandomResizedCropOptions extends ImageSizeOption {
  /** Range of the crop area as a fraction of the image area. Default [0.08, 1] (torchvision). */
  scale?: [number, number];
  /** Range of the crop aspect ratio w/h, sampled log-uniformly. Default [3/4, 4/3]. */
  ratio?: [number, number];
}

/** torchvision `RandomResizedCrop` defaults: scale [0.08, 1], ratio [3/4, 4/3]. */
export const defaultRandomResizedCropOptions: Readonly<Required<Omit<RandomResizedCropOptions, 'imageSize'>>> = {
  scale: [0.08, 1],
  ratio: [3 / 4, 4 / 3],
};

/**
 * Random resized crop (torchvision `RandomResizedCrop(size, scale, ratio)`): per image, up to 10
 * attempts to draw an area fraction in `scale` and a log-uniform aspect ratio in `ratio` whose box fits,
 * else the central crop at the nearest allowed ratio; the box is resized back to H×W bilinearly with
 * `tf.image.cropAndResize` (corner-aligned sampling: the crop's first and last pixel centres map onto the
 * output's, where torchvision resizes with half-pixel centres and antialiasing — a sub-pixel difference).
 * The difficult-examples fallback uses `scale: [0.6, 1]`.
 */
export function randomResizedCrop(x: tf.Tensor, options: RandomResizedCropOptions, rng: Rng): tf.Tensor {
  const { scale = defaultRandomResizedCropOptions.scale, ratio = defaultRandomResizedCropOptions.ratio } = options;
  if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1)) {
    throw new LabError('OUT_OF_RANGE', `scale: expected 0 < min ≤ max ≤ 1, got [${scale.join(', ')}]`);
  }
  if (!(ratio[0] > 0 && ratio[0] <= ratio[1]))
    throw new LabError('OUT_OF_RANGE', `ratio: expected 0 < min ≤ max, got [${ratio.join(', ')}]`);
  const lay = layoutOf(x, 'x', options.imageSize);
  const { b, h, w, c } = lay;
  const boxes = new Float32Array(b * 4);
  const area = h * w;
  const logR = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let n = 0; n < b; n++) {
    let ch = h,
      cw = w,
      top = 0,
      left = 0,
      found = false;
    for (let attempt = 0; attempt < 10 && !found; attempt++) {
      const target = area * rng.uniform(scale[0], scale[1]);
      const ar = Math.exp(rng.uniform(logR[0]!, logR[1]!));
      const ww = Math.round(Math.sqrt(target * ar)),
        hh = Math.round(Math.sqrt(target / ar));
      if (ww > 0 && hh > 0 && ww <= w && hh <= h) {
        ch = hh;
        cw = ww;
        top = rng.int(h - hh + 1);
        left = rng.int(w - ww + 1);
        found = true;
      }
    }
    if (!found) {
      // torchvision fallback: the whole image cropped centrally to the nearest allowed ratio
      const inRatio = w / h;
      if (inRatio < ratio[0]) {
        cw = w;
        ch = Math.round(w / ratio[0]);
      } else if (inRatio > ratio[1]) {
        ch = h;
        cw = Math.round(h * ratio[1]);
      } else {
        cw = w;
        ch = h;
      }
      top = Math.floor((h - ch) / 2);
      left = Math.floor((w - cw) / 2);
    }
    // cropAndResize samples y1·(H−1) … y2·(H−1): map pixel rows top … top+ch−1 onto the output grid.
    boxes[4 * n] = h > 1 ? top / (h - 1) : 0;
    boxes[4 * n + 1] = w > 1 ? left / (w - 1) : 0;
    boxes[4 * n + 2] = h > 1 ? (top + ch - 1) / (h - 1) : 0;
    boxes[4 * n + 3] = w > 1 ? (left + cw - 1) / (w - 1) : 0;
  }
  return tf.tidy(() => {
    const img = x.reshape([b, h, w, c]) as tf.Tensor4D;
    const boxInd = tf.tensor1d(
      Int32Array.from({ length: b }, (_, i) => i),
      'int32',
    );
    const out = tf.image.cropAndResize(img, tf.tensor2d(boxes, [b, 4]), boxInd, [h, w], 'bilinear');
    return out.reshape(lay.shape);
  });
}

export interface IntensityJitterOptions {
  /** Per-image multiplicative brightness factor drawn from U[lo, hi]; default [0.6, 1.0] (monosemantic miniature). */
  brightness?: [number, number] | null;
  /** Per-image contrast factor from U[lo, hi]: `(x − mean)·c + mean` with the image mean; default null (off). */
  contrast?: [number, number] | null;
  /** Probability that an image is jittered at all (torchvision `RandomApply(p)`). Default 1. */
  p?: number;
  /** Clamp the result to [0, 1], as torchvision's ColorJitter does for float images. Default true. */
  clip?: boolean;
}

/** Intensity-jitter defaults: brightness × U(0.6, 1) as the monosemantic miniature, no contrast jitter, always applied, clamped to [0, 1]. */
export const defaultIntensityJitterOptions: Readonly<IntensityJitterOptions> = {
  brightness: [0.6, 1],
  contrast: null,
  p: 1,
  clip: true,
};

/** Per-image brightness (multiplicative) and contrast jitter of greyscale intensities. */
export function intensityJitter(x: tf.Tensor, options: IntensityJitterOptions, rng: Rng): tf.Tensor {
  const {
    brightness = [0.6, 1],
    contrast = null,
    p = 1,
    clip = true,
  } = { ...defaultIntensityJitterOptions, ...options };
  for (const [name, range] of [
    ['brightness', brightness],
    ['contrast', contrast],
  ] as const) {
    if (range && !(range[0] >= 0 && range[0] <= range[1])) {
      throw new LabError('OUT_OF_RANGE', `${name}: expected 0 ≤ lo ≤ hi, got [${range.join(', ')}]`);
    }
  }
  assertInRange(p, 'p', { min: 0, max: 1 });
  const lay = layoutOf(x, 'x', x.rank === 2 ? [1, x.shape[1]!] : undefined);
  const bright = new Float32Array(lay.b).fill(1),
    contr = new Float32Array(lay.b).fill(1);
  for (let n = 0; n < lay.b; n++) {
    const apply = rng.next() < p;
    const bv = brightness ? rng.uniform(brightness[0], brightness[1]) : 1;
    const cv = contrast ? rng.uniform(contrast[0], contrast[1]) : 1;
    if (apply) {
      bright[n] = bv;
      contr[n] = cv;
    }
  }
  return tf.tidy(() => {
    const flat = x.reshape([lay.b, -1]); // [B, H·W·C]
    let out = tf.mul(flat, tf.tensor2d(bright, [lay.b, 1]));
    if (contrast) {
      const mean = tf.mean(out, 1, true); // [B, 1]
      out = tf.add(tf.mul(tf.sub(out, mean), tf.tensor2d(contr, [lay.b, 1])), mean);
    }
    if (clip) out = tf.clipByValue(out, 0, 1);
    return out.reshape(lay.shape);
  });
}

export interface CutoutOptions extends ImageSizeOption {
  /** Side of the square patch set to zero (DeVries & Taylor 2017); its centre is uniform over the image and it is clipped at the border. */
  size: number;
  /** Probability per image. Default 1. */
  p?: number;
}

/** Cutout: zeroes one random `size × size` square per image (the monosemantic miniature uses 10×10). */
export function cutout(x: tf.Tensor, options: CutoutOptions, rng: Rng): tf.Tensor {
  const { size, p = 1 } = options;
  assertInRange(size, 'size', { min: 0, integer: true });
  assertInRange(p, 'p', { min: 0, max: 1 });
  const lay = layoutOf(x, 'x', options.imageSize);
  const { b, h, w, c } = lay;
  const mask = new Float32Array(b * h * w).fill(1);
  for (let n = 0; n < b; n++) {
    const apply = rng.next() < p;
    const cy = rng.int(h),
      cx = rng.int(w);
    if (!apply || size === 0) continue;
    const y0 = Math.max(0, cy - Math.floor(size / 2)),
      y1 = Math.min(h, cy - Math.floor(size / 2) + size);
    const x0 = Math.max(0, cx - Math.floor(size / 2)),
      x1 = Math.min(w, cx - Math.floor(size / 2) + size);
    for (let i = y0; i < y1; i++) mask.fill(0, n * h * w + i * w + x0, n * h * w + i * w + x1);
  }
  return tf.tidy(() => tf.mul(x.reshape([b, h, w, c]), tf.tensor4d(mask, [b, h, w, 1])).reshape(lay.shape));
}

export interface AugmentOptions extends ImageSizeOption {
  resizedCrop?: Omit<RandomResizedCropOptions, 'imageSize'>;
  /** Random shift of up to ± this many pixels (zero fill). */
  shift?: number;
  /** Random multiples of 90° per image. */
  rotate90?: boolean;
  flip?: Omit<RandomFlipOptions, 'imageSize'>;
  cutout?: Omit<CutoutOptions, 'imageSize'>;
  jitter?: IntensityJitterOptions;
  /** Standard deviation of additive pixel noise. */
  noiseStd?: number;
  /** Clamp the final images to [0, 1]. Default false. */
  clip?: boolean;
}

/**
 * One call for a typical contrastive view pipeline. Stages run in this fixed order, each only when its
 * option is set: randomResizedCrop → randomCrop/shift → rot90 → flips → cutout → intensity jitter →
 * Gaussian noise. Each stage draws from its own stream derived from one draw of `rng`, so switching a
 * stage on or off never changes the draws of the others (paired comparisons rely on this), and two calls
 * with the same `rng` give two different views.
 *
 * @example
 * const opts = { shift: 2 };
 * const v1 = augmentBatch(x, opts, rng), v2 = augmentBatch(x, opts, rng); // two views
 */
export function augmentBatch(x: tf.Tensor, options: AugmentOptions, rng: Rng): tf.Tensor {
  layoutOf(x, 'x', options.imageSize);
  const stageSeed = rng.nextUint32();
  const stage = (name: string) => new Rng(stageSeed).fork(name);
  const size = { imageSize: options.imageSize };
  return tf.tidy(() => {
    let out: tf.Tensor = x;
    if (options.resizedCrop) out = randomResizedCrop(out, { ...options.resizedCrop, ...size }, stage('resizedCrop'));
    if (options.shift !== undefined && options.shift > 0)
      out = randomCrop(out, { padding: options.shift, ...size }, stage('shift'));
    if (options.rotate90) out = randomRot90(out, stage('rotate90'), size).images;
    if (options.flip) out = randomFlip(out, { ...options.flip, ...size }, stage('flip'));
    if (options.cutout) out = cutout(out, { ...options.cutout, ...size }, stage('cutout'));
    if (options.jitter) out = intensityJitter(out, options.jitter, stage('jitter'));
    if (options.noiseStd !== undefined && options.noiseStd > 0)
      out = gaussianNoise(out, options.noiseStd, stage('noise'));
    if (options.clip) out = tf.clipByValue(out, 0, 1);
    return out === x ? x.clone() : out;
  });
}

/**
 * The augmentations as one namespace, in the specs' spelling: `augment.shift(x, maxPx, rng)`,
 * `augment.cropResize(x, { scale }, rng)`, `augment.gaussianNoise(x, σ, rng)`, … (each is also
 * exported by its full name).
 */
export const augment = {
  shift: randomShift,
  crop: randomCrop,
  cropResize: randomResizedCrop,
  rot90,
  randomRot90,
  flip: randomFlip,
  gaussianNoise,
  uniformNoise,
  jitter: intensityJitter,
  cutout,
  batch: augmentBatch,
} as const;
