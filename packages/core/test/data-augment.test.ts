import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LabError,
  Rng,
  augment,
  augmentBatch,
  cutout,
  gaussianNoise,
  initBackend,
  intensityJitter,
  randomCrop,
  randomFlip,
  randomResizedCrop,
  randomRot90,
  randomShift,
  rot90,
  tensorLeak,
  tf,
  uniformNoise,
} from '@lab/core';

/** B distinct images [B, H, W] with value 1 + n·H·W + pixel index (never 0, so zero fill is visible). */
function ramp(b: number, h: number, w: number): Float32Array {
  return Float32Array.from({ length: b * h * w }, (_, i) => 1 + i);
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('randomCrop / randomShift', () => {
  it('padding 0 is the identity', () => {
    const x = tf.tensor3d(ramp(3, 5, 5), [3, 5, 5]);
    const y = randomCrop(x, { padding: 0 }, new Rng(1));
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y]);
  });

  it('each image is its own integer shift within ±p with zero fill', () => {
    const b = 40,
      h = 6,
      w = 7,
      p = 2;
    const data = ramp(b, h, w);
    const x = tf.tensor3d(data, [b, h, w]);
    const y = randomCrop(x, { padding: p }, new Rng(2));
    const out = y.dataSync();
    const seen = new Set<string>();
    for (let n = 0; n < b; n++) {
      let match: string | null = null;
      for (let dy = -p; dy <= p && !match; dy++) {
        for (let dx = -p; dx <= p && !match; dx++) {
          let ok = true;
          for (let i = 0; i < h && ok; i++) {
            for (let j = 0; j < w && ok; j++) {
              const si = i + dy,
                sj = j + dx;
              const want = si < 0 || si >= h || sj < 0 || sj >= w ? 0 : data[n * h * w + si * w + sj]!;
              ok = out[n * h * w + i * w + j] === want;
            }
          }
          if (ok) match = `${dy},${dx}`;
        }
      }
      expect(match).not.toBeNull();
      seen.add(match!);
    }
    expect(seen.size).toBeGreaterThan(10); // the shifts really vary
    tf.dispose([x, y]);
  });

  it("'edge' and 'reflect' padding fill from the image", () => {
    const x = tf.tensor3d(ramp(50, 4, 4), [50, 4, 4]);
    for (const padMode of ['edge', 'reflect'] as const) {
      const y = randomCrop(x, { padding: 3, padMode }, new Rng(3));
      const vals = y.dataSync();
      expect(Math.min(...vals)).toBeGreaterThan(0);
      y.dispose();
    }
    // reflect of a shift by +3 on a 1×4 row [a b c d]: columns 3,4,5,6 → d c b a
    const row = tf.tensor4d([1, 2, 3, 4], [1, 1, 4, 1]);
    let found = false;
    for (let s = 0; s < 200 && !found; s++) {
      const y = randomCrop(row, { padding: 3, padMode: 'reflect' }, new Rng(s));
      if (Array.from(y.dataSync()).join() === '4,3,2,1') found = true;
      y.dispose();
    }
    expect(found).toBe(true);
    tf.dispose([x, row]);
  });

  it('keeps the input shape for flat, 3-D and 4-D batches and is reproducible', () => {
    for (const shape of [
      [4, 784],
      [4, 28, 28],
      [4, 28, 28, 1],
      [4, 28, 28, 3],
    ]) {
      const x = tf.randomUniform(shape, 0, 1, 'float32', 1);
      const a = randomShift(x, 2, new Rng(5));
      const b = randomShift(x, 2, new Rng(5));
      expect(a.shape).toEqual(shape);
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      tf.dispose([x, a, b]);
    }
  });

  it('flat non-square images need imageSize', () => {
    const x = tf.ones([2, 12]);
    expect(() => randomShift(x, 1, new Rng(1))).toThrow(/imageSize/);
    const y = randomShift(x, 1, new Rng(1), { imageSize: [3, 4] });
    expect(y.shape).toEqual([2, 12]);
    expect(() => randomShift(x, 1, new Rng(1), { imageSize: [5, 4] })).toThrow(/imageSize/);
    tf.dispose([x, y]);
  });
});

