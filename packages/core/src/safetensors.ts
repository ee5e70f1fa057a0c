import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { LabError } from './errors.js';
import { writeFileAtomic } from './io.js';

/**
 * safetensors (https://github.com/huggingface/safetensors) reading and writing.
 *
 * Layout: 8 bytes little-endian u64 N, then N bytes of UTF-8 JSON header (an object; may be padded
 * with trailing spaces), then the byte buffer. Each header entry except `__metadata__` is
 * `{ dtype, shape, data_offsets: [begin, end] }`, offsets relative to the buffer start. The reader
 * validates, as the reference implementation does: the header length fits the file and a size limit;
 * the header is a JSON object; dtypes are known; shapes are non-negative integers; each entry's byte
 * size equals prod(shape) · itemsize; sorted by offset the entries tile the buffer exactly (first
 * begins at 0, each begins where the previous ended, the last ends at the end of the file);
 * `__metadata__` maps strings to strings. Anything else raises LabError('MALFORMED_FILE') naming the
 * problem; no read ever goes outside the file.
 */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const ITEM_SIZE: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** The reference implementation's limit on the JSON header (100 MB). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** One tensor as stored: dtype, shape and its raw little-endian bytes (a view into the file). */
export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Uint8Array;
}

export interface DecodedSafetensors {
  /** Tensors in file order (by offset). */
  entries: Record<string, SafetensorsEntry>;
  /** The `__metadata__` string map ({} when absent). */
  metadata: Record<string, string>;
}

export interface DecodeSafetensorsOptions {
  /** Largest JSON header accepted, in bytes (default {@link SAFETENSORS_MAX_HEADER_BYTES}). */
  maxHeaderBytes?: number;
}

function malformed(source: string, problem: string): LabError {
  return new LabError('MALFORMED_FILE', `${source}: malformed safetensors file: ${problem}`);
}

function isDtype(d: unknown): d is SafetensorsDtype {
  return typeof d === 'string' && Object.prototype.hasOwnProperty.call(ITEM_SIZE, d);
}

/**
 * Parses and validates a safetensors buffer without copying tensor data.
 * @param source names the file in error messages
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  options: DecodeSafetensorsOptions = {},
  source = 'safetensors',
): DecodedSafetensors {
  const maxHeaderBytes = options.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER_BYTES;
  if (!(bytes instanceof Uint8Array))
    throw new LabError('INVALID_ARGUMENT', `bytes: expected a Uint8Array, got ${typeof bytes}`);
  if (bytes.length < 8) throw malformed(source, `file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength64 = view.getBigUint64(0, true);
  if (headerLength64 > BigInt(maxHeaderBytes)) {
    throw malformed(source, `header length ${headerLength64} exceeds the limit of ${maxHeaderBytes} bytes`);
  }
  const headerLength = Number(headerLength64);
  if (headerLength < 2) throw malformed(source, `header length ${headerLength} is too small for a JSON object`);
  if (8 + headerLength > bytes.length) {
    throw malformed(
      source,
      `header length ${headerLength} runs past the end of the file (${bytes.length - 8} bytes after the length field)`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw malformed(source, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{'))
    throw malformed(source, `header must start with '{', got ${JSON.stringify(text.slice(0, 1))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    throw malformed(source, `header is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw malformed(source, 'header must be a JSON object');

  const bufferStart = 8 + headerLength;
  const bufferLength = bytes.length - bufferStart;
  const metadata: Record<string, string> = {};
  const parsed: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw malformed(source, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw malformed(source, `__metadata__['${k}'] must be a string, got ${typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw malformed(source, `tensor '${name}': entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (!isDtype(dtype)) throw malformed(source, `tensor '${name}': unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw malformed(
        source,
        `tensor '${name}': shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`,
      );
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
    ) {
      throw malformed(
        source,
        `tensor '${name}': data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw malformed(source, `tensor '${name}': data_offsets [${begin}, ${end}] end before they begin`);
    if (end > bufferLength) {
      throw malformed(
        source,
        `tensor '${name}': data_offsets [${begin}, ${end}] are out of range (buffer is ${bufferLength} bytes)`,
      );
    }
    let elements = 1;
    for (const d of shape as number[]) {
      elements *= d;
      if (!Number.isSafeInteger(elements))
        throw malformed(source, `tensor '${name}': shape ${JSON.stringify(shape)} has too many elements`);
    }
    const expected = elements * ITEM_SIZE[dtype];
    if (end - begin !== expected) {
      throw malformed(
        source,
        `tensor '${name}': ${dtype} shape [${(shape as number[]).join(', ')}] needs ${expected} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    }
    parsed.push({ name, dtype, shape: shape as number[], begin, end });
  }
  parsed.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const p of parsed) {
    if (p.begin < cursor)
      throw malformed(
        source,
        `tensor '${p.name}': data_offsets [${p.begin}, ${p.end}] overlap the previous tensor (ends at ${cursor})`,
      );
    if (p.begin > cursor)
      throw malformed(
        source,
        `tensor '${p.name}': data_offsets [${p.begin}, ${p.end}] leave a gap after byte ${cursor} (offsets must be contiguous)`,
      );
    cursor = p.end;
  }
  if (cursor !== bufferLength)
    throw malformed(source, `tensors cover ${cursor} bytes but the data buffer holds ${bufferLength} (trailing bytes)`);

  const entries: Record<string, SafetensorsEntry> = {};
  for (const p of parsed) {
    entries[p.name] = {
      dtype: p.dtype,
      shape: p.shape,
      data: bytes.subarray(bufferStart + p.begin, bufferStart + p.end),
    };
  }
  return { entries, metadata };
}

/** A tensor to write: a tf.Tensor (float32 → F32, int32 → I32, bool → BOOL) or raw bytes with an explicit dtype. */
export type SafetensorsInput = tf.Tensor | SafetensorsEntry;

