import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
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
  SAFETENSORS_MAX_TENSORS,
  loadSafetensors,
  openSafetensors,
  resolveSafetensorsShards,
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
    // F8_E4M3 moved to the UNSUPPORTED table below (a valid dtype we do not decode); Q4 is no safetensors dtype.
    ['unknown dtype', build({ a: { dtype: 'Q4', shape: [12], data_offsets: [0, 12] } }, data), /unknown dtype "Q4"/],
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
    // Issue 14.8: duplicate keys (JSON.parse keeps the last silently) and prototype names are refused.
    [
      'duplicate tensor name',
      build(null, data, {
        rawHeader: `{"a":${JSON.stringify(good.a)},"b":${JSON.stringify(good.b)},"a":${JSON.stringify(good.a)}}`,
      }),
      /duplicate key "a"/,
    ],
    [
      'duplicate tensor name spelled with an escape',
      build(null, data, { rawHeader: `{"a":${JSON.stringify(good.a)},"\\u0061":${JSON.stringify(good.b)}}` }),
      /duplicate key "a"/,
    ],
    [
      'duplicate field inside an entry',
      build(null, data, { rawHeader: '{"a":{"dtype":"F32","dtype":"I32","shape":[3],"data_offsets":[0,12]}}' }),
      /duplicate key "dtype"/,
    ],
    [
      'duplicate metadata key',
      build(null, data, {
        rawHeader: `{"__metadata__":{"k":"1","k":"2"},"a":${JSON.stringify({ ...good.a, shape: [3], data_offsets: [0, 12] })}}`,
      }),
      /duplicate key "k"/,
    ],
    ...(['__proto__', 'constructor', 'prototype'] as const).map((name): [string, Uint8Array, RegExp] => [
      `tensor named ${name}`,
      build(null, data, { rawHeader: `{"${name}":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}` }),
      new RegExp(`key "${name}" at character \\d+ is a reserved name`),
    ]),
    [
      'metadata key __proto__',
      build(null, data, {
        rawHeader: '{"__metadata__":{"__proto__":"x"},"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}',
      }),
      /"__proto__".*reserved/,
    ],
    [
      'trailing text after the object',
      build(null, data, { rawHeader: '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}} x' }),
      /after the value/,
    ],
    [
      'deep nesting',
      build(null, data, { rawHeader: `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}` }),
      /deeper than 32 levels/,
    ],
    ['unterminated string', build(null, data, { rawHeader: '{"a' }), /unterminated string/],
    // Issue 15.1: bounds checked before anything is allocated.
    [
      'shape product over 2^53',
      build({ a: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 12] } }, data),
      /too many elements \(its byte size exceeds 2\^53/,
    ],
    [
      'tensor byte range past the data section',
      build({ a: { dtype: 'U8', shape: [2 ** 40], data_offsets: [0, 2 ** 40] } }, data),
      /out of range \(buffer is 12 bytes\)/,
    ],
    [
      'sub-byte dtype that does not fill whole bytes',
      build({ a: { dtype: 'F4', shape: [3], data_offsets: [0, 2] } }, data.subarray(0, 2)),
      /F4 shape \[3\] holds 12 bits, not a whole number of bytes/,
    ],
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
    expect(() => loadSafetensors(join(dir, 'missing.safetensors'))).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND', message: expect.stringMatching(/cannot read/) }),
    );
    expect(() => loadSafetensors(dir)).toThrow(
      expect.objectContaining({ code: 'IO_ERROR', message: expect.stringMatching(/not a regular file/) }),
    );
  });
});

