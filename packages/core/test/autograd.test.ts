import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LabError,
  disposeGrads,
  finiteDifferenceHvp,
  gradCheck,
  hessianVectorProduct,
  initBackend,
  irmPenaltyClosedForm,
  softmaxCrossEntropyScaleGrad,
  tensorLeak,
  tf,
  valueAndGrads,
} from '@lab/core';
import { expectClose } from './helpers.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/nn-irm-golden.json', import.meta.url), 'utf8')) as {
  Z: number[][];
  y: number[];
  env: number[];
  irm_penalty_per_env: number[];
  irm_penalty_mean: number;
  irm_penalty_grad_Z: number[][];
};

beforeAll(async () => {
  await initBackend('wasm');
});

describe('valueAndGrads', () => {
  it('returns value and gradients keyed like the parameters, null where unused', () => {
    const a = tf.variable(tf.tensor1d([1, 2]));
    const b = tf.variable(tf.scalar(3));
    const unused = tf.variable(tf.scalar(0));
    const { value, grads } = valueAndGrads(() => a.square().sum().mul(b) as tf.Scalar, { a, b, unused });
    expect(value.dataSync()[0]).toBe(15);
    expect(Array.from(grads.a!.dataSync())).toEqual([6, 12]);
    expect(grads.b!.dataSync()[0]).toBe(5);
    expect(grads.unused).toBeNull();
    value.dispose();
    disposeGrads(grads);
    const list = valueAndGrads(() => a.sum() as tf.Scalar, [a, b]);
    expect(list.grads[1]).toBeNull();
    list.value.dispose();
    disposeGrads(list.grads);
    [a, b, unused].forEach((v) => v.dispose());
  });

  it('frozen variables get a null gradient; all frozen is an error', () => {
    const a = tf.variable(tf.scalar(2));
    const frozen = tf.variable(tf.scalar(3), false);
    const { value, grads } = valueAndGrads(() => a.mul(frozen) as tf.Scalar, { a, frozen });
    expect(grads.a!.dataSync()[0]).toBe(3);
    expect(grads.frozen).toBeNull();
    value.dispose();
    disposeGrads(grads);
    expect(() => valueAndGrads(() => frozen.square() as tf.Scalar, [frozen])).toThrow(/all 1 are frozen/);
    a.dispose();
    frozen.dispose();
  });

  it('disposes every intermediate', async () => {
    const w = tf.variable(tf.randomNormal([16, 8], 0, 1, 'float32', 1));
    const x = tf.randomNormal([32, 16], 0, 1, 'float32', 2);
    const leaked = await tensorLeak(() => {
      for (let i = 0; i < 10; i++) {
        const { value, grads } = valueAndGrads(() => tf.relu(x.matMul(w)).square().mean().log1p() as tf.Scalar, { w });
        value.dispose();
        disposeGrads(grads);
      }
    });
    expect(leaked).toBe(0);
    w.dispose();
    x.dispose();
  });

  it('frees the forward tensors when the loss throws', async () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const leaked = await tensorLeak(() => {
      expect(() =>
        valueAndGrads(
          () => {
            w.square().add(1).mul(3);
            throw new Error('boom');
          },
          { w },
        ),
      ).toThrow('boom');
    });
    expect(leaked).toBe(0);
    w.dispose();
  });

  it('validates its arguments', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    expect(() => valueAndGrads(() => w.mul(2) as unknown as tf.Scalar, { w })).toThrow(
      /loss: expected a scalar, got shape \[2\]/,
    );
    expect(() => valueAndGrads(() => w.sum() as tf.Scalar, { w: tf.tensor1d([1]) as unknown as tf.Variable })).toThrow(
      /params\[w\]: expected a tf.Variable/,
    );
    expect(() => valueAndGrads(() => w.sum() as tf.Scalar, {})).toThrow(LabError);
    w.dispose();
  });
});