/**
 * Serialises tensors to safetensors bytes. Entries are written in name order; the header is padded
 * with spaces to a multiple of 8 bytes (as the reference writer does) so data stays aligned.
 */
export function encodeSafetensors(
  tensors: Readonly<Record<string, SafetensorsInput>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  const metaEntries = Object.entries(metadata);
  for (const [k, v] of metaEntries) {
    if (typeof v !== 'string')
      throw new LabError('INVALID_ARGUMENT', `metadata['${k}']: expected a string, got ${typeof v}`);
  }
  if (metaEntries.length > 0) header.__metadata__ = { ...metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new LabError('INVALID_ARGUMENT', `tensors: the name '__metadata__' is reserved`);
    const entry = toEntry(name, tensors[name]!);
    header[name] = { dtype: entry.dtype, shape: entry.shape, data_offsets: [offset, offset + entry.data.length] };
    chunks.push(entry.data);
    offset += entry.data.length;
  }
  let json = JSON.stringify(header);
  const headerBytesRaw = new TextEncoder().encode(json);
  const padded = Math.ceil(headerBytesRaw.length / 8) * 8;
  json += ' '.repeat(padded - headerBytesRaw.length);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function toEntry(name: string, input: SafetensorsInput): SafetensorsEntry {
  if (input instanceof tf.Tensor) {
    if (input.isDisposed) throw new LabError('INVALID_ARGUMENT', `tensors['${name}']: the tensor is disposed`);
    const values = input.dataSync();
    const shape = [...input.shape];
    switch (input.dtype) {
      case 'float32':
        return { dtype: 'F32', shape, data: littleEndianBytes(Float32Array.from(values as Float32Array)) };
      case 'int32':
        return { dtype: 'I32', shape, data: littleEndianBytes(Int32Array.from(values as Int32Array)) };
      case 'bool':
        return { dtype: 'BOOL', shape, data: Uint8Array.from(values as Uint8Array, (v) => (v ? 1 : 0)) };
      default:
        throw new LabError(
          'DTYPE_MISMATCH',
          `tensors['${name}']: expected a float32, int32 or bool tensor, got ${input.dtype}`,
        );
    }
  }
  const { dtype, shape, data } = input;
  if (!isDtype(dtype))
    throw new LabError(
      'INVALID_ARGUMENT',
      `tensors['${name}'].dtype: expected one of ${Object.keys(ITEM_SIZE).join(', ')}, got '${String(dtype)}'`,
    );
  const elements = shape.reduce((a, b) => a * b, 1);
  if (!(data instanceof Uint8Array) || data.length !== elements * ITEM_SIZE[dtype]) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `tensors['${name}'].data: expected ${elements * ITEM_SIZE[dtype]} bytes for ${dtype} [${shape.join(', ')}], got ${data?.length}`,
    );
  }
  return { dtype, shape: [...shape], data };
}

