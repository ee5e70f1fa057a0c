import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
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
 * `__metadata__` maps strings to strings. It also refuses duplicate JSON keys (JSON.parse would keep
 * the last silently) and the names `__proto__`, `constructor` and `prototype`, and bounds what a
 * header can make it allocate before allocating it ({@link SAFETENSORS_MAX_HEADER_BYTES},
 * {@link SAFETENSORS_MAX_TENSORS}, each byte range inside the data section, shape products checked
 * against the data section's size). Anything else raises LabError('MALFORMED_FILE') naming the problem
 * (and the limit, with its value, that broke); no read ever goes outside the file. A valid file holding
 * a dtype that safetensors defines but this reader does not decode raises LabError('UNSUPPORTED').
 */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Dtypes the safetensors format defines that this reader validates but does not decode (→ `UNSUPPORTED`). */
export type UnsupportedSafetensorsDtype =
  | 'F8_E4M3'
  | 'F8_E5M2'
  | 'F8_E8M0'
  | 'F8_E4M3FNUZ'
  | 'F8_E5M2FNUZ'
  | 'F6_E2M3'
  | 'F6_E3M2'
  | 'F4'
  | 'U16'
  | 'U32'
  | 'U64'
  | 'C64';

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

/** Bits per element of the dtypes we only validate (sub-byte types pack; a tensor must fill whole bytes). */
const UNSUPPORTED_BITS: Record<UnsupportedSafetensorsDtype, number> = {
  F8_E4M3: 8,
  F8_E5M2: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  F6_E2M3: 6,
  F6_E3M2: 6,
  F4: 4,
  U16: 16,
  U32: 32,
  U64: 64,
  C64: 64,
};

/** The reference implementation's limit on the JSON header (100 MB). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/**
 * Default limit on the tensors one header may declare (and on the keys of `__metadata__` and of a
 * sharded index's `weight_map`): 100,000, far above any released checkpoint (a 671B-parameter model
 * has about 92,000 tensors across all its shards). A header over it is refused while it is being
 * parsed, before the entries are held.
 */
export const SAFETENSORS_MAX_TENSORS = 100_000;

/** Deepest JSON nesting accepted in a header or an index (a header needs 3). */
const MAX_JSON_DEPTH = 32;

/** JSON keys refused everywhere: they are prototype names in JavaScript objects. */
const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** One tensor as stored: dtype, shape and its raw little-endian bytes (a view into the file). */
export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Uint8Array;
}

export interface DecodedSafetensors {
  /** Tensors in file order (by offset), in a null-prototype object. */
  entries: Record<string, SafetensorsEntry>;
  /** The `__metadata__` string map ({} when absent), in a null-prototype object. */
  metadata: Record<string, string>;
}

export interface DecodeSafetensorsOptions {
  /** Largest JSON header accepted, in bytes (default {@link SAFETENSORS_MAX_HEADER_BYTES}). */
  maxHeaderBytes?: number;
  /** Most tensors one header may declare (default {@link SAFETENSORS_MAX_TENSORS}). */
  maxTensors?: number;
}

/** A validated header entry: dtype, shape and byte range, relative to the data section and absolute in the file. */
export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDtype | UnsupportedSafetensorsDtype;
  shape: number[];
  /** `data_offsets` as in the header (relative to the data section). */
  begin: number;
  end: number;
  /** Byte offset of the tensor's first byte in the file (8 + header length + begin). */
  fileOffset: number;
}

interface ParsedHeader {
  /** Sorted by offset. */
  tensors: SafetensorsTensorInfo[];
  metadata: Record<string, string>;
}

function malformed(source: string, problem: string): LabError {
  return new LabError('MALFORMED_FILE', `${source}: malformed safetensors file: ${problem}`);
}

function isDtype(d: unknown): d is SafetensorsDtype {
  return typeof d === 'string' && Object.prototype.hasOwnProperty.call(ITEM_SIZE, d);
}