describe('IRMv1 closed form (softmax cross-entropy scaled by a dummy w = 1)', () => {
  const perEnv = (Z: tf.Tensor2D, e: number) => {
    const rows = golden.env.flatMap((v, i) => (v === e ? [i] : []));
    const idx = tf.tensor1d(rows, 'int32');
    return {
      z: tf.gather(Z, idx) as tf.Tensor2D,
      y: tf.tensor1d(
        rows.map((i) => golden.y[i]!),
        'int32',
      ),
    };
  };

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`matches PyTorch's autograd penalty and its gradient w.r.t. the logits (${backend})`, async () => {
      await initBackend(backend);
      const Z = tf.tensor2d(golden.Z);
      const envs = [0, 1, 2];
      const pens = envs.map((e) => {
        const { z, y } = perEnv(Z, e);
        return irmPenaltyClosedForm(z, y).dataSync()[0]!;
      });
      expectClose(pens, golden.irm_penalty_per_env, 1e-5);
      const gradZ = tf.grad(
        (zz: tf.Tensor) =>
          tf
            .addN(
              envs.map((e) => {
                const { z, y } = perEnv(zz as tf.Tensor2D, e);
                return irmPenaltyClosedForm(z, y);
              }),
            )
            .div(envs.length) as tf.Scalar,
      )(Z);
      expectClose(gradZ.dataSync(), golden.irm_penalty_grad_Z.flat(), 1e-5);
      await initBackend('wasm');
    });
  }

  it('equals the finite-difference derivative of the mean CE in the scale w', () => {
    const z = tf.tensor2d([
      [1.2, -0.3, 0.5],
      [0.1, 0.4, -1.1],
      [2, 0, -2],
      [-0.5, 0.7, 0.2],
    ]);
    const y = tf.tensor1d([0, 2, 1, 1], 'int32');
    const ce = (w: number) => tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), z.mul(w)).dataSync()[0]!;
    const h = 1e-2;
    const fd = (ce(1 + h) - ce(1 - h)) / (2 * h);
    expectClose(softmaxCrossEntropyScaleGrad(z, y).dataSync(), [fd], 1e-3);
    // soft targets give the same value as one-hot labels
    expectClose(softmaxCrossEntropyScaleGrad(z, tf.oneHot(y, 3).toFloat()).dataSync(), [fd], 1e-3);
    expect(gradCheck((zz) => irmPenaltyClosedForm(zz, y), [z]).passed).toBe(true);
  });

  it('validates shapes and handles an empty environment', () => {
    expect(() => softmaxCrossEntropyScaleGrad(tf.ones([3, 2]), tf.tensor1d([0, 1], 'int32'))).toThrow(
      /labels: expected shape \[3\]/,
    );
    expect(() => softmaxCrossEntropyScaleGrad(tf.ones([3]), tf.tensor1d([0], 'int32'))).toThrow(/logits/);
    expect(() => softmaxCrossEntropyScaleGrad(tf.ones([2, 2]), tf.tensor1d([0, 1]))).toThrow(/int32/);
    expect(softmaxCrossEntropyScaleGrad(tf.zeros([0, 3]), tf.zeros([0], 'int32')).dataSync()[0]).toBe(0);
  });
});