describe('dtypes safetensors defines that we do not decode (issue 14.8)', () => {
  const cases: [string, number[], number][] = [
    ['F8_E4M3', [4], 4],
    ['F8_E5M2', [4], 4],
    ['F8_E8M0', [2, 2], 4],
    ['F8_E4M3FNUZ', [4], 4],
    ['F8_E5M2FNUZ', [4], 4],
    ['F6_E2M3', [4], 3],
    ['F6_E3M2', [4], 3],
    ['F4', [2], 1],
    ['U16', [2], 4],
    ['U32', [1], 4],
    ['U64', [1], 8],
    ['C64', [1], 8],
  ];
  it.each(cases)('%s gets UNSUPPORTED naming the tensor and dtype, not MALFORMED_FILE', (dtype, shape, size) => {
    const bytes = build(
      {
        ok: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        'model.q.weight': { dtype, shape, data_offsets: [4, 4 + size] },
      },
      new Uint8Array(4 + size),
    );
    const path = join(dir, `unsupported-${dtype}.safetensors`);
    writeFileSync(path, bytes);
    for (const load of [
      () => decodeSafetensors(bytes),
      () => safetensorsToTensors(bytes),
      () => loadSafetensors(path),
    ]) {
      let caught: unknown;
      try {
        load();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(LabError);
      expect((caught as LabError).code).toBe('UNSUPPORTED');
      expect((caught as LabError).message).toMatch(
        new RegExp(`tensor 'model\\.q\\.weight': dtype ${dtype} .*got ${dtype}`),
      );
    }
    // Opened lazily, the decodable tensors still read; the other one names itself.
    const file = openSafetensors(path);
    try {
      expect(file.info('model.q.weight')).toMatchObject({ dtype, shape, begin: 4, end: 4 + size });
      const t = file.readTensor('ok');
      expect(Array.from(t.dataSync())).toEqual([0]);
      t.dispose();
      expect(() => file.readEntry('model.q.weight')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    } finally {
      file.close();
    }
  });

  it('an unsupported dtype in a malformed file still reports MALFORMED_FILE', () => {
    const bytes = build({ a: { dtype: 'U16', shape: [3], data_offsets: [0, 4] } }, new Uint8Array(4));
    expect(() => decodeSafetensors(bytes)).toThrow(expect.objectContaining({ code: 'MALFORMED_FILE' }));
  });
});

describe('header limits (issue 15.1)', () => {
  /** A header of n empty F32 tensors, as in the issue (200k of them make a 12 MB header). */
  const emptyTensors = (n: number) => {
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(`"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
    return build(null, new Uint8Array(0), { rawHeader: `{${parts.join(',')}}` });
  };

  it('refuses a 12 MB header of 200k empty tensors while parsing it, naming maxTensors', () => {
    const bytes = emptyTensors(200_000);
    expect(bytes.length).toBeGreaterThan(11_000_000);
    const path = join(dir, 'empty-200k.safetensors');
    writeFileSync(path, bytes);
    const t0 = performance.now();
    let caught: unknown;
    try {
      loadSafetensors(path);
    } catch (err) {
      caught = err;
    }
    const ms = performance.now() - t0;
    expect((caught as LabError).code).toBe('MALFORMED_FILE');
    expect((caught as LabError).message).toMatch(
      new RegExp(`more than ${SAFETENSORS_MAX_TENSORS} tensors \\(limit maxTensors = ${SAFETENSORS_MAX_TENSORS};`),
    );
    expect(ms).toBeLessThan(4000); // about 0.3 s here, 5 s before the limit (loaded 200k tensors)
  });

  it('maxTensors is exact and checked, with or without __metadata__', async () => {
    const five = emptyTensors(5);
    expect(() => decodeSafetensors(five, { maxTensors: 4 })).toThrow(/more than 4 tensors \(limit maxTensors = 4/);
    expect(Object.keys(decodeSafetensors(five, { maxTensors: 5 }).entries)).toHaveLength(5);
    const withMeta = build({ __metadata__: { a: 'b' }, x: { dtype: 'F32', shape: [0], data_offsets: [0, 0] } });
    expect(Object.keys(decodeSafetensors(withMeta, { maxTensors: 1 }).entries)).toEqual(['x']);
    const tooMany = build({
      __metadata__: { a: 'b' },
      x: { dtype: 'F32', shape: [0], data_offsets: [0, 0] },
      y: { dtype: 'F32', shape: [0], data_offsets: [0, 0] },
    });
    expect(() => decodeSafetensors(tooMany, { maxTensors: 1 })).toThrow(/limit maxTensors = 1/);
    for (const bad of [0, -1, 1.5, NaN])
      expect(() => decodeSafetensors(five, { maxTensors: bad })).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringMatching(/^maxTensors: expected a positive integer/),
        }),
      );
    expect(() => decodeSafetensors(five, { maxHeaderBytes: 100 })).toThrow(
      /exceeds the limit of 100 bytes \(maxHeaderBytes\)/,
    );
    const path = join(dir, 'five.safetensors');
    writeFileSync(path, five);
    expect(() => loadSafetensors(path, { maxTensors: 4 })).toThrow(/limit maxTensors = 4/);
    expect(() => openSafetensors(path, { maxHeaderBytes: 100 })).toThrow(/maxHeaderBytes/);
    const leaked = await tensorLeak(() => {
      const { tensors } = loadSafetensors(path);
      expect(Object.keys(tensors)).toHaveLength(5);
      tf.dispose(Object.values(tensors));
    });
    expect(leaked).toBe(0);
  });

  it('stores entries in null-prototype objects', () => {
    const { entries, metadata } = decodeSafetensors(
      build({ __metadata__: { hasOwnProperty: 'x' }, toString: { dtype: 'F32', shape: [0], data_offsets: [0, 0] } }),
    );
    expect(Object.getPrototypeOf(entries)).toBeNull();
    expect(Object.getPrototypeOf(metadata)).toBeNull();
    const name: string = 'toString';
    expect(entries[name]!.shape).toEqual([0]);
    expect(metadata.hasOwnProperty).toBe('x');
  });
});

describe('files over 2 GiB (issue 14.8)', () => {
  it('reads a small tensor placed past 2^31 in a sparse file, by offset', () => {
    const big = 2 ** 31 + 8;
    const header = JSON.stringify({
      __metadata__: { format: 'pt' },
      pad: { dtype: 'U8', shape: [big], data_offsets: [0, big] },
      small: { dtype: 'F32', shape: [2, 2], data_offsets: [big, big + 16] },
    });
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    const head = build(null, new Uint8Array(0), { rawHeader: padded });
    const path = join(dir, 'sparse-over-2gib.safetensors');
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, head, 0, head.length, 0);
      ftruncateSync(fd, head.length + big + 16); // a hole: no disk is used for the 2 GiB of padding
      writeSync(fd, f32([1.5, -2, 3, 2 ** -20]), 0, 16, head.length + big);
    } finally {
      closeSync(fd);
    }
    expect(statSync(path).size).toBeGreaterThan(2 ** 31);
    const file = openSafetensors(path);
    try {
      expect(file.size).toBe(head.length + big + 16);
      expect(file.names).toEqual(['pad', 'small']);
      expect(file.metadata).toEqual({ format: 'pt' });
      expect(file.info('small').fileOffset).toBe(head.length + big);
      expect(file.info('small').fileOffset).toBeGreaterThan(2 ** 31);
      const t = file.readTensor('small');
      expect(t.shape).toEqual([2, 2]);
      expect(Array.from(t.dataSync())).toEqual([1.5, -2, 3, 2 ** -20]);
      t.dispose();
      expect(Array.from(file.readEntry('small').data)).toEqual(Array.from(f32([1.5, -2, 3, 2 ** -20])));
      expect(() => file.info('missing')).toThrow(/name: expected a tensor of .* \(2 tensors\), got 'missing'/);
    } finally {
      file.close();
    }
    expect(() => file.readEntry('small')).toThrow(/closed/);
    rmSync(path);
  });
});

describe('resolveSafetensorsShards (sharded index, issue 14.8)', () => {
  const shard = encodeSafetensors({ x: { dtype: 'U8', shape: [1], data: Uint8Array.from([1]) } });
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'lab-shards-'));
    mkdirSync(join(root, 'model', 'sub'), { recursive: true });
    writeFileSync(join(root, 'model', 'a.safetensors'), shard);
    writeFileSync(join(root, 'model', 'sub', 'b.safetensors'), shard);
    writeFileSync(join(root, 'outside.safetensors'), shard);
    symlinkSync(join(root, 'outside.safetensors'), join(root, 'model', 'escape.safetensors'));
    symlinkSync('a.safetensors', join(root, 'model', 'alias.safetensors'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const model = () => join(root, 'model');
  const writeIndex = (weightMap: unknown, raw?: string) =>
    writeFileSync(
      join(model(), 'model.safetensors.index.json'),
      raw ?? JSON.stringify({ metadata: { total_size: 2 }, weight_map: weightMap }),
    );

  it('resolves shards inside the folder (subfolders and in-folder symlinks included)', () => {
    writeIndex({
      'l.0.w': 'a.safetensors',
      'l.1.w': 'sub/b.safetensors',
      'l.2.w': 'a.safetensors',
      'l.3.w': 'alias.safetensors',
    });
    const r = resolveSafetensorsShards(model());
    expect(r.files).toEqual([
      join(model(), 'a.safetensors'),
      join(model(), 'sub', 'b.safetensors'),
      join(model(), 'alias.safetensors'),
    ]);
    expect(r.weightMap.get('l.2.w')).toBe(join(model(), 'a.safetensors'));
    expect(r.metadata).toEqual({ total_size: 2 });
  });

  it.each([
    ['a parent path', '../outside.safetensors', /climbs out/],
    ['a path that climbs out through a subfolder', 'sub/../../outside.safetensors', /climbs out/],
    ['an absolute path', '/etc/passwd', /absolute path '\/etc\/passwd'/],
    ['a Windows drive path', 'C:\\x.safetensors', /absolute path/],
    ['a symlink out of the folder', 'escape.safetensors', /a symlink to '.*outside\.safetensors' outside it/],
    ['the folder itself', '.', /climbs out|inside/],
    ['an empty name', '', /expected a shard file name/],
    ['a number', 7, /expected a shard file name, got 7/],
  ])('refuses %s', (_, file, pattern) => {
    writeIndex({ 'l.0.w': 'a.safetensors', 'l.1.w': file });
    let caught: unknown;
    try {
      resolveSafetensorsShards(model());
    } catch (err) {
      caught = err;
    }
    expect((caught as LabError).code).toBe('MALFORMED_FILE');
    expect((caught as LabError).message).toMatch(/weight_map\['l\.1\.w'\]/);
    expect((caught as LabError).message).toMatch(pattern);
  });

  it('refuses duplicate keys, prototype names, a missing weight_map and oversized maps', () => {
    const bad = (raw: string, pattern: RegExp, options = {}) => {
      writeIndex(null, raw);
      expect(() => resolveSafetensorsShards(model(), options)).toThrow(pattern);
    };
    bad('{"weight_map":{"w":"a.safetensors","w":"sub/b.safetensors"}}', /duplicate key "w"/);
    bad(
      '{"weight_map":{"w":"a.safetensors"},"weight_map":{"w":"../outside.safetensors"}}',
      /duplicate key "weight_map"/,
    );
    bad('{"weight_map":{"__proto__":"a.safetensors"}}', /"__proto__".*reserved name/);
    bad('{"weight_map":{"constructor":"a.safetensors"}}', /"constructor".*reserved name/);
    bad('{"metadata":{}}', /weight_map: expected an object/);
    bad('{"weight_map":{}}', /expected at least one tensor/);
    bad('{"weight_map":{"a":"a.safetensors","b":"a.safetensors"}}', /more than 1 keys \(limit maxTensors = 1/, {
      maxTensors: 1,
    });
    bad('{"weight_map":{"a":"a.safetensors"}}', /over the limit of 10 bytes \(maxIndexBytes\)/, { maxIndexBytes: 10 });
    bad('{"weight_map": nope}', /not valid JSON/);
  });

  it('reports a missing shard or index as NOT_FOUND', () => {
    writeIndex({ w: 'gone.safetensors' });
    expect(() => resolveSafetensorsShards(model())).toThrow(
      expect.objectContaining({
        code: 'NOT_FOUND',
        message: expect.stringMatching(/weight_map\['w'\]: shard 'gone\.safetensors' does not exist/),
      }),
    );
    expect(() => resolveSafetensorsShards(join(root, 'nowhere'))).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });

  it('accepts the Hugging Face cache layout (snapshot symlinks into the same model’s blobs), nothing wider', () => {
    const repo = join(root, 'hub', 'models--org--tiny');
    const snap = join(repo, 'snapshots', 'abc123');
    mkdirSync(snap, { recursive: true });
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(join(root, 'hub', 'models--org--other', 'blobs'), { recursive: true });
    writeFileSync(join(repo, 'blobs', 'sha1'), shard);
    writeFileSync(join(root, 'hub', 'models--org--other', 'blobs', 'sha2'), shard);
    symlinkSync('../../blobs/sha1', join(snap, 'model-00001-of-00002.safetensors'));
    symlinkSync('../../../models--org--other/blobs/sha2', join(snap, 'model-00002-of-00002.safetensors'));
    writeFileSync(
      join(snap, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors' } }),
    );
    expect(resolveSafetensorsShards(snap).files).toEqual([join(snap, 'model-00001-of-00002.safetensors')]);
    writeFileSync(
      join(snap, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } }),
    );
    expect(() => resolveSafetensorsShards(snap)).toThrow(
      /weight_map\['b'\].*symlink to .*models--org--other.* outside it/,
    );
  });
});

describe('safetensors fuzzing', () => {
  it('1,200 seeded mutations of valid files either load or raise MALFORMED_FILE/UNSUPPORTED, never crash or leak', async () => {
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
        // Every 8th mutation also goes through the file-descriptor reader, which must agree.
        const viaFile = i % 8 === 0 ? join(dir, 'fuzz.safetensors') : null;
        if (viaFile) writeFileSync(viaFile, bytes);
        const outcome = (load: () => { tensors: Record<string, tf.Tensor> }): string => {
          try {
            const { tensors } = load();
            Object.values(tensors).forEach((t) => t.dispose());
            return 'loaded';
          } catch (err) {
            return err instanceof LabError ? err.code : String(err);
          }
        };
        if (viaFile) expect(outcome(() => loadSafetensors(viaFile))).toBe(outcome(() => safetensorsToTensors(bytes)));
        try {
          const { tensors } = safetensorsToTensors(bytes);
          Object.values(tensors).forEach((t) => t.dispose());
          loaded++;
        } catch (err) {
          if (!(err instanceof LabError) || !['MALFORMED_FILE', 'OUT_OF_RANGE', 'UNSUPPORTED'].includes(err.code)) {
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
  switch (rng.int(9)) {
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
      return editHeader(
        bytes,
        headerLength,
        () => text.slice(0, pick.index) + replacement + text.slice(pick.index! + pick[0].length),
      );
    }
    case 6: {
      // swap dtype strings (known, known but not decoded, unknown)
      const dtypes = [
        'F32',
        'F16',
        'BF16',
        'F64',
        'I64',
        'I32',
        'I16',
        'I8',
        'U8',
        'BOOL',
        'Q4',
        'U16',
        'F8_E4M3',
        'F4',
      ];
      return editHeader(bytes, headerLength, (text) =>
        text.replace(/"(F32|F16|BF16|F64|I64|I32|I16|I8|U8|BOOL)"/, `"${dtypes[rng.int(dtypes.length)]}"`),
      );
    }
    case 7:
      // duplicate the first entry (a duplicate key) or rename it to a prototype name
      return editHeader(bytes, headerLength, (text) => {
        const m = /^\{("[^"]+":\{[^}]*\})/.exec(text);
        if (!m) return text;
        return rng.int(2)
          ? `{${m[1]},${text.slice(1)}`
          : text.replace(/^\{"[^"]+"/, `{"${['__proto__', 'constructor'][rng.int(2)]}"`);
      });
    default:
      // scale a dimension up to a huge value (shape products, byte sizes)
      return editHeader(bytes, headerLength, (text) =>
        text.replace(/"shape":\[(\d+)/, `"shape":[${[2 ** 31, 2 ** 40, 2 ** 53, 1e300][rng.int(4)]}`),
      );
  }
}

/** Rewrites the JSON header text and fixes the length field. */
function editHeader(bytes: Uint8Array, headerLength: number, edit: (text: string) => string): Uint8Array {
  const json = new TextEncoder().encode(edit(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))));
  const out = new Uint8Array(8 + json.length + (bytes.length - 8 - headerLength));
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + headerLength), 8 + json.length);
  return out;
}
