import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LabError,
  Rng,
  bfloat16ToFloat32,
  decodeSafetensors,
  encodeSafetensors,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
  initBackend,
  loadSafetensors,
  safetensorsToTensors,
  saveSafetensors,
  tensorLeak,
  tf,
} from '@lab/core';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'lab-st-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a file from a header object and a data buffer, with an optional forced header length. */
function build(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  opts: { rawHeader?: string; lengthOverride?: bigint } = {},
): Uint8Array {
  const json = new TextEncoder().encode(opts.rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

describe('safetensors round trip', () => {
  it('writes and reads F32, I32 and BOOL tensors with metadata', () => {
    const tensors = {
      'layers.0.weight': tf.tensor2d([
        [1.5, -2],
        [3, 4e-8],
      ]),
      ids: tf.tensor1d([1, -7, 2147483647], 'int32'),
      mask: tf.tensor1d([true, false, true], 'bool'),
      empty: tf.zeros([0, 3]),
      scalar: tf.scalar(3.25),
    };
    const path = join(dir, 'a.safetensors');
    saveSafetensors(path, tensors, { format: 'pt', note: 'hi' });
    const loaded = loadSafetensors(path);
    expect(loaded.metadata).toEqual({ format: 'pt', note: 'hi' });
    expect(loaded.dtypes).toEqual({ empty: 'F32', ids: 'I32', 'layers.0.weight': 'F32', mask: 'BOOL', scalar: 'F32' });
    for (const [name, t] of Object.entries(tensors)) {
      const back = loaded.tensors[name]!;
      expect(back.shape).toEqual(t.shape);
      expect(back.dtype).toBe(t.dtype);
      expect(Array.from(back.dataSync())).toEqual(Array.from(t.dataSync()));
    }
    Object.values(loaded.tensors).forEach((t) => t.dispose());
    Object.values(tensors).forEach((t) => t.dispose());
  });

  it('pads the header to 8 bytes and lays the data out contiguously', () => {
    const bytes = encodeSafetensors({
      b: { dtype: 'U8', shape: [3], data: Uint8Array.from([1, 2, 3]) },
      a: { dtype: 'I16', shape: [1], data: Uint8Array.from([1, 0]) },
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.a.data_offsets).toEqual([0, 2]);
    expect(header.b.data_offsets).toEqual([2, 5]);
  });

  it('converts F16, BF16, F64, I64, I16, I8, U8 on load', () => {
    const half = new Uint16Array([
      float32ToFloat16(1),
      float32ToFloat16(-2.5),
      float32ToFloat16(65504),
      float32ToFloat16(6e-8),
      0x7c00,
    ]);
    const bf = new Uint16Array([float32ToBfloat16(1), float32ToBfloat16(-3.140625), float32ToBfloat16(1e30)]);
    const bytes = encodeSafetensors({
      h: { dtype: 'F16', shape: [5], data: new Uint8Array(half.buffer) },
      bf: { dtype: 'BF16', shape: [3], data: new Uint8Array(bf.buffer) },
      d: { dtype: 'F64', shape: [2], data: new Uint8Array(Float64Array.from([0.1, -1e10]).buffer) },
      l: { dtype: 'I64', shape: [2], data: new Uint8Array(BigInt64Array.from([-5n, 2000000000n]).buffer) },
      s: { dtype: 'I16', shape: [2], data: new Uint8Array(Int16Array.from([-300, 7]).buffer) },
      b: { dtype: 'I8', shape: [2], data: new Uint8Array(Int8Array.from([-128, 127]).buffer) },
      u: { dtype: 'U8', shape: [2], data: Uint8Array.from([0, 255]) },
    });
    const { tensors } = safetensorsToTensors(bytes);
    const h = Array.from(tensors.h!.dataSync());
    expect(h.slice(0, 3)).toEqual([1, -2.5, 65504]);
    expect(h[3]).toBeCloseTo(5.96e-8, 9);
    expect(h[4]).toBe(Infinity);
    const bfv = Array.from(tensors.bf!.dataSync());
    expect(bfv[0]).toBe(1);
    expect(bfv[1]).toBe(-3.140625);
    expect(bfv[2]! / 1e30).toBeCloseTo(1, 2);
    expect(tensors.d!.dtype).toBe('float32');
    expect(tensors.d!.dataSync()[0]).toBeCloseTo(0.1, 7);
    expect(Array.from(tensors.l!.dataSync())).toEqual([-5, 2000000000]);
    expect(Array.from(tensors.s!.dataSync())).toEqual([-300, 7]);
    expect(Array.from(tensors.b!.dataSync())).toEqual([-128, 127]);
    expect(Array.from(tensors.u!.dataSync())).toEqual([0, 255]);
    Object.values(tensors).forEach((t) => t.dispose());
    const tooBig = encodeSafetensors({
      l: { dtype: 'I64', shape: [1], data: new Uint8Array(BigInt64Array.from([2n ** 40n]).buffer) },
    });
    expect(() => safetensorsToTensors(tooBig)).toThrow(/does not fit int32/);
  });

  it('half-precision conversions are exact on representable values', () => {
    for (let bits = 0; bits < 0x7c00; bits += 37) expect(float32ToFloat16(float16ToFloat32(bits))).toBe(bits);
    for (const v of [0, 1, -1, 0.5, 3.140625, -1024]) expect(bfloat16ToFloat32(float32ToBfloat16(v))).toBe(v);
    expect(Number.isNaN(float16ToFloat32(0x7e00))).toBe(true);
  });

  it('reads a file produced by the reference writer layout (HF header with padding spaces)', () => {
    // Same bytes the python `safetensors.torch.save_file({"x": torch.tensor([1., 2.])})` produces.
    const header = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    const { entries } = decodeSafetensors(build(null, f32([1, 2]), { rawHeader: padded }));
    expect(entries.x!.shape).toEqual([2]);
  });
});

describe('malformed safetensors corpus', () => {
  const good = {
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
  };
  const data = f32([1, 2, 3]);
  const corpus: [string, Uint8Array, RegExp][] = [
    ['empty file', new Uint8Array(0), /shorter than the 8-byte header length/],
    ['truncated length field', new Uint8Array(5), /shorter than the 8-byte header length/],
    ['header length past the end', build(good, data, { lengthOverride: 10_000n }), /runs past the end of the file/],
    ['huge header length', build(good, data, { lengthOverride: 2n ** 63n }), /exceeds the limit/],
    ['header length too small', build(good, data, { lengthOverride: 1n }), /too small/],
    ['not JSON', build(null, data, { rawHeader: '{"a": nope}' }), /not valid JSON/],
    ['JSON array', build(null, data, { rawHeader: '[1, 2, 3]' }), /must start with '\{'/],
    [
      'invalid UTF-8',
      build(null, data, { rawHeader: '{"\udc00":1}' }).map((b, i) => (i === 10 ? 0xff : b)),
      /UTF-8|JSON/,
    ],
    ['truncated data', build(good, data.subarray(0, 10)), /out of range/],
    ['trailing bytes', build(good, f32([1, 2, 3, 4])), /trailing bytes/],
    [
      'overlapping offsets',
      build(
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
        },
        data.subarray(0, 8),
      ),
      /overlap/,
    ],
    [
      'gap between tensors',
      build(
        {
          a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
        },
        data,
      ),
      /gap|contiguous/,
    ],
    ['not starting at zero', build({ a: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, data), /gap|contiguous/],
    [
      'out-of-range offsets',
      build(
        {
          a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
          b: { dtype: 'F32', shape: [1000], data_offsets: [12, 4012] },
        },
        data,
      ),
      /out of range/,
    ],
    ['end before begin', build({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, data), /end before/],
    [
      'negative offset',
      build({ a: { dtype: 'F32', shape: [3], data_offsets: [-4, 8] } }, data),
      /non-negative integers/,
    ],
    [
      'fractional offset',
      build({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12.5] } }, data),
      /non-negative integers/,
    ],
    ['offsets not a pair', build({ a: { dtype: 'F32', shape: [3], data_offsets: [0] } }, data), /\[begin, end\]/],
    [
      'unknown dtype',
      build({ a: { dtype: 'F8_E4M3', shape: [12], data_offsets: [0, 12] } }, data),
      /unknown dtype "F8_E4M3"/,
    ],
    ['missing dtype', build({ a: { shape: [3], data_offsets: [0, 12] } }, data), /unknown dtype/],
    [
      'shape/byte-size mismatch',
      build({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, data),
      /needs 16 bytes.*hold 12/,
    ],
    [
      'negative dimension',
      build({ a: { dtype: 'F32', shape: [-3], data_offsets: [0, 12] } }, data),
      /non-negative integers/,
    ],
    ['shape not a list', build({ a: { dtype: 'F32', shape: 3, data_offsets: [0, 12] } }, data), /shape must be a list/],
    [
      'overflowing shape',
      build({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 12] } }, data),
      /too many elements|needs/,
    ],
    ['entry not an object', build({ a: 5 }, data), /entry must be an object/],
    ['metadata not strings', build({ ...good, __metadata__: { n: 1 } }, data), /__metadata__\['n'\] must be a string/],
    ['metadata not an object', build({ ...good, __metadata__: 'x' }, data), /__metadata__ must be an object/],
  ];

  it.each(corpus)('%s raises MALFORMED_FILE naming the problem', (_name, bytes, pattern) => {
    let caught: unknown;
    try {
      decodeSafetensors(bytes);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LabError);
    expect((caught as LabError).code).toBe('MALFORMED_FILE');
    expect((caught as LabError).message).toMatch(pattern);
  });

  it('honours a custom header limit and names the file in errors', () => {
    const bytes = build(good, data);
    expect(() => decodeSafetensors(bytes, { maxHeaderBytes: 16 })).toThrow(/exceeds the limit of 16 bytes/);
    const path = join(dir, 'bad.safetensors');
    writeFileSync(path, new Uint8Array(3));
    expect(() => loadSafetensors(path)).toThrow(
      new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: malformed`),
    );
    expect(() => loadSafetensors(join(dir, 'missing.safetensors'))).toThrow(/cannot read/);
  });
});

describe('safetensors fuzzing', () => {
  it('1,200 seeded mutations of valid files either load or raise MALFORMED_FILE, never crash or leak', async () => {
    const rng = new Rng(20261126);
    const base = [
      encodeSafetensors(
        {
          w: tf.tensor2d([
            [1, 2],
            [3, 4],
          ]),
          b: tf.tensor1d([5], 'int32'),
          m: tf.tensor1d([true], 'bool'),
        },
        { format: 'pt' },
      ),
      encodeSafetensors({
        h: { dtype: 'F16', shape: [3], data: new Uint8Array(6) },
        l: { dtype: 'I64', shape: [1], data: new Uint8Array(8) },
      }),
      encodeSafetensors({ e: tf.zeros([0]), s: tf.scalar(1) }),
    ];
    let loaded = 0;
    let rejected = 0;
    const leaked = await tensorLeak(() => {
      for (let i = 0; i < 1200; i++) {
        const src = base[i % base.length]!;
        const bytes = mutate(src, rng);
        try {
          const { tensors } = safetensorsToTensors(bytes);
          Object.values(tensors).forEach((t) => t.dispose());
          loaded++;
        } catch (err) {
          if (!(err instanceof LabError) || !['MALFORMED_FILE', 'OUT_OF_RANGE'].includes(err.code)) {
            throw new Error(`mutation ${i} raised a non-LabError: ${String(err)}`);
          }
          rejected++;
        }
      }
    });
    expect(leaked).toBe(0);
    expect(loaded + rejected).toBe(1200);
    expect(rejected).toBeGreaterThan(300);
    expect(loaded).toBeGreaterThan(50);
  });
});

/** One random corruption: byte flips, truncation, extension, header-length edits or header text edits. */
function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  const bytes = src.slice();
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  switch (rng.int(7)) {
    case 0: {
      // flip random bytes anywhere
      const n = 1 + rng.int(4);
      for (let k = 0; k < n; k++) bytes[rng.int(bytes.length)] = rng.int(256);
      return bytes;
    }
    case 1:
      return bytes.subarray(0, rng.int(bytes.length));
    case 2: {
      const extra = new Uint8Array(bytes.length + 1 + rng.int(16));
      extra.set(bytes);
      return extra;
    }
    case 3: {
      const view = new DataView(bytes.buffer);
      const choices = [0n, 1n, BigInt(headerLength + rng.int(64) - 32), 2n ** 64n - 1n, BigInt(rng.int(2 ** 31))];
      const v = choices[rng.int(choices.length)]!;
      view.setBigUint64(0, v < 0n ? 0n : v, true);
      return bytes;
    }
    case 4: {
      // flip a byte inside the JSON header (keeps framing intact, breaks syntax or values)
      bytes[8 + rng.int(headerLength)] = ' {}[]",:0123456789-eE.xF'.charCodeAt(rng.int(24));
      return bytes;
    }
    case 5: {
      // rewrite a number inside the header (offsets, shapes)
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
      const numbers = [...text.matchAll(/\d+/g)];
      if (numbers.length === 0) return bytes;
      const pick = numbers[rng.int(numbers.length)]!;
      const replacement = String([0, 1, 3, 7, 8, 12, 1e9, 2 ** 53 + 2][rng.int(8)]);
      const edited = text.slice(0, pick.index) + replacement + text.slice(pick.index! + pick[0].length);
      const json = new TextEncoder().encode(edited);
      const out = new Uint8Array(8 + json.length + (bytes.length - 8 - headerLength));
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      out.set(bytes.subarray(8 + headerLength), 8 + json.length);
      return out;
    }
    default: {
      // swap dtype strings
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
      const dtypes = ['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'Q4'];
      const edited = text.replace(/"(F32|F16|BF16|F64|I64|I32|I16|I8|U8|BOOL)"/, `"${dtypes[rng.int(dtypes.length)]}"`);
      const json = new TextEncoder().encode(edited);
      const out = new Uint8Array(8 + json.length + (bytes.length - 8 - headerLength));
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      out.set(bytes.subarray(8 + headerLength), 8 + json.length);
      return out;
    }
  }
}