describe('rot90', () => {
  it('matches torch.rot90 (counter-clockwise)', () => {
    const x = tf.tensor3d([1, 2, 3, 4], [1, 2, 2]);
    const cases: [number, number[]][] = [
      [0, [1, 2, 3, 4]],
      [1, [2, 4, 1, 3]],
      [2, [4, 3, 2, 1]],
      [3, [3, 1, 4, 2]],
      [-1, [3, 1, 4, 2]],
      [5, [2, 4, 1, 3]],
    ];
    for (const [k, want] of cases) {
      const y = rot90(x, k);
      expect(Array.from(y.dataSync())).toEqual(want);
      y.dispose();
    }
    x.dispose();
  });

  it('equals reverse(transpose) per image and per-image k works', () => {
    const x = tf.tensor4d(ramp(4, 5, 5), [4, 5, 5, 1]);
    const y = rot90(x, [0, 1, 2, 3]);
    const ref = tf.tidy(() => {
      const r1 = tf.reverse(tf.transpose(x, [0, 2, 1, 3]), 1); // k = 1 for NHWC (essl spec §8)
      const r2 = tf.reverse(x, [1, 2]);
      const r3 = tf.reverse(tf.transpose(x, [0, 2, 1, 3]), 2);
      return tf.concat([x.slice([0], [1]), r1.slice([1], [1]), r2.slice([2], [1]), r3.slice([3], [1])]);
    });
    expect(Array.from(y.dataSync())).toEqual(Array.from(ref.dataSync()));
    tf.dispose([x, y, ref]);
  });

  it('randomRot90 returns the drawn k, and rotating back restores the images', () => {
    const x = tf.tensor3d(ramp(64, 4, 4), [64, 4, 4]);
    const { images, k } = randomRot90(x, new Rng(7));
    expect(new Set(k).size).toBe(4);
    const back = rot90(
      images,
      Array.from(k, (v) => -v),
    );
    expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, images, back]);
  });

  it('rejects non-square images and bad k', () => {
    const x = tf.ones([2, 3, 4]);
    expect(() => rot90(x, 1)).toThrow(/square/);
    const s = tf.ones([2, 3, 3]);
    expect(() => rot90(s, [1])).toThrow(/k: expected 2/);
    expect(() => rot90(s, 0.5)).toThrow(/k: expected integers/);
    tf.dispose([x, s]);
  });
});

describe('randomFlip', () => {
  it('p = 1 flips every image like tf.reverse; p = 0 is the identity', () => {
    const x = tf.tensor4d(ramp(3, 4, 5), [3, 4, 5, 1]);
    const h = randomFlip(x, { horizontal: 1 }, new Rng(1));
    const v = randomFlip(x, { horizontal: 0, vertical: 1 }, new Rng(1));
    const id = randomFlip(x, { horizontal: 0 }, new Rng(1));
    const [rh, rv] = [tf.reverse(x, 2), tf.reverse(x, 1)];
    expect(Array.from(h.dataSync())).toEqual(Array.from(rh.dataSync()));
    expect(Array.from(v.dataSync())).toEqual(Array.from(rv.dataSync()));
    expect(Array.from(id.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, h, v, id, rh, rv]);
  });
  it('p = 0.5 flips about half the images', () => {
    const x = tf.tensor3d(ramp(400, 1, 2), [400, 1, 2]);
    const y = randomFlip(x, {}, new Rng(2));
    const d = y.dataSync();
    let flipped = 0;
    for (let n = 0; n < 400; n++) if (d[2 * n]! > d[2 * n + 1]!) flipped++;
    expect(flipped).toBeGreaterThan(160);
    expect(flipped).toBeLessThan(240);
    tf.dispose([x, y]);
    expect(() => randomFlip(x, { horizontal: 2 }, new Rng(1))).toThrow(/horizontal/);
  });
});