function isUnsupportedDtype(d: unknown): d is UnsupportedSafetensorsDtype {
  return typeof d === 'string' && Object.prototype.hasOwnProperty.call(UNSUPPORTED_BITS, d);
}

function checkLimit(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new LabError('INVALID_ARGUMENT', `${name}: expected a positive integer, got ${String(value)}`);
  return value;
}

/**
 * Strict JSON (RFC 8259) parser for headers and indexes: objects become null-prototype objects;
 * duplicate keys, the {@link RESERVED_NAMES}, nesting deeper than {@link MAX_JSON_DEPTH} and objects
 * with more than `maxKeys(depth)` keys (depth 0: the top-level object) are refused as soon as they are
 * met, so a hostile header cannot make the parser hold more than that many entries of any object.
 */
function parseStrictJson(
  text: string,
  fail: (problem: string) => LabError,
  maxKeys: (depth: number) => number,
  tooManyKeys: (limit: number, at: number, depth: number) => LabError,
): unknown {
  const n = text.length;
  const numberToken = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  let i = 0;
  const skipSpace = (): void => {
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return;
    }
  };
  const expectChar = (ch: string): void => {
    skipSpace();
    if (text[i] !== ch)
      throw fail(`header is not valid JSON (expected '${ch}' at character ${i}, got ${describeAt(i)})`);
    i++;
  };
  /** After an opening bracket: consumes `close` when the container is empty. */
  const closes = (close: string): boolean => {
    skipSpace();
    if (text[i] !== close) return false;
    i++;
    return true;
  };
  /** After a member: true (and `close` consumed) at the end, false (and the comma consumed) before another. */
  const endsList = (close: string): boolean => {
    skipSpace();
    if (text[i] === ',') {
      i++;
      return false;
    }
    expectChar(close);
    return true;
  };
  const describeAt = (at: number): string => (at < n ? JSON.stringify(text[at]) : 'the end');
  const parseString = (): string => {
    const start = i++;
    let escaped = false;
    for (;;) {
      if (i >= n) throw fail(`header is not valid JSON (unterminated string from character ${start})`);
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c < 32) throw fail(`header is not valid JSON (control character in the string at character ${i})`);
      i++;
    }
    i++;
    if (!escaped) return text.slice(start + 1, i - 1);
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      throw fail(`header is not valid JSON (bad escape in the string at character ${start})`);
    }
  };
  const parseValue = (depth: number): unknown => {
    if (depth > MAX_JSON_DEPTH) throw fail(`header nests deeper than ${MAX_JSON_DEPTH} levels (at character ${i})`);
    skipSpace();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = Object.create(null) as Record<string, unknown>;
      if (closes('}')) return obj;
      for (let count = 1; ; count++) {
        skipSpace();
        const at = i;
        if (text[i] !== '"')
          throw fail(`header is not valid JSON (expected a string key at character ${i}, got ${describeAt(i)})`);
        const key = parseString();
        if (count > maxKeys(depth)) throw tooManyKeys(maxKeys(depth), at, depth);
        if (RESERVED_NAMES.has(key))
          throw fail(`key ${JSON.stringify(key)} at character ${at} is a reserved name (refused)`);
        if (key in obj) throw fail(`duplicate key ${JSON.stringify(key)} at character ${at}`);
        expectChar(':');
        obj[key] = parseValue(depth + 1);
        if (endsList('}')) return obj;
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      if (closes(']')) return arr;
      do arr.push(parseValue(depth + 1));
      while (!endsList(']'));
      return arr;
    }
    if (c === '"') return parseString();
    if (c === 't' && text.startsWith('true', i)) return ((i += 4), true);
    if (c === 'f' && text.startsWith('false', i)) return ((i += 5), false);
    if (c === 'n' && text.startsWith('null', i)) return ((i += 4), null);
    numberToken.lastIndex = i;
    if (!numberToken.test(text)) throw fail(`header is not valid JSON (unexpected ${describeAt(i)} at character ${i})`);
    const start = i;
    i = numberToken.lastIndex;
    return Number(text.slice(start, i));
  };
  const value = parseValue(0);
  skipSpace();
  if (i < n) throw fail(`header is not valid JSON (unexpected ${describeAt(i)} at character ${i} after the value)`);
  return value;
}