describe('second-order gradients: nested tf.grad against finite differences (the documented table)', () => {
  const x = () => tf.tensor1d([0.3, -0.7, 1.1]);
  const v = () => tf.tensor1d([0.5, 1.0, -0.4]);
  const w3 = () => tf.tensor1d([1, 2, 3]);
  const safe: Record<string, (y: tf.Tensor) => tf.Scalar> = {
    polynomial: (y) => y.pow(3).sum().add(y.square().mul(y).sum()) as tf.Scalar,
    'div/reciprocal': (y) => tf.scalar(1).div(y.add(2)).sum().add(y.add(3).reciprocal().sum()) as tf.Scalar,
    'sqrt/rsqrt': (y) => y.add(2).sqrt().sum().add(y.add(2).rsqrt().sum()) as tf.Scalar,
    'log/log1p/expm1': (y) => y.add(2).log().sum().add(y.log1p().sum()).add(y.expm1().sum()) as tf.Scalar,
    'sin/cos/atan/erf': (y) => y.sin().add(y.cos()).add(y.atan()).add(y.erf()).sum() as tf.Scalar,
    'softplus/logSigmoid': (y) => tf.softplus(y).add(tf.logSigmoid(y)).sum() as tf.Scalar,
    'relu/abs': (y) => tf.relu(y).mul(y).add(y.abs().mul(y)).sum() as tf.Scalar,
    'matMul/norm/mean': (y) =>
      tf
        .matMul(y.reshape([1, 3]), y.reshape([3, 1]))
        .sum()
        .add(tf.norm(y))
        .add(y.square().mean()) as tf.Scalar,
    squaredDifference: (y) => tf.squaredDifference(y, w3()).mul(y).sum() as tf.Scalar,
    // need the zero gradients of the comparison ops that initBackend registers
    'max/min': (y) => y.max().mul(y.sum()).add(y.min().mul(y.square().sum())) as tf.Scalar,
    'leakyRelu/selu': (y) => tf.leakyRelu(y, 0.1).mul(y).sum().add(tf.selu(y).sum()) as tf.Scalar,
  };
  // composite paths (a safe factor times the op) make the dropped curvature silent instead of throwing
  const wrong: Record<string, (y: tf.Tensor) => tf.Scalar> = {
    exp: (y) => y.exp().mul(y).sum() as tf.Scalar,
    tanh: (y) => y.tanh().mul(y).sum() as tf.Scalar,
    sigmoid: (y) => y.sigmoid().mul(y).sum() as tf.Scalar,
    softmax: (y) => tf.softmax(y).mul(y).sum() as tf.Scalar,
    logSoftmax: (y) => tf.logSoftmax(y).mul(y).sum() as tf.Scalar,
    logSumExp: (y) => tf.logSumExp(y) as tf.Scalar,
    'softmax cross-entropy of w·z': (y) =>
      tf.losses.softmaxCrossEntropy(tf.tensor2d([[0, 1, 0]]), y.mul(y).reshape([1, 3])) as tf.Scalar,
  };
  const throws: Record<string, (y: tf.Tensor) => tf.Scalar> = {
    prod: (y) => y.add(2).prod() as tf.Scalar,
    elu: (y) => tf.elu(y).mul(y).sum() as tf.Scalar,
  };

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`safe ops: nested tf.grad matches finite differences (${backend})`, async () => {
      await initBackend(backend);
      for (const [name, f] of Object.entries(safe)) {
        const nested = hessianVectorProduct(f, x(), v()).dataSync();
        const fd = finiteDifferenceHvp(f, x(), v(), 1e-2).dataSync();
        for (let i = 0; i < 3; i++)
          expect(Math.abs(nested[i]! - fd[i]!), `${name}[${i}]`).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd[i]!)));
      }
      await initBackend('wasm');
    });

    it(`unsafe ops: nested tf.grad silently drops curvature or throws (${backend})`, async () => {
      await initBackend(backend);
      for (const [name, f] of Object.entries(wrong)) {
        const nested = hessianVectorProduct(f, x(), v()).dataSync();
        const fd = finiteDifferenceHvp(f, x(), v(), 1e-2).dataSync();
        const err = Math.max(...[0, 1, 2].map((i) => Math.abs(nested[i]! - fd[i]!)));
        expect(
          err,
          `${name} should differ from finite differences (if this fails, tfjs fixed it: update the table in autograd.ts)`,
        ).toBeGreaterThan(0.05);
      }
      for (const [name, f] of Object.entries(throws)) expect(() => hessianVectorProduct(f, x(), v()), name).toThrow();
      await initBackend('wasm');
    });
  }

  it('finiteDifferenceHvp is right where nested grad is wrong (softmax)', () => {
    // f(y) = Σ softmax(y)·y; check the HVP against a Hessian assembled from finite-difference gradients of the closed-form gradient
    const f = (y: tf.Tensor) => tf.softmax(y).mul(y).sum() as tf.Scalar;
    const hv = finiteDifferenceHvp(f, x(), v(), 1e-3).dataSync();
    const fd2 = (i: number) => {
      // second directional derivative by finite differences of f along v, projected with unit basis for component i
      const e = [0, 0, 0];
      e[i] = 1;
      const h = 1e-2;
      const fAt = (a: number, b: number) =>
        f(tf.tensor1d([0.3, -0.7, 1.1].map((xi, k) => xi + a * [0.5, 1.0, -0.4][k]! + b * e[k]!))).dataSync()[0]!;
      return (fAt(h, h) - fAt(h, -h) - fAt(-h, h) + fAt(-h, -h)) / (4 * h * h);
    };
    expectClose(hv, [fd2(0), fd2(1), fd2(2)], 2e-2);
    expect(() => finiteDifferenceHvp(f, x(), tf.ones([2]))).toThrow(/v: expected the shape/);
  });
});
