import { readFileSync } from 'node:fs';
import { LabError, loadSafetensors, tf } from '@lab/core';

const NPY_DTYPES: Record<string, (buf: ArrayBuffer, offset: number, count: number) => ArrayLike<number>> = {
  '<f4': (b, o, n) => new Float32Array(b, o, n),
  '<f8': (b, o, n) => new Float64Array(b, o, n),
  '<i4': (b, o, n) => new Int32Array(b, o, n),
  '<i8': (b, o, n) => Array.from(new BigInt64Array(b, o, n), Number),
  '|u1': (b, o, n) => new Uint8Array(b, o, n),
};

/**
 * Parses a NumPy `.npy` file (format 1.0–3.0, C order, little-endian f4/f8/i4/i8/u1) holding a 2-D array.
 * @returns a float32 tensor `[n, d]` (the caller disposes it).
 */
export function decodeNpy(bytes: Uint8Array, source = 'npy'): tf.Tensor2D {
  const malformed = (why: string) => new LabError('MALFORMED_FILE', `${source}: not a readable .npy file (${why})`);
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY')
    throw malformed('missing the \\x93NUMPY magic');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw malformed('header runs past the end');
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw malformed('header lacks descr, fortran_order or shape');
  if (fortran === 'True') throw malformed('Fortran order is not supported; save with np.ascontiguousarray');
  const read = NPY_DTYPES[descr];
  if (!read) throw malformed(`dtype '${descr}' is not supported (use float32)`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.length !== 2)
    throw new LabError('SHAPE_MISMATCH', `${source}: expected a 2-D array [n, d], got shape (${shape.join(', ')})`);
  const count = shape[0]! * shape[1]!;
  const offset = start + headerLen;
  const itemSize = Number(descr.slice(2));
  if (offset + count * itemSize > bytes.length) throw malformed('data shorter than the shape says');
  // A copy, aligned for the typed view (a Node Buffer's slice would share its pooled memory).
  const copy = new Uint8Array(count * itemSize);
  copy.set(bytes.subarray(offset, offset + count * itemSize));
  return tf.tensor2d(Float32Array.from(read(copy.buffer, 0, count)), shape as [number, number]);
}

/**
 * Reads a feature matrix from `.npy` or `.safetensors` (the tensor named `key`, or the only one in the file).
 * @returns a float32 tensor `[n, d]` (the caller disposes it).
 */
export function readFeatures(path: string, key?: string): tf.Tensor2D {
  if (path.endsWith('.safetensors')) {
    const { tensors } = loadSafetensors(path);
    const names = Object.keys(tensors);
    const name = key ?? (names.length === 1 ? names[0] : undefined);
    try {
      if (name === undefined || !(name in tensors))
        throw new LabError(
          'NOT_FOUND',
          `key: ${key === undefined ? 'the file holds several tensors, name one' : `no tensor '${key}'`}; the file has ${names.join(', ')}`,
        );
      const t = tensors[name]!;
      if (t.rank !== 2)
        throw new LabError(
          'SHAPE_MISMATCH',
          `${path}: expected a 2-D tensor [n, d], got shape [${t.shape.join(', ')}]`,
        );
      return tf.cast(t, 'float32') as tf.Tensor2D;
    } finally {
      tf.dispose(Object.values(tensors));
    }
  }
  if (!path.endsWith('.npy'))
    throw new LabError('INVALID_ARGUMENT', `features: expected a .npy or .safetensors file, got '${path}'`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new LabError('NOT_FOUND', `features: cannot read '${path}' (${(err as Error).message})`, { cause: err });
  }
  return decodeNpy(bytes, path);
}

/** Reads labels from a JSON array of non-negative integers. */
export function readLabels(path: string): Int32Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LabError('MALFORMED_FILE', `labels: '${path}' is not a JSON array (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (!Array.isArray(parsed) || !parsed.every((v) => Number.isInteger(v) && v >= 0))
    throw new LabError('MALFORMED_FILE', `labels: expected a JSON array of non-negative integers in '${path}'`);
  return Int32Array.from(parsed as number[]);
}
