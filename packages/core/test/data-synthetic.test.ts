import { beforeAll, describe, expect, it } from 'vitest';
import {
  COLORED_SHAPE_CLASSES,
  Rng,
  coloredShapes,
  gaussianMixture,
  initBackend,
  shuffleRows,
  spirals,
  twoMoons,
} from '@lab/core';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('synthetic generators', () => {
  it('gaussianMixture has the requested counts, means and spread, reproducibly', () => {
    const d = gaussianMixture(
      { numClasses: 3, dim: 4, perClass: [100, 200, 300], std: 0.5, separation: 5 },
      new Rng(1),
    );
    expect(d.n).toBe(600);
    expect(Array.from(d.labels.slice(95, 105))).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    for (let c = 0; c < 3; c++) expect(Math.hypot(...d.means.subarray(4 * c, 4 * c + 4))).toBeCloseTo(5, 5);
    let sq = 0;
    for (let i = 0; i < d.n; i++)
      for (let j = 0; j < 4; j++) sq += (d.x[i * 4 + j]! - d.means[d.labels[i]! * 4 + j]!) ** 2;
    expect(Math.sqrt(sq / (d.n * 4))).toBeCloseTo(0.5, 1);
    const again = gaussianMixture(
      { numClasses: 3, dim: 4, perClass: [100, 200, 300], std: 0.5, separation: 5 },
      new Rng(1),
    );
    expect(Array.from(again.x)).toEqual(Array.from(d.x));
    expect(() => gaussianMixture({ numClasses: 2, dim: 3, perClass: [1] }, new Rng(1))).toThrow(/perClass: expected 2/);
    expect(() => gaussianMixture({ numClasses: 2, dim: 3, perClass: 1, means: [1, 2] }, new Rng(1))).toThrow(/means/);
  });

  it('twoMoons, spirals and shuffleRows', () => {
    const m = twoMoons(101, 0, new Rng(1));
    expect(m.labels.filter((y) => y === 0).length).toBe(51);
    expect(m.x[0]).toBeCloseTo(1, 6); // outer moon starts at (1, 0)
    const s = spirals(3, 50, 0.1, new Rng(2));
    expect(s.n).toBe(150);
    const sh = shuffleRows(s, new Rng(3));
    expect(Array.from(sh.labels).sort()).toEqual(Array.from(s.labels).sort());
    const k = sh.labels.indexOf(2);
    const row = Array.from(sh.x.subarray(2 * k, 2 * k + 2));
    let found = false;
    for (let i = 0; i < s.n && !found; i++)
      found = s.labels[i] === 2 && s.x[2 * i] === row[0] && s.x[2 * i + 1] === row[1];
    expect(found).toBe(true);
  });

  it('coloredShapes: RGB in [0,1], all classes, each shape fills its expected area', () => {
    const d = coloredShapes(400, new Rng(5), { size: 14 });
    expect(d.images.length).toBe(400 * 14 * 14 * 3);
    expect(d.images.reduce((a, b) => Math.min(a, b), Infinity)).toBeGreaterThanOrEqual(0);
    expect(d.images.reduce((a, b) => Math.max(a, b), -Infinity)).toBeLessThanOrEqual(1);
    expect(new Set(d.labels).size).toBe(COLORED_SHAPE_CLASSES.length);
    // With no noise the foreground is the only colour with max channel ≥ 0.7 (background ≤ 0.35), so the
    // filled fraction of the bounding box identifies the shape: π/4, 0.64, 0.4, 0.51, 0.5125.
    const side = 48,
      box = 0.75 * side;
    const clean = coloredShapes(100, new Rng(6), { size: side, scale: [0.75, 0.75], noise: 0 });
    const expected = [Math.PI / 4, 0.64, 0.4, 0.51, 0.5125];
    for (let i = 0; i < clean.n; i++) {
      let fg = 0;
      for (let p = 0; p < side * side; p++) {
        const o = (i * side * side + p) * 3;
        if (Math.max(clean.images[o]!, clean.images[o + 1]!, clean.images[o + 2]!) > 0.5) fg++;
      }
      expect(Math.abs(fg / (box * box) - expected[clean.labels[i]!]!)).toBeLessThan(0.06);
    }
    expect(() => coloredShapes(2, new Rng(1), { scale: [0.5, 2] })).toThrow(/scale/);
  });
});
