import { LabError, assertInRange } from '../errors.js';
import type { Rng } from '../random.js';

// Small seeded synthetic data sets for tests, examples and toy replications. All return row-major
// float32 features `x` [n, dim] plus int32 `labels` [n]; rows come in class order unless `shuffle`.

/** Features plus labels, row-major. */
export interface SyntheticData {
  /** [n, dim] row-major. */
  x: Float32Array;
  /** [n] class ids. */
  labels: Int32Array;
  n: number;
  dim: number;
}

export interface GaussianMixtureOptions {
  numClasses: number;
  dim: number;
  /** Samples per class (a number, or one count per class). */
  perClass: number | readonly number[];
  /** Component standard deviation (isotropic). Default 1. */
  std?: number;
  /**
   * Distance scale of the means: means are drawn N(0, I) then scaled to norm `separation`. Default 3.
   * Pass `means` to fix them instead.
   */
  separation?: number;
  /** Explicit means [numClasses·dim] row-major; overrides `separation`. */
  means?: ArrayLike<number>;
  /** Shuffle rows with the same rng. Default false. */
  shuffle?: boolean;
}

/**
 * Isotropic Gaussian mixture: class c has mean μ_c and covariance std²·I. Returns the means too.
 * @example const { x, labels } = gaussianMixture({ numClasses: 3, dim: 8, perClass: 100 }, new Rng(0));
 */
export function gaussianMixture(options: GaussianMixtureOptions, rng: Rng): SyntheticData & { means: Float32Array } {
  const { numClasses, dim, std = 1, separation = 3, shuffle = false } = options;
  assertInRange(numClasses, 'numClasses', { min: 1, integer: true });
  assertInRange(dim, 'dim', { min: 1, integer: true });
  assertInRange(std, 'std', { min: 0 });
  assertInRange(separation, 'separation', { min: 0 });
  const counts =
    typeof options.perClass === 'number' ? new Array<number>(numClasses).fill(options.perClass) : [...options.perClass];
  if (counts.length !== numClasses)
    throw new LabError('SHAPE_MISMATCH', `perClass: expected ${numClasses} counts, got ${counts.length}`);
  counts.forEach((c, i) => assertInRange(c, `perClass[${i}]`, { min: 0, integer: true }));
  let means: Float32Array;
  if (options.means) {
    if (options.means.length !== numClasses * dim)
      throw new LabError(
        'SHAPE_MISMATCH',
        `means: expected ${numClasses * dim} values (numClasses·dim), got ${options.means.length}`,
      );
    means = Float32Array.from(options.means);
  } else {
    means = new Float32Array(numClasses * dim);
    for (let c = 0; c < numClasses; c++) {
      let norm = 0;
      for (let j = 0; j < dim; j++) {
        const v = rng.normal();
        means[c * dim + j] = v;
        norm += v * v;
      }
      const scale = separation / Math.max(Math.sqrt(norm), 1e-12);
      for (let j = 0; j < dim; j++) means[c * dim + j]! *= scale;
    }
  }
  const n = counts.reduce((a, b) => a + b, 0);
  const x = new Float32Array(n * dim);
  const labels = new Int32Array(n);
  let row = 0;
  for (let c = 0; c < numClasses; c++) {
    for (let k = 0; k < counts[c]!; k++, row++) {
      labels[row] = c;
      for (let j = 0; j < dim; j++) x[row * dim + j] = means[c * dim + j]! + std * rng.normal();
    }
  }
  const data = { x, labels, n, dim, means };
  return shuffle ? { ...shuffleRows(data, rng), means } : data;
}

/** Two interleaved half circles in 2-D (scikit-learn `make_moons`) with Gaussian noise. */
export function twoMoons(n: number, noise: number, rng: Rng): SyntheticData {
  assertInRange(n, 'n', { min: 1, integer: true });
  assertInRange(noise, 'noise', { min: 0 });
  const outer = Math.ceil(n / 2),
    inner = n - outer;
  const x = new Float32Array(2 * n),
    labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const isOuter = i < outer;
    const m = isOuter ? outer : inner;
    const t = Math.PI * (m > 1 ? (isOuter ? i : i - outer) / (m - 1) : 0);
    x[2 * i] = (isOuter ? Math.cos(t) : 1 - Math.cos(t)) + noise * rng.normal();
    x[2 * i + 1] = (isOuter ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * rng.normal();
    labels[i] = isOuter ? 0 : 1;
  }
  return { x, labels, n, dim: 2 };
}

/** K interleaved spiral arms in 2-D (the classic CS231n toy), `perClass` points each, angular noise `noise`. */
export function spirals(numClasses: number, perClass: number, noise: number, rng: Rng): SyntheticData {
  assertInRange(numClasses, 'numClasses', { min: 1, integer: true });
  assertInRange(perClass, 'perClass', { min: 1, integer: true });
  assertInRange(noise, 'noise', { min: 0 });
  const n = numClasses * perClass;
  const x = new Float32Array(2 * n),
    labels = new Int32Array(n);
  for (let c = 0; c < numClasses; c++) {
    for (let k = 0; k < perClass; k++) {
      const i = c * perClass + k;
      const r = perClass > 1 ? k / (perClass - 1) : 0;
      const t = 4 * c + 4 * r + noise * rng.normal();
      x[2 * i] = r * Math.sin(t);
      x[2 * i + 1] = r * Math.cos(t);
      labels[i] = c;
    }
  }
  return { x, labels, n, dim: 2 };
}

