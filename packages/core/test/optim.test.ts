import { beforeAll, describe, expect, it } from 'vitest';
import {
  Adam,
  AdamW,
  LabError,
  Linear,
  Rng,
  SGD,
  clipByGlobalNorm,
  constantLr,
  cosineLr,
  globalNorm,
  initBackend,
  linearWarmupLr,
  stepLr,
  tensorLeak,
  tf,
} from '@lab/core';
import { expectClose } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/** Runs `steps` updates with constant gradients g on a 1-element parameter starting at p0. */
function run(make: (p: tf.Variable) => { step(g: tf.Tensor[]): void }, p0: number, grads: number[]): number[] {
  const p = tf.variable(tf.scalar(p0));
  const opt = make(p);
  const trace: number[] = [];
  for (const g of grads) {
    const gt = tf.scalar(g);
    opt.step([gt]);
    gt.dispose();
    trace.push(p.dataSync()[0]!);
  }
  (opt as unknown as { dispose(): void }).dispose();
  p.dispose();
  return trace;
}

describe('SGD (torch.optim.SGD semantics, hand-computed)', () => {
  it('plain step', () => {
    expect(run((p) => new SGD([p], { lr: 0.1 }), 1, [2, 2])).toEqual([expect.closeTo(0.8, 6), expect.closeTo(0.6, 6)]);
  });
  it('momentum: first buffer is g, then μb + (1−τ)g', () => {
    // b1 = 2 → p = 1 − 0.2 = 0.8; b2 = 0.9·2 + 0.5·1 = 2.3 → p = 0.8 − 0.23 = 0.57
    expectClose(
      run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5 }), 1, [2, 1]),
      [0.8, 0.57],
    );
  });
  it('nesterov and weight decay', () => {
    // g1 = 2 + 0.1·1 = 2.1; b1 = 2.1; step g = 2.1 + 0.9·2.1 = 3.99 → p = 1 − 0.399 = 0.601
    // g2 = 1 + 0.1·0.601 = 1.0601; b2 = 0.9·2.1 + 1.0601 = 2.9501; g = 1.0601 + 0.9·2.9501 = 3.71519 → p = 0.601 − 0.371519
    expectClose(
      run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 }), 1, [2, 1]),
      [0.601, 0.601 - 0.371519],
    );
    expect(() => new SGD([tf.variable(tf.scalar(0))], { lr: 0.1, nesterov: true })).toThrow(/nesterov/);
  });
});