// Node and every platform tfjs runs on are little-endian, so typed-array bytes are already in file order.
function littleEndianBytes(
  a: Float32Array | Int32Array | Float64Array | Int16Array | Uint16Array | BigInt64Array,
): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** IEEE half-precision bits → float32 value. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** float32 value → IEEE half-precision bits (round to nearest even; overflow → ±Infinity). */
export function float32ToFloat16(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** bfloat16 bits → float32 value (the top 16 bits of a float32). */
export function bfloat16ToFloat32(bits: number): number {
  const u = new Uint32Array([(bits & 0xffff) << 16]);
  return new Float32Array(u.buffer)[0]!;
}

/** float32 value → bfloat16 bits (round to nearest even, NaN kept). */
export function float32ToBfloat16(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Converts a stored entry to a tf.Tensor: F32/F16/BF16/F64 → float32 (F64 rounds), I32/I16/I8/U8 →
 * int32, I64 → int32 (throws when a value does not fit), BOOL → bool.
 */
export function entryToTensor(name: string, entry: SafetensorsEntry): tf.Tensor {
  const { dtype, shape, data } = entry;
  const n = shape.reduce((a, b) => a * b, 1);
  // Copy into an aligned buffer: entries need not start at a multiple of their item size.
  // (Node's Buffer.slice returns a view, so copy explicitly.)
  const copy = new Uint8Array(data.length);
  copy.set(data);
  const aligned = copy.buffer;
  const view = new DataView(aligned);
  switch (dtype) {
    case 'F32':
      return tf.tensor(new Float32Array(aligned, 0, n), shape, 'float32');
    case 'F64':
      return tf.tensor(Float32Array.from(new Float64Array(aligned, 0, n)), shape, 'float32');
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = float16ToFloat32(view.getUint16(2 * i, true));
      return tf.tensor(out, shape, 'float32');
    }
    case 'BF16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = bfloat16ToFloat32(view.getUint16(2 * i, true));
      return tf.tensor(out, shape, 'float32');
    }
    case 'I32':
      return tf.tensor(new Int32Array(aligned, 0, n), shape, 'int32');
    case 'I16':
      return tf.tensor(Int32Array.from(new Int16Array(aligned, 0, n)), shape, 'int32');
    case 'I8':
      return tf.tensor(Int32Array.from(new Int8Array(aligned, 0, n)), shape, 'int32');
    case 'U8':
      return tf.tensor(Int32Array.from(data), shape, 'int32');
    case 'I64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) {
          throw new LabError(
            'OUT_OF_RANGE',
            `tensor '${name}': I64 value ${v} at flat index ${i} does not fit int32 (tfjs has no int64)`,
          );
        }
        out[i] = Number(v);
      }
      return tf.tensor(out, shape, 'int32');
    }
    case 'BOOL':
      return tf.tensor(
        Uint8Array.from(data, (b) => (b ? 1 : 0)),
        shape,
        'bool',
      );
  }
}

export interface LoadedSafetensors {
  /** The tensors, converted for tfjs (see {@link entryToTensor}); the caller owns and disposes them. */
  tensors: Record<string, tf.Tensor>;
  metadata: Record<string, string>;
  /** The dtype each tensor had in the file. */
  dtypes: Record<string, SafetensorsDtype>;
}

/** Parses safetensors bytes into tf tensors (validated first; see {@link decodeSafetensors}). */
export function safetensorsToTensors(
  bytes: Uint8Array,
  options: DecodeSafetensorsOptions = {},
  source = 'safetensors',
): LoadedSafetensors {
  const { entries, metadata } = decodeSafetensors(bytes, options, source);
  const tensors: Record<string, tf.Tensor> = {};
  const dtypes: Record<string, SafetensorsDtype> = {};
  try {
    for (const [name, entry] of Object.entries(entries)) {
      tensors[name] = entryToTensor(name, entry);
      dtypes[name] = entry.dtype;
    }
  } catch (err) {
    for (const t of Object.values(tensors)) t.dispose();
    throw err;
  }
  return { tensors, metadata, dtypes };
}

/** Reads a .safetensors file into tf tensors. Malformed files raise LabError('MALFORMED_FILE'). */
export function loadSafetensors(path: string, options: DecodeSafetensorsOptions = {}): LoadedSafetensors {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new LabError('NOT_FOUND', `path: cannot read safetensors file '${path}' (${(err as Error).message})`, {
      cause: err,
    });
  }
  return safetensorsToTensors(bytes, options, path);
}

/** Writes tensors (and string metadata) to a .safetensors file, atomically. */
export function saveSafetensors(
  path: string,
  tensors: Readonly<Record<string, SafetensorsInput>>,
  metadata: Readonly<Record<string, string>> = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
