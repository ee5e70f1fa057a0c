import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tensorLeak } from '@lab/core';
import { defaultTier2Options } from '../src/index.js';
import { runTier2Seed } from '../src/tier2.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('runTier2Seed', () => {
  it('trains for at most maxSteps, measures every zoo member and frees its model', async () => {
    const tiny = {
      ...defaultTier2Options,
      maxSteps: 2,
      evalDocs: 2,
      hidden: 16,
      heads: 2,
      layers: 1,
      windows: [8, 192],
      lambdas: [0],
    };
    const stages: string[] = [];
    let result: Awaited<ReturnType<typeof runTier2Seed>> | undefined;
    expect(
      await tensorLeak(async () => {
        result = await runTier2Seed(0, tiny, (stage) => stages.push(stage));
      }),
    ).toBe(0);
    expect(result!.summary.steps).toBe(2);
    expect(result!.rows.map((r) => r.method)).toEqual(['W=8,λ=0', 'W=192,λ=0']);
    expect(stages).toContain('evaluating the zoo');
  });
});