describe('Adam and AdamW (torch semantics, hand-computed)', () => {
  it('Adam: first step moves by lr·sign(g), second by the bias-corrected ratio', () => {
    const lr = 0.01;
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    let m = 0;
    let v = 0;
    let p = 1;
    const expected: number[] = [];
    [0.5, -0.2, 0.3].forEach((g, i) => {
      const t = i + 1;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      p -= (lr / (1 - b1 ** t)) * (m / (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps));
      expected.push(p);
    });
    expectClose(
      run((q) => new Adam([q], { lr }), 1, [0.5, -0.2, 0.3]),
      expected,
      1e-6,
    );
    expectClose([expected[0]!], [0.99], 1e-6);
  });

  it('Adam weight decay is L2 on the gradient; AdamW decays the weights first', () => {
    const lr = 0.1;
    const wd = 0.5;
    // Adam: g = 1 + 0.5·2 = 2 → first step p = 2 − 0.1 = 1.9 (step size lr·sign)
    expectClose(
      run((q) => new Adam([q], { lr, weightDecay: wd }), 2, [1]),
      [1.9],
      1e-6,
    );
    // AdamW: p = 2·(1 − 0.05) = 1.9, then − 0.1 → 1.8
    expectClose(
      run((q) => new AdamW([q], { lr, weightDecay: wd }), 2, [1]),
      [1.8],
      1e-6,
    );
    expect(new AdamW([tf.variable(tf.scalar(0))]).weightDecay).toBe(0.01);
  });

  it('amsgrad keeps the running maximum of v', () => {
    const lr = 0.1;
    let m = 0;
    let v = 0;
    let vmax = 0;
    let p = 0;
    const out: number[] = [];
    [1, 0.01].forEach((g, i) => {
      const t = i + 1;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      vmax = Math.max(vmax, v);
      p -= (lr / (1 - 0.9 ** t)) * (m / (Math.sqrt(vmax) / Math.sqrt(1 - 0.999 ** t) + 1e-8));
      out.push(p);
    });
    expectClose(
      run((q) => new Adam([q], { lr, amsgrad: true }), 0, [1, 0.01]),
      out,
      1e-5,
    );
  });

  it('minimize fits a line, skips frozen parameters and leaks nothing', async () => {
    const lin = new Linear(1, 1, { rng: new Rng(0) });
    const opt = new Adam(lin, { lr: 0.1 });
    const x = tf.tensor2d([[0], [1], [2], [3]]);
    const y = tf.tensor2d([[1], [4], [7], [10]]);
    const loss = () => lin.forward(x).sub(y).square().mean() as tf.Scalar;
    opt.minimize(loss);
    const leaked = await tensorLeak(() => {
      for (let i = 0; i < 300; i++) opt.minimize(loss);
    });
    expect(leaked).toBe(0);
    expectClose(lin.weight.dataSync(), [3], 1e-2);
    expectClose(lin.bias!.dataSync(), [1], 2e-2);
    lin.bias!.trainable = false;
    const before = lin.bias!.dataSync()[0];
    opt.minimize(() => lin.forward(x).sum() as tf.Scalar);
    expect(lin.bias!.dataSync()[0]).toBe(before);
    lin.bias!.trainable = true; // an optimizer built from a module picks unfrozen parameters up again
    opt.minimize(() => lin.forward(x).sum() as tf.Scalar);
    expect(lin.bias!.dataSync()[0]).not.toBe(before);
    opt.dispose();
    lin.dispose();
  });

  it('state dict round-trips and validates', () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const a = new Adam({ p }, { lr: 0.1 });
    a.step({ p: tf.tensor1d([0.1, -0.2]) });
    const state = a.stateDict();
    expect(Object.keys(state.tensors).sort()).toEqual(['p.exp_avg', 'p.exp_avg_sq']);
    expect(state.scalars.stepCount).toBe(1);
    const b = new Adam({ p }, { lr: 0.5 });
    b.loadStateDict(state);
    expect(b.lr).toBe(0.1);
    expect(b.stepCount).toBe(1);
    expect(() => new SGD({ p }, { lr: 1 }).loadStateDict(state)).toThrow(/kind/);
    expect(() => a.step({ p: tf.ones([3]) })).toThrow(/expected shape \[2\]/);
    expect(() => new Adam([], {})).toThrow(LabError);
    Object.values(state.tensors).forEach((t) => t.dispose());
  });
});

describe('learning-rate schedules', () => {
  it('stepLr, cosineLr, linearWarmupLr follow their closed forms', () => {
    const s = stepLr({ lr: 1, stepSize: 3, gamma: 0.5 });
    expect([0, 2, 3, 6, 7].map(s)).toEqual([1, 1, 0.5, 0.25, 0.25]);
    const c = cosineLr({ lr: 1, totalSteps: 10, minLr: 0.1 });
    expect(c(0)).toBeCloseTo(1);
    expect(c(5)).toBeCloseTo(0.55);
    expect(c(10)).toBeCloseTo(0.1);
    expect(c(20)).toBeCloseTo(0.1);
    const cw = cosineLr({ lr: 1, totalSteps: 12, warmupSteps: 2 });
    expect([0, 1, 2, 7, 12].map(cw)).toEqual([0, 0.5, 1, expect.closeTo(0.5, 6), expect.closeTo(0, 6)]);
    const w = linearWarmupLr({ lr: 2, warmupSteps: 4, totalSteps: 8 });
    expect([0, 2, 4, 6, 8, 9].map(w)).toEqual([0, 1, 2, 1, 0, 0]);
    expect(linearWarmupLr({ lr: 2, warmupSteps: 4 })(100)).toBe(2);
    expect(constantLr(0.3)(7)).toBe(0.3);
    expect(() => c(-1)).toThrow(/step/);
    expect(() => cosineLr({ lr: 1, totalSteps: 0 })).toThrow(/totalSteps/);
  });
});

describe('clipByGlobalNorm (torch clip_grad_norm_ semantics)', () => {
  it('scales by maxNorm / (norm + 1e-6) when above, leaves alone below', () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([4]), c: null };
    expect(globalNorm(grads)).toBeCloseTo(5);
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    expect(norm).toBeCloseTo(5);
    expectClose(clipped.a!.dataSync(), [3 / (5 + 1e-6), 0]);
    expectClose(clipped.b!.dataSync(), [4 / (5 + 1e-6)]);
    expect(clipped.c).toBeNull();
    const { grads: same } = clipByGlobalNorm([tf.tensor1d([0.3])], 1);
    expectClose(same[0]!.dataSync(), [0.3]);
    expect(() => clipByGlobalNorm(grads, 0)).toThrow(/maxNorm/);
  });
});
