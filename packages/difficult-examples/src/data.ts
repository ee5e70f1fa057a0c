/**
 * Images for the miniature and the CLI: rows of the MNIST digits picked by index, and the CLI's JSON image
 * files (`{ "images": number[][], "labels"?: number[] }`), bounded before anything is allocated.
 */
import { readFileSync, statSync } from 'node:fs';
import { LabError } from '@lab/core';
import { MAX_CLASSES } from './scoring.js';

/** Flattened images `[count·dim]` with optional class ids `[count]`. */
export interface ImageSet {
  x: Float32Array;
  labels: Int32Array | null;
  dim: number;
  count: number;
}

/** What the MNIST loader returns that is used here. */
interface Digits {
  images: Float32Array;
  labels: ArrayLike<number>;
}

/** The MNIST digits at `idx` (in that order): images `[idx.length·784]` and their labels. */
export function mnistRows(mnist: Digits, idx: Int32Array): { x: Float32Array; labels: Int32Array } {
  const x = new Float32Array(idx.length * 784);
  idx.forEach((r, k) => x.set(mnist.images.subarray(r * 784, (r + 1) * 784), k * 784));
  return { x, labels: Int32Array.from(idx, (r) => mnist.labels[r]!) };
}

/** Largest image file read (bytes): the JSON text is held in memory whole. */
export const MAX_IMAGE_FILE_BYTES = 512 * 1024 * 1024;

/**
 * Reads a JSON image file: `images` a non-empty array of equal-length arrays of finite numbers, `labels` (when
 * present) one integer class id in [0, MAX_CLASSES) per image. Every error is a `LabError` naming `flag`, the
 * path and the entry that broke the rule.
 */
export function readImageFile(path: string, flag: string): ImageSet {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (cause) {
    throw new LabError('NOT_FOUND', `${flag}: cannot read '${path}'; expected an existing JSON file`, { cause });
  }
  if (size > MAX_IMAGE_FILE_BYTES)
    throw new LabError(
      'OUT_OF_RANGE',
      `${flag}: '${path}' is ${size} bytes; expected at most ${MAX_IMAGE_FILE_BYTES} bytes of JSON (split the data)`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new LabError('MALFORMED_FILE', `${flag}: cannot read '${path}' as JSON (${(cause as Error).message})`, {
      cause,
    });
  }
  const images = (parsed as { images?: unknown } | null)?.images;
  if (!Array.isArray(images) || images.length === 0 || !Array.isArray(images[0]) || images[0].length === 0)
    throw new LabError(
      'MALFORMED_FILE',
      `${flag}: expected { "images": number[][] } with at least 1 image in '${path}'`,
    );
  const dim = (images[0] as unknown[]).length;
  const count = images.length;
  const x = new Float32Array(count * dim);
  images.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== dim)
      throw new LabError(
        'MALFORMED_FILE',
        `${flag}: images[${i}] in '${path}': expected ${dim} values like images[0], got ${Array.isArray(row) ? row.length : typeof row}`,
      );
    row.forEach((v: unknown, p) => {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new LabError(
          'MALFORMED_FILE',
          `${flag}: images[${i}][${p}] in '${path}': expected a finite number, got ${JSON.stringify(v)}`,
        );
      x[i * dim + p] = v;
    });
  });
  const raw = (parsed as { labels?: unknown }).labels;
  if (raw === undefined) return { x, labels: null, dim, count };
  if (!Array.isArray(raw) || raw.length !== count)
    throw new LabError(
      'MALFORMED_FILE',
      `${flag}: expected "labels" in '${path}' to be an array of ${count} class ids (one per image)`,
    );
  const labels = new Int32Array(count);
  raw.forEach((y: unknown, i) => {
    if (typeof y !== 'number' || !Number.isInteger(y) || y < 0 || y >= MAX_CLASSES)
      throw new LabError(
        'OUT_OF_RANGE',
        `${flag}: labels[${i}] in '${path}': expected an integer class id in [0, ${MAX_CLASSES}), got ${JSON.stringify(y)}`,
      );
    labels[i] = y;
  });
  return { x, labels, dim, count };
}