describe('gaussianNoise, intensityJitter, cutout, randomResizedCrop', () => {
  it('gaussianNoise adds N(0, σ²) reproducibly and clips on request', () => {
    const x = tf.fill([64, 28, 28], 0.5);
    const y = gaussianNoise(x, 0.2, new Rng(1));
    const y2 = gaussianNoise(x, 0.2, new Rng(1));
    const d = Array.from(y.dataSync(), (v) => v - 0.5);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(sd - 0.2)).toBeLessThan(0.01);
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y.dataSync()));
    const c = gaussianNoise(x, 1, new Rng(2), { clip: [0, 1] });
    const cv = c.dataSync();
    expect(Math.min(...cv)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...cv)).toBeLessThanOrEqual(1);
    expect(() => gaussianNoise(x, -1, new Rng(1))).toThrow(/std/);
    tf.dispose([x, y, y2, c]);
  });

  it('uniformNoise adds s·U[0, 1) (not zero-mean), and the augment namespace aliases the functions', () => {
    const x = tf.zeros([32, 28, 28]);
    const y = uniformNoise(x, 0.2, new Rng(1));
    const v = Array.from(y.dataSync());
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThan(0.2);
    expect(v.reduce((a, b) => a + b, 0) / v.length).toBeCloseTo(0.1, 2);
    expect(() => uniformNoise(x, -1, new Rng(1))).toThrow(/strength/);
    expect(augment.shift).toBe(randomShift);
    expect(augment.cropResize).toBe(randomResizedCrop);
    expect(augment.gaussianNoise).toBe(gaussianNoise);
    tf.dispose([x, y]);
  });

  it('intensityJitter scales brightness per image and adjusts contrast about the mean', () => {
    const x = tf.tensor3d(
      Float32Array.from({ length: 2 * 4 }, (_, i) => (i % 4) / 4),
      [2, 2, 2],
    );
    const half = intensityJitter(x, { brightness: [0.5, 0.5] }, new Rng(1));
    const want = Array.from(x.dataSync(), (v) => v * 0.5);
    Array.from(half.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    const flat = intensityJitter(x, { brightness: null, contrast: [0, 0] }, new Rng(1));
    Array.from(flat.dataSync()).forEach((v) => expect(v).toBeCloseTo(0.375, 6)); // every pixel → the image mean
    const off = intensityJitter(x, { brightness: [0.1, 0.2], p: 0 }, new Rng(1));
    expect(Array.from(off.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(() => intensityJitter(x, { brightness: [1, 0.5] }, new Rng(1))).toThrow(/brightness/);
    tf.dispose([x, half, flat, off]);
  });

  it('cutout zeroes one square per image, clipped at the border', () => {
    const x = tf.ones([30, 12, 12, 1]);
    const y = cutout(x, { size: 4 }, new Rng(3));
    const d = y.dataSync();
    for (let n = 0; n < 30; n++) {
      const zeros: [number, number][] = [];
      for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) if (d[n * 144 + i * 12 + j] === 0) zeros.push([i, j]);
      expect(zeros.length).toBeGreaterThan(0);
      expect(zeros.length).toBeLessThanOrEqual(16);
      const rows = new Set(zeros.map((z) => z[0])),
        cols = new Set(zeros.map((z) => z[1]));
      expect(rows.size * cols.size).toBe(zeros.length); // a rectangle
    }
    tf.dispose([x, y]);
  });

  it('randomResizedCrop with scale = ratio = 1 is the identity; otherwise stays in range', () => {
    const x = tf.tensor4d(ramp(3, 8, 8), [3, 8, 8, 1]);
    const id = randomResizedCrop(x, { scale: [1, 1], ratio: [1, 1] }, new Rng(1));
    Array.from(id.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(x.dataSync()[i]!, 3));
    const flat = tf.randomUniform([16, 784], 0, 1, 'float32', 3);
    const y = randomResizedCrop(flat, { scale: [0.6, 1] }, new Rng(2));
    expect(y.shape).toEqual([16, 784]);
    const v = y.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(() => randomResizedCrop(flat, { scale: [0, 1] }, new Rng(1))).toThrow(/scale/);
    expect(() => randomResizedCrop(flat, { ratio: [2, 1] }, new Rng(1))).toThrow(/ratio/);
    tf.dispose([x, id, flat, y]);
  });
});

