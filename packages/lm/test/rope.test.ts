import { beforeAll, describe, expect, it } from 'vitest';
import { flatten, initBackend, maxRelativeError, tf } from '@lab/core';
import { applyRope, ropeCosSin, ropeFrequencies } from '../src/rope.js';
import { golden } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('rope (golden)', () => {
  for (const c of golden.rope.cases) {
    it(`matches cos, sin and rotated x at linear factor ${c.linear_factor}`, () => {
      const freqs = ropeFrequencies(
        golden.rope.head_dim,
        golden.rope.base,
        c.linear_factor === 1 ? null : { type: 'linear', factor: c.linear_factor },
      );
      const { cos, sin } = ropeCosSin(c.positions, freqs);
      const x = tf.tensor2d(golden.rope.x);
      const rotated = applyRope(x, cos, sin);
      expect(maxRelativeError(cos.dataSync(), flatten(c.cos), 1e-6).error).toBeLessThan(1e-6);
      expect(maxRelativeError(sin.dataSync(), flatten(c.sin), 1e-6).error).toBeLessThan(1e-6);
      expect(maxRelativeError(rotated.dataSync(), flatten(c.rotated), 1e-6).error).toBeLessThan(1e-5);
      tf.dispose([cos, sin, x, rotated]);
    });
  }

  it('implements the HF llama3, YaRN and dynamic-NTK frequency rules', () => {
    const base = ropeFrequencies(16, 500000).invFreq;
    const l3 = ropeFrequencies(16, 500000, {
      type: 'llama3',
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositionEmbeddings: 8192,
    }).invFreq;
    // High frequencies (short wavelengths) are unchanged; the lowest is divided by the factor.
    expect(l3[0]).toBeCloseTo(base[0]!, 12);
    expect(l3[7]! / base[7]!).toBeCloseTo(1 / 8, 12);
    const yarn = ropeFrequencies(16, 10000, { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 2048 });
    const plain = ropeFrequencies(16, 10000).invFreq;
    expect(yarn.attentionFactor).toBeCloseTo(0.1 * Math.log(4) + 1, 12);
    expect(yarn.invFreq[0]).toBeCloseTo(plain[0]!, 12);
    expect(yarn.invFreq[7]! / plain[7]!).toBeCloseTo(1 / 4, 12);
    // Dynamic NTK: unchanged within the original context, larger base beyond it.
    const dynamic = (seqLen: number) =>
      ropeFrequencies(16, 10000, { type: 'dynamic', factor: 2, originalMaxPositionEmbeddings: 100 }, seqLen).invFreq;
    const dynShort = dynamic(50);
    const dynLong = dynamic(200);
    expect(dynShort[3]).toBeCloseTo(plain[3]!, 12);
    const expectedBase = 10000 * ((2 * 200) / 100 - 1) ** (16 / 14);
    expect(dynLong[3]).toBeCloseTo(1 / expectedBase ** (6 / 16), 12);
  });
});
