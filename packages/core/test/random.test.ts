import { describe, expect, it } from 'vitest';
import { Rng } from '@lab/core';

describe('Rng', () => {
  it('gives the same stream for the same seed and different streams otherwise', () => {
    const a = new Rng(42),
      b = new Rng(42),
      c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('draws uniforms in [0, 1) and normals with the right moments', () => {
    const rng = new Rng(1);
    const u = rng.uniformArray(20000);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const z = rng.normalArray(20000);
    const mean = z.reduce((s, v) => s + v, 0) / z.length;
    const variance = z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('permutes every index exactly once', () => {
    const p = Array.from(new Rng(3).permutation(100)).sort((x, y) => x - y);
    expect(p).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('forks independent, position-free streams', () => {
    const a = new Rng(7);
    const f1 = a.fork('aug').next();
    a.next();
    expect(a.fork('aug').next()).toBe(f1);
    expect(a.fork('noise').next()).not.toBe(f1);
  });

  it('rejects bad arguments', () => {
    expect(() => new Rng(Number.NaN)).toThrow(/seed/);
    expect(() => new Rng(1).int(0)).toThrow(/positive integer/);
    expect(() => new Rng(1).sampleWithoutReplacement(3, 4)).toThrow(/k: expected at most/);
  });
});