/** Checks the 8-byte length field against the limit and the file size; returns the header length. */
function checkHeaderLength(lengthField: bigint, fileSize: number, maxHeaderBytes: number, source: string): number {
  if (lengthField > BigInt(maxHeaderBytes)) {
    throw malformed(
      source,
      `header length ${lengthField} exceeds the limit of ${maxHeaderBytes} bytes (maxHeaderBytes)`,
    );
  }
  const headerLength = Number(lengthField);
  if (headerLength < 2) throw malformed(source, `header length ${headerLength} is too small for a JSON object`);
  if (8 + headerLength > fileSize) {
    throw malformed(
      source,
      `header length ${headerLength} runs past the end of the file (${fileSize - 8} bytes after the length field)`,
    );
  }
  return headerLength;
}

/** Parses and validates the JSON header bytes against a data section of `bufferLength` bytes. */
function parseHeader(headerBytes: Uint8Array, bufferLength: number, maxTensors: number, source: string): ParsedHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw malformed(source, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{'))
    throw malformed(source, `header must start with '{', got ${JSON.stringify(text.slice(0, 1))}`);
  const header = parseStrictJson(
    text,
    (problem) => malformed(source, problem),
    // The tensors plus `__metadata__`; below the top level (entries, `__metadata__`) as many keys as tensors.
    (depth) => (depth === 0 ? maxTensors + 1 : Math.max(maxTensors, 8)),
    (limit, at, depth) =>
      malformed(
        source,
        depth === 0
          ? `header declares more than ${maxTensors} tensors (limit maxTensors = ${maxTensors}; entry ${limit + 1} starts at character ${at})`
          : `an object in the header (__metadata__ or an entry) holds more than ${limit} keys (limit max(maxTensors, 8) = ${limit}; key ${limit + 1} starts at character ${at})`,
      ),
  ) as Record<string, unknown>;
  const dataStart = 8 + headerBytes.length;
  const metadata = Object.create(null) as Record<string, string>;
  const tensors: SafetensorsTensorInfo[] = [];
  for (const name of Object.keys(header)) {
    const value = header[name];
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw malformed(source, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw malformed(source, `__metadata__['${k}'] must be a string, got ${typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    if (tensors.length >= maxTensors)
      throw malformed(source, `header declares more than ${maxTensors} tensors (limit maxTensors = ${maxTensors})`);
    tensors.push(parseEntry(name, value, bufferLength, dataStart, source));
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const p of tensors) {
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
  return { tensors, metadata };
}

/** Validates one header entry: dtype, shape (product bounded by the data section) and byte range. */
function parseEntry(
  name: string,
  value: unknown,
  bufferLength: number,
  dataStart: number,
  source: string,
): SafetensorsTensorInfo {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw malformed(source, `tensor '${name}': entry must be an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  const bits = isDtype(dtype) ? 8 * ITEM_SIZE[dtype] : isUnsupportedDtype(dtype) ? UNSUPPORTED_BITS[dtype] : 0;
  if (!bits) throw malformed(source, `tensor '${name}': unknown dtype ${JSON.stringify(dtype)}`);
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
  // prod(shape)·bits without overflow: every partial product must stay a safe integer.
  let elements = (shape as number[]).includes(0) ? 0 : 1;
  for (const d of shape as number[]) {
    elements *= d;
    if (elements > Number.MAX_SAFE_INTEGER / bits)
      throw malformed(
        source,
        `tensor '${name}': ${String(dtype)} shape [${(shape as number[]).join(', ')}] has too many elements (its byte size exceeds 2^53; data_offsets [${begin}, ${end}] hold ${end - begin})`,
      );
  }
  if ((elements * bits) % 8 !== 0)
    throw malformed(
      source,
      `tensor '${name}': ${String(dtype)} shape [${(shape as number[]).join(', ')}] holds ${elements * bits} bits, not a whole number of bytes`,
    );
  const expected = (elements * bits) / 8;
  if (end - begin !== expected) {
    throw malformed(
      source,
      `tensor '${name}': ${String(dtype)} shape [${(shape as number[]).join(', ')}] needs ${expected} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`,
    );
  }
  return {
    name,
    dtype: dtype as SafetensorsDtype | UnsupportedSafetensorsDtype,
    shape: shape as number[],
    begin,
    end,
    fileOffset: dataStart + begin,
  };
}

function unsupported(source: string, info: SafetensorsTensorInfo): LabError {
  return new LabError(
    'UNSUPPORTED',
    `${source}: tensor '${info.name}': dtype ${info.dtype} is valid safetensors but not decoded here (expected one of ${Object.keys(ITEM_SIZE).join(', ')}, got ${info.dtype}); convert it, e.g. to F16 or F32, before loading`,
  );
}

/** Throws `UNSUPPORTED` for the first tensor whose dtype we do not decode (the header is already valid). */
function assertDecodable(tensors: readonly SafetensorsTensorInfo[], source: string): void {
  const bad = tensors.find((t) => !isDtype(t.dtype));
  if (bad) throw unsupported(source, bad);
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
  const maxHeaderBytes = checkLimit(options.maxHeaderBytes, 'maxHeaderBytes', SAFETENSORS_MAX_HEADER_BYTES);
  const maxTensors = checkLimit(options.maxTensors, 'maxTensors', SAFETENSORS_MAX_TENSORS);
  if (!(bytes instanceof Uint8Array))
    throw new LabError('INVALID_ARGUMENT', `bytes: expected a Uint8Array, got ${typeof bytes}`);
  if (bytes.length < 8) throw malformed(source, `file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = checkHeaderLength(view.getBigUint64(0, true), bytes.length, maxHeaderBytes, source);
  const bufferStart = 8 + headerLength;
  const { tensors, metadata } = parseHeader(
    bytes.subarray(8, bufferStart),
    bytes.length - bufferStart,
    maxTensors,
    source,
  );
  assertDecodable(tensors, source);
  const entries = Object.create(null) as Record<string, SafetensorsEntry>;
  for (const p of tensors) {
    entries[p.name] = {
      dtype: p.dtype as SafetensorsDtype,
      shape: p.shape,
      data: bytes.subarray(p.fileOffset, bufferStart + p.end),
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
  return toTensor(name, entry, false);
}

/** {@link entryToTensor}; `owned`: `entry.data` is a fresh buffer of its own that the tensor may keep. */
function toTensor(name: string, entry: SafetensorsEntry, owned: boolean): tf.Tensor {
  const { dtype, shape, data } = entry;
  const n = shape.reduce((a, b) => a * b, 1);
  // Copy into an aligned buffer: entries need not start at a multiple of their item size.
  // (Node's Buffer.slice returns a view, so copy explicitly.) A buffer read for this tensor alone is used as is.
  const whole = owned && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  const aligned = whole ? (data.buffer as ArrayBuffer) : Uint8Array.from(data).buffer;
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
    default:
      throw new LabError(
        'UNSUPPORTED',
        `tensor '${name}': expected a dtype of ${Object.keys(ITEM_SIZE).join(', ')}, got ${String(dtype)}`,
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

/** Converts validated entries to tensors; on any failure the tensors made so far are disposed. */
function entriesToTensors(
  names: readonly string[],
  read: (name: string) => { entry: SafetensorsEntry; owned: boolean },
): Pick<LoadedSafetensors, 'tensors' | 'dtypes'> {
  const tensors = Object.create(null) as Record<string, tf.Tensor>;
  const dtypes = Object.create(null) as Record<string, SafetensorsDtype>;
  try {
    for (const name of names) {
      const { entry, owned } = read(name);
      tensors[name] = toTensor(name, entry, owned);
      dtypes[name] = entry.dtype;
    }
  } catch (err) {
    for (const t of Object.values(tensors)) t.dispose();
    throw err;
  }
  return { tensors, dtypes };
}

/** Parses safetensors bytes into tf tensors (validated first; see {@link decodeSafetensors}). */
export function safetensorsToTensors(
  bytes: Uint8Array,
  options: DecodeSafetensorsOptions = {},
  source = 'safetensors',
): LoadedSafetensors {
  const { entries, metadata } = decodeSafetensors(bytes, options, source);
  return { ...entriesToTensors(Object.keys(entries), (name) => ({ entry: entries[name]!, owned: false })), metadata };
}

/** Largest single read (libuv reads at most 2³¹ − 1 bytes per call). */
const READ_CHUNK = 1 << 30;

function openForReading(path: string, what: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LabError(
      code === 'ENOENT' || code === 'ENOTDIR' ? 'NOT_FOUND' : 'IO_ERROR',
      `path: cannot read ${what} '${path}' (${(err as Error).message})`,
      { cause: err },
    );
  }
}

/**
 * An open safetensors file whose header has been read and validated; tensors are read one at a time,
 * by offset, from the file descriptor, so files of any size (over 2 GiB included) open with memory
 * proportional to the header and read with memory proportional to one tensor. Close it when done
 * ({@link loadSafetensors} does this for you).
 *
 * @example
 * const file = openSafetensors('model.safetensors');
 * try {
 *   const w = file.readTensor('lm_head.weight'); // only this tensor's bytes are read
 * } finally {
 *   file.close();
 * }
 */
export class SafetensorsFile {
  /** The `__metadata__` string map ({} when absent), in a null-prototype object. */
  readonly metadata: Record<string, string>;
  /** Tensor names in file order (by offset). */
  readonly names: readonly string[];
  /** The file's size in bytes. */
  readonly size: number;
  private readonly infos: Map<string, SafetensorsTensorInfo>;
  private fd: number | null;

  /** Opens `path` and validates its header (see {@link decodeSafetensors}); prefer {@link openSafetensors}. */
  constructor(
    readonly path: string,
    options: DecodeSafetensorsOptions = {},
  ) {
    const maxHeaderBytes = checkLimit(options.maxHeaderBytes, 'maxHeaderBytes', SAFETENSORS_MAX_HEADER_BYTES);
    const maxTensors = checkLimit(options.maxTensors, 'maxTensors', SAFETENSORS_MAX_TENSORS);
    this.fd = openForReading(path, 'safetensors file');
    try {
      const stat = fstatSync(this.fd);
      if (!stat.isFile())
        throw new LabError('IO_ERROR', `path: expected a safetensors file, got '${path}', which is not a regular file`);
      this.size = stat.size;
      if (this.size < 8) throw malformed(path, `file is ${this.size} bytes, shorter than the 8-byte header length`);
      const lengthField = new DataView(this.readRange(0, 8).buffer).getBigUint64(0, true);
      const headerLength = checkHeaderLength(lengthField, this.size, maxHeaderBytes, path);
      const header = parseHeader(this.readRange(8, headerLength), this.size - 8 - headerLength, maxTensors, path);
      this.metadata = header.metadata;
      this.infos = new Map(header.tensors.map((t) => [t.name, t]));
      this.names = header.tensors.map((t) => t.name);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** dtype, shape and byte range of tensor `name` (no data is read). */
  info(name: string): SafetensorsTensorInfo {
    const info = this.infos.get(name);
    if (!info)
      throw new LabError(
        'NOT_FOUND',
        `name: expected a tensor of '${this.path}' (${this.names.length} tensors), got '${name}'`,
      );
    return { ...info, shape: [...info.shape] };
  }

  /** Reads tensor `name`'s raw bytes into a fresh buffer; `UNSUPPORTED` when its dtype is one we do not decode. */
  readEntry(name: string): SafetensorsEntry {
    const info = this.info(name);
    if (!isDtype(info.dtype)) throw unsupported(this.path, info);
    return { dtype: info.dtype, shape: info.shape, data: this.readRange(info.fileOffset, info.end - info.begin) };
  }

  /** Reads tensor `name` as a tf.Tensor (see {@link entryToTensor}); the caller owns it. */
  readTensor(name: string): tf.Tensor {
    return toTensor(name, this.readEntry(name), true);
  }

  /** Throws `UNSUPPORTED` for the first tensor whose dtype is one we do not decode. */
  assertDecodable(): void {
    assertDecodable([...this.infos.values()], this.path);
  }

  /** Closes the file descriptor (idempotent). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private readRange(position: number, length: number): Uint8Array {
    if (this.fd === null)
      throw new LabError('INVALID_ARGUMENT', `file: expected an open file, got '${this.path}' closed`);
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      let n: number;
      try {
        n = readSync(this.fd, out, done, Math.min(length - done, READ_CHUNK), position + done);
      } catch (err) {
        throw new LabError(
          'IO_ERROR',
          `path: cannot read '${this.path}' at offset ${position + done} (${(err as Error).message})`,
          {
            cause: err,
          },
        );
      }
      if (n === 0)
        throw new LabError(
          'IO_ERROR',
          `path: expected ${length} bytes at offset ${position} of '${this.path}', the file ended after ${done} (was it truncated while open?)`,
        );
      done += n;
    }
    return out;
  }
}

/** Opens a .safetensors file and validates its header; read tensors with `readTensor` and `close()` it. */
export function openSafetensors(path: string, options: DecodeSafetensorsOptions = {}): SafetensorsFile {
  return new SafetensorsFile(path, options);
}

/**
 * Reads a .safetensors file into tf tensors, one tensor at a time from the file descriptor (no buffer
 * of the whole file, so files over 2 GiB load). Malformed files raise LabError('MALFORMED_FILE'),
 * valid files with a dtype we do not decode LabError('UNSUPPORTED'), before any tensor is read.
 */
export function loadSafetensors(path: string, options: DecodeSafetensorsOptions = {}): LoadedSafetensors {
  const file = openSafetensors(path, options);
  try {
    file.assertDecodable();
    return {
      ...entriesToTensors(file.names, (name) => ({ entry: file.readEntry(name), owned: true })),
      metadata: file.metadata,
    };
  } finally {
    file.close();
  }
}

/** The shards of a sharded checkpoint, resolved and checked by {@link resolveSafetensorsShards}. */
export interface SafetensorsShards {
  /** The index file read. */
  index: string;
  /** Absolute shard paths, each once, in order of first mention in `weight_map`. */
  files: string[];
  /** Tensor name → absolute shard path. */
  weightMap: Map<string, string>;
  /** The index's `metadata` object ({} when absent), in a null-prototype object. */
  metadata: Record<string, unknown>;
}

export interface ResolveSafetensorsShardsOptions {
  /** The index file's name inside the folder (default `model.safetensors.index.json`). */
  index?: string;
  /** Most entries `weight_map` may hold (default {@link SAFETENSORS_MAX_TENSORS}). */
  maxTensors?: number;
  /** Largest index file accepted, in bytes (default {@link SAFETENSORS_MAX_HEADER_BYTES}). */
  maxIndexBytes?: number;
}

/** Whether `path` is `root` itself or lies below it (both absolute and normalised). */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * Reads a sharded checkpoint's `model.safetensors.index.json` in `dir` and resolves its `weight_map`
 * to shard files, refusing any that would read outside the model folder: absolute paths, `..` that
 * climbs out, and symlinks whose target lies outside (the Hugging Face cache layout is allowed: in
 * `models--org--name/snapshots/<rev>/`, files are symlinks into `models--org--name/blobs/`). The
 * index is parsed strictly (duplicate keys and `__proto__`/`constructor`/`prototype` refused, sizes
 * bounded). Errors: `NOT_FOUND` (no index, a missing shard), `MALFORMED_FILE` (bad JSON, a bad
 * `weight_map`, a path outside the folder), each naming the tensor and the path.
 *
 * @example
 * const { files, weightMap } = resolveSafetensorsShards('models/tiny-llama');
 */
export function resolveSafetensorsShards(
  dir: string,
  options: ResolveSafetensorsShardsOptions = {},
): SafetensorsShards {
  const maxTensors = checkLimit(options.maxTensors, 'maxTensors', SAFETENSORS_MAX_TENSORS);
  const maxIndexBytes = checkLimit(options.maxIndexBytes, 'maxIndexBytes', SAFETENSORS_MAX_HEADER_BYTES);
  const indexName = options.index ?? 'model.safetensors.index.json';
  const root = resolve(dir);
  const index = join(root, indexName);
  const bad = (problem: string) => new LabError('MALFORMED_FILE', `${index}: malformed safetensors index: ${problem}`);
  let realRoot: string;
  let size: number;
  try {
    realRoot = realpathSync(root);
    size = statSync(index).size;
  } catch (err) {
    throw new LabError(
      'NOT_FOUND',
      `dir: expected a folder holding '${indexName}', got '${dir}' (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  if (size > maxIndexBytes)
    throw bad(`the file is ${size} bytes, over the limit of ${maxIndexBytes} bytes (maxIndexBytes)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(index));
  } catch (err) {
    throw bad(`not readable as UTF-8 text (${(err as Error).message})`);
  }
  const parsed = parseStrictJson(
    text.trim(),
    bad,
    (depth) => (depth === 0 ? Math.max(maxTensors, 16) : maxTensors),
    (limit, at) =>
      bad(
        `an object holds more than ${limit} keys (limit maxTensors = ${maxTensors}; the next key starts at character ${at})`,
      ),
  );
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('expected a JSON object');
  const { weight_map: map, metadata = Object.create(null) } = parsed as Record<string, unknown>;
  if (map === null || typeof map !== 'object' || Array.isArray(map))
    throw bad(`weight_map: expected an object of tensor name → shard file, got ${JSON.stringify(map) ?? 'nothing'}`);
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
    throw bad(`metadata: expected an object, got ${JSON.stringify(metadata)}`);
  // Symlinks may also resolve into the Hugging Face cache's blobs folder of the same model.
  const hfRepo = dirname(dirname(realRoot));
  const allowed = [realRoot];
  if (basename(dirname(realRoot)) === 'snapshots' && basename(hfRepo).startsWith('models--'))
    allowed.push(join(hfRepo, 'blobs'));
  const weightMap = new Map<string, string>();
  const checked = new Map<string, string>();
  for (const [tensor, file] of Object.entries(map as Record<string, unknown>)) {
    const where = `weight_map['${tensor}']`;
    if (typeof file !== 'string' || file === '' || file.includes('\0'))
      throw bad(`${where}: expected a shard file name, got ${JSON.stringify(file)}`);
    let full = checked.get(file);
    if (full === undefined) {
      if (isAbsolute(file) || /^[A-Za-z]:|^[\\/]/.test(file))
        throw bad(`${where}: expected a file inside '${root}', got the absolute path '${file}'`);
      full = resolve(root, file);
      if (!isInside(root, full))
        throw bad(`${where}: expected a file inside '${root}', got '${file}', which climbs out`);
      let real: string;
      try {
        real = realpathSync(full);
      } catch (err) {
        throw new LabError(
          'NOT_FOUND',
          `${index}: ${where}: shard '${file}' does not exist (${(err as Error).message})`,
          {
            cause: err,
          },
        );
      }
      if (!allowed.some((a) => isInside(a, real)))
        throw bad(`${where}: expected a file inside '${root}', got '${file}', a symlink to '${real}' outside it`);
      checked.set(file, full);
    }
    weightMap.set(tensor, full);
  }
  if (weightMap.size === 0) throw bad('weight_map: expected at least one tensor, got an empty object');
  return { index, files: [...new Set(weightMap.values())], weightMap, metadata: metadata as Record<string, unknown> };
}

/** Writes tensors (and string metadata) to a .safetensors file, atomically. */
export function saveSafetensors(
  path: string,
  tensors: Readonly<Record<string, SafetensorsInput>>,
  metadata: Readonly<Record<string, string>> = {},
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