/** Shuffles the rows of a data set (features and labels together) with a seeded permutation. */
export function shuffleRows(data: SyntheticData, rng: Rng): SyntheticData {
  const perm = rng.permutation(data.n);
  const x = new Float32Array(data.x.length),
    labels = new Int32Array(data.n);
  for (let k = 0; k < data.n; k++) {
    const i = perm[k]!;
    x.set(data.x.subarray(i * data.dim, (i + 1) * data.dim), k * data.dim);
    labels[k] = data.labels[i]!;
  }
  return { x, labels, n: data.n, dim: data.dim };
}

/** The shape classes of {@link coloredShapes}, in label order. */
export const COLORED_SHAPE_CLASSES = ['circle', 'square', 'triangle', 'plus', 'ell'] as const;

export interface ColoredShapesOptions {
  /** Image side in pixels. Default 28. */
  size?: number;
  /** Shape size range as a fraction of the side (the bounding box). Default [0.4, 0.8]. */
  scale?: [number, number];
  /** Std of per-pixel Gaussian noise added before clamping to [0, 1]. Default 0.02. */
  noise?: number;
}

/**
 * Procedural RGB images of one coloured shape on a darker coloured background — a small stand-in for a
 * colour data set (no RGB image set ships on npm; the essl spec's colour tasks, grayscale and colour
 * inversion, need one). The label is the shape (circle, square, upward triangle, plus, and an "L",
 * whose 90° rotations are distinguishable — the others' are not, or only partly); position, size and
 * both colours are nuisance factors. Images are NHWC `[n, size, size, 3]` in [0, 1], row-major.
 *
 * @example const { images, labels } = coloredShapes(256, new Rng(0)); // tf.tensor4d(images, [256, 28, 28, 3])
 */
export function coloredShapes(
  n: number,
  rng: Rng,
  options: ColoredShapesOptions = {},
): { images: Float32Array; labels: Int32Array; n: number; size: number; channels: 3 } {
  const { size = 28, scale = [0.4, 0.8], noise = 0.02 } = options;
  assertInRange(n, 'n', { min: 0, integer: true });
  assertInRange(size, 'size', { min: 4, integer: true });
  assertInRange(noise, 'noise', { min: 0 });
  if (!(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1))
    throw new LabError('OUT_OF_RANGE', `scale: expected 0 < min ≤ max ≤ 1, got [${scale.join(', ')}]`);
  const images = new Float32Array(n * size * size * 3);
  const labels = new Int32Array(n);
  const hsv = (h: number, s: number, v: number): [number, number, number] => {
    const f = (k: number) => {
      const m = (k + h * 6) % 6;
      return v - v * s * Math.max(0, Math.min(m, 4 - m, 1));
    };
    return [f(5), f(3), f(1)];
  };
  for (let idx = 0; idx < n; idx++) {
    const label = rng.int(COLORED_SHAPE_CLASSES.length);
    labels[idx] = label;
    const side = size * rng.uniform(scale[0], scale[1]);
    const x0 = rng.uniform(0, size - side),
      y0 = rng.uniform(0, size - side);
    const fg = hsv(rng.next(), rng.uniform(0.5, 1), rng.uniform(0.7, 1));
    const bg = hsv(rng.next(), rng.uniform(0, 0.6), rng.uniform(0, 0.35));
    const base = idx * size * size * 3;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        // pixel centre in shape coordinates (u, v) ∈ [0, 1]² over the bounding box; v grows downwards
        const u = (c + 0.5 - x0) / side,
          v = (r + 0.5 - y0) / side;
        let inside = false;
        if (u >= 0 && u <= 1 && v >= 0 && v <= 1) {
          if (label === 0) inside = (u - 0.5) ** 2 + (v - 0.5) ** 2 <= 0.25;
          else if (label === 1) inside = u >= 0.1 && u <= 0.9 && v >= 0.1 && v <= 0.9;
          else if (label === 2) inside = v >= 0.1 && v <= 0.9 && Math.abs(u - 0.5) <= (0.5 * (v - 0.1)) / 0.8;
          else if (label === 3) inside = Math.abs(u - 0.5) <= 0.15 || Math.abs(v - 0.5) <= 0.15;
          else inside = (u <= 0.35 && v >= 0.05) || (v >= 0.7 && u <= 0.95);
        }
        const color = inside ? fg : bg;
        const o = base + (r * size + c) * 3;
        for (let ch = 0; ch < 3; ch++)
          images[o + ch] = Math.min(1, Math.max(0, color[ch]! + (noise > 0 ? noise * rng.normal() : 0)));
      }
    }
  }
  return { images, labels, n, size, channels: 3 };
}
