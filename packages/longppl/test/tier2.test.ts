import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tensorLeak } from '@lab/core';
import { runTier2Seed, trainTier2Base } from '../src/index.js';
import { tinyTier2 } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('tier 2', () => {
  it('trains the base, fine-tunes a CE and a LongCE copy on the same batches, measures both, frees every model', async () => {
    const stages: string[] = [];
    let base: ReturnType<typeof trainTier2Base> | undefined;
    let result: Awaited<ReturnType<typeof runTier2Seed>> | undefined;
    expect(
      await tensorLeak(async () => {
        base = trainTier2Base(tinyTier2, (s) => stages.push(s));
        result = await runTier2Seed(0, base, tinyTier2, (s) => stages.push(s));
        base.model.dispose();
      }),
    ).toBe(0);
    expect(base!.steps).toBe(2);
    expect(base!.chance).toBeCloseTo(1 / 16);
    expect(result!.steps).toEqual([1, 2]);
    expect(result!.rows.map((r) => r.method)).toEqual(['CE', 'LongCE']);
    for (const arm of ['CE', 'LongCE'] as const) {
      expect(result!.arms[arm].accuracy).toHaveLength(2);
      expect(result!.arms[arm].ppl).toBeGreaterThan(1);
    }
    expect(Object.keys(result!.rows[1]!.metrics)).toEqual(
      expect.arrayContaining(['accuracy', 'ppl', 'accuracy@1', 'accuracy@2', 'upweightedShare', 'meanWeight']),
    );
    expect(stages.some((s) => s.startsWith('LongCE step 2/2'))).toBe(true);
  });
});