describe('augmentBatch', () => {
  const opts = {
    shift: 2,
    rotate90: true,
    flip: { horizontal: 0.5 },
    cutout: { size: 6 },
    jitter: { brightness: [0.6, 1] as [number, number] },
    noiseStd: 0.1,
    resizedCrop: { scale: [0.6, 1] as [number, number] },
  };
  it('two calls give two different views; the same seed gives the same views', () => {
    const x = tf.randomUniform([8, 784], 0, 1, 'float32', 5);
    const rngA = new Rng(11),
      rngB = new Rng(11);
    const a1 = augmentBatch(x, opts, rngA),
      a2 = augmentBatch(x, opts, rngA);
    const b1 = augmentBatch(x, opts, rngB);
    expect(Array.from(a1.dataSync())).not.toEqual(Array.from(a2.dataSync()));
    expect(Array.from(b1.dataSync())).toEqual(Array.from(a1.dataSync()));
    tf.dispose([x, a1, a2, b1]);
  });

  it('switching a stage off leaves the other stages draws unchanged', () => {
    const x = tf.randomUniform([8, 28, 28], 0, 1, 'float32', 6);
    const full = augmentBatch(x, { shift: 2, noiseStd: 0.1 }, new Rng(3));
    const shiftOnly = augmentBatch(x, { shift: 2 }, new Rng(3));
    const shiftThenNoise = gaussianNoise(shiftOnly, 0.1, new Rng(new Rng(3).nextUint32()).fork('noise'));
    expect(Array.from(full.dataSync())).toEqual(Array.from(shiftThenNoise.dataSync()));
    tf.dispose([x, full, shiftOnly, shiftThenNoise]);
  });

  it('leaks no tensors (every augmentation)', async () => {
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 1);
    const rng = new Rng(1);
    const leaked = await tensorLeak(() => {
      tf.dispose([
        augmentBatch(x, opts, rng),
        augmentBatch(x, {}, rng),
        randomCrop(x, { padding: 2, padMode: 'reflect' }, rng),
        rot90(x, 1),
        randomRot90(x, rng).images,
        randomFlip(x, { vertical: 0.5 }, rng),
        gaussianNoise(x, 0.1, rng, { clip: [0, 1] }),
        randomResizedCrop(x, {}, rng),
        intensityJitter(x, { contrast: [0.5, 1.5] }, rng),
        cutout(x, { size: 5 }, rng),
      ]);
    });
    expect(leaked).toBe(0);
    x.dispose();
  });

  it('gives identical views on the cpu and wasm backends', async () => {
    const data = Float32Array.from({ length: 6 * 784 }, (_, i) => ((i * 7919) % 1000) / 1000);
    const run = () => {
      const x = tf.tensor2d(data, [6, 784]);
      const y = augmentBatch(x, { shift: 2, rotate90: true, flip: {}, cutout: { size: 8 }, noiseStd: 0.1 }, new Rng(4));
      const out = y.dataSync().slice();
      tf.dispose([x, y]);
      return out;
    };
    const wasm = run();
    await initBackend('cpu');
    const cpu = run();
    await initBackend('wasm');
    let maxDiff = 0;
    for (let i = 0; i < wasm.length; i++) maxDiff = Math.max(maxDiff, Math.abs(wasm[i]! - cpu[i]!));
    expect(maxDiff).toBeLessThan(1e-6);
  });

  it('rejects bad batches with LabError', () => {
    const rng = new Rng(1);
    const r1 = tf.ones([784]);
    const i32 = tf.ones([2, 784], 'int32');
    const empty = tf.zeros([0, 784]);
    expect(() => augmentBatch(r1, { shift: 2 }, rng)).toThrow(/x: expected a batch of images/);
    expect(() => augmentBatch(i32, { shift: 2 }, rng)).toThrow(/float32/);
    expect(() => augmentBatch(empty, { shift: 2 }, rng)).toThrow(LabError);
    expect(() => randomCrop(tf.ones([1, 4, 4]), { padding: -1 }, rng)).toThrow(/padding/);
    tf.dispose([r1, i32, empty]);
  });
});

afterAll(() => undefined);
