import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  flatten,
  gradCheck,
  initBackend,
  maxRelativeError,
  tensorLeak,
  tf,
  writeFileAtomic,
  LabError,
} from '@lab/core';

describe('testing helpers', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('gradCheck passes a correct gradient and fails a wrong one', () => {
    const x = tf.tensor1d([0.5, -1, 2]);
    expect(gradCheck((v) => v.square().sum() as tf.Scalar, [x]).passed).toBe(true);
    // A custom op whose declared gradient is wrong by a factor of 2.
    const wrongSquareSum = (v: tf.Tensor, save: tf.GradSaveFunc) => {
      save([v]);
      return { value: v.square().sum(), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => dy.mul(s!).mul(4) };
    };
    const wrong = tf.customGrad(wrongSquareSum as unknown as Parameters<typeof tf.customGrad>[0]);
    const result = gradCheck((v) => wrong(v) as tf.Scalar, [x]);
    expect(result.passed).toBe(false);
    expect(result.maxError).toBeGreaterThan(0.5);
    x.dispose();
  });

  it('maxRelativeError locates the worst entry', () => {
    expect(maxRelativeError([1, 2, 3.3], [1, 2, 3])).toEqual({ error: expect.closeTo(0.1, 6), index: 2 });
    expect(maxRelativeError([1e-9], [0]).error).toBe(0);
    expect(() => maxRelativeError([1], [1, 2])).toThrow(/lengths differ/);
  });

  it('flatten reads nested golden arrays', () => {
    expect(
      Array.from(
        flatten([
          [1, 2],
          [3, [4]],
        ]),
      ),
    ).toEqual([1, 2, 3, 4]);
    expect(() => flatten([1, 'a'])).toThrow(LabError);
  });

  it('tensorLeak counts tensors left behind', async () => {
    expect(await tensorLeak(() => tf.tidy(() => tf.ones([2]).add(1)).dispose())).toBe(0);
    let kept: tf.Tensor | undefined;
    expect(
      await tensorLeak(() => {
        kept = tf.ones([2]);
      }),
    ).toBe(1);
    kept!.dispose();
  });

  it('writeFileAtomic replaces the file and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-io-'));
    writeFileAtomic(join(dir, 'a', 'x.json'), 'one');
    writeFileAtomic(join(dir, 'a', 'x.json'), 'two');
    expect(readFileSync(join(dir, 'a', 'x.json'), 'utf8')).toBe('two');
    expect(readdirSync(join(dir, 'a'))).toEqual(['x.json']);
    rmSync(dir, { recursive: true });
  });
});
