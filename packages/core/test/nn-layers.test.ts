import { beforeAll, describe, expect, it } from 'vitest';
import {
  BatchNorm1d,
  BatchNorm2d,
  CnnEncoder,
  Conv2d,
  Dropout,
  Embedding,
  LabError,
  LayerNorm,
  Linear,
  MLP,
  RMSNorm,
  ResNet,
  Rng,
  activation,
  gradCheck,
  initBackend,
  tensorLeak,
  tf,
  valueAndGrads,
  disposeGrads,
} from '@lab/core';
import { expectClose } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Linear', () => {
  it('computes x W + b on 2-D and 3-D input', () => {
    const lin = new Linear(3, 2, { rng: new Rng(0) });
    lin.loadStateDict({
      weight: tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      bias: tf.tensor1d([0.5, -1]),
    });
    expectClose(lin.forward(tf.tensor2d([[1, 0, 2]])).dataSync(), [11.5, 13]);
    const y3 = lin.forward(tf.ones([2, 4, 3]));
    expect(y3.shape).toEqual([2, 4, 2]);
    expectClose(y3.dataSync().slice(0, 2), [9.5, 11]);
    expect(() => lin.forward(tf.ones([2, 4]))).toThrow(/expected shape \[\.\.\., 3\], got \[2, 4\]/);
    expect(() => lin.forward(tf.ones([2, 3], 'int32'))).toThrow(/x: expected dtype float32, got int32/);
    expect(() => new Linear(0, 2, { rng: new Rng(0) })).toThrow(LabError);
    lin.dispose();
  });

  it('default init is U(±1/√in) as PyTorch', () => {
    const lin = new Linear(64, 256, { rng: new Rng(1) });
    const bound = 1 / 8;
    expect(Math.max(...lin.weight.abs().dataSync())).toBeLessThanOrEqual(bound + 1e-7);
    expect(Math.max(...lin.weight.abs().dataSync())).toBeGreaterThan(0.9 * bound);
    expect(Math.max(...lin.bias!.abs().dataSync())).toBeLessThanOrEqual(bound + 1e-7);
    lin.dispose();
  });

  it('gradients pass gradCheck and forward leaks nothing', async () => {
    const lin = new Linear(3, 2, { rng: new Rng(2) });
    const x = tf.randomNormal([4, 3], 0, 1, 'float32', 1);
    const res = gradCheck((w, b) => tf.matMul(x, w).add(b).square().sum() as tf.Scalar, [lin.weight, lin.bias!]);
    expect(res.passed).toBe(true);
    expect(await tensorLeak(() => lin.forward(x).dispose())).toBe(0);
    x.dispose();
    lin.dispose();
  });
});

describe('MLP and activations', () => {
  it('stacks Linear + activation and names layers.i', () => {
    const mlp = new MLP([4, 8, 8, 3], { rng: new Rng(0), activation: 'gelu' });
    expect(Object.keys(mlp.namedParameters())).toEqual([
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'layers.1.bias',
      'layers.2.weight',
      'layers.2.bias',
    ]);
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 3);
    const manual = tf.tidy(() => {
      let h = x;
      mlp.layers.at(0);
      for (let i = 0; i < 3; i++) {
        h = mlp.layers.at(i).forward(h);
        if (i < 2) h = activation('gelu', h);
      }
      return h;
    });
    expectClose(mlp.forward(x).dataSync(), manual.dataSync());
    mlp.dispose();
  });

  it('batchNorm: true matches a hand-composed Linear + BatchNorm1d + activation stack, train and eval', async () => {
    const sizes = [4, 6, 5, 3];
    const mlp = new MLP(sizes, {
      rng: new Rng(7),
      activation: 'silu',
      batchNorm: true,
      batchNormOptions: { momentum: 0.2 },
    });
    const linearNames = [0, 1, 2].flatMap((i) => [`layers.${i}.weight`, `layers.${i}.bias`]);
    expect(Object.keys(mlp.namedParameters())).toEqual([
      ...linearNames,
      'norms.0.weight',
      'norms.0.bias',
      'norms.1.weight',
      'norms.1.bias',
    ]);
    expect(Object.keys(mlp.namedBuffers())).toEqual([
      'norms.0.running_mean',
      'norms.0.running_var',
      'norms.0.num_batches_tracked',
      'norms.1.running_mean',
      'norms.1.running_var',
      'norms.1.num_batches_tracked',
    ]);
    expect(mlp.norm(2)).toBeNull();
    // The hand-composed stack, given the MLP's initial parameters (norm affine terms made non-trivial).
    const rng = new Rng(99);
    const lins = [0, 1, 2].map((i) => new Linear(sizes[i]!, sizes[i + 1]!, { rng }));
    const bns = [0, 1].map((i) => new BatchNorm1d(sizes[i + 1]!, { momentum: 0.2 }));
    tf.tidy(() => {
      lins.forEach((l, i) => {
        l.weight.assign(mlp.layers.at(i).weight);
        l.bias!.assign(mlp.layers.at(i).bias!);
      });
      bns.forEach((b, i) => {
        const w = tf.randomUniform([sizes[i + 1]!], 0.5, 1.5, 'float32', 10 + i);
        const c = tf.randomUniform([sizes[i + 1]!], -0.5, 0.5, 'float32', 20 + i);
        b.weight!.assign(w);
        b.bias!.assign(c);
        mlp.norm(i)!.weight!.assign(w);
        mlp.norm(i)!.bias!.assign(c);
      });
    });
    const manual = (x: tf.Tensor) =>
      tf.tidy(() => {
        let h = x;
        for (let i = 0; i < 3; i++) {
          h = lins[i]!.forward(h);
          if (i < 2) h = activation('silu', bns[i]!.forward(h));
        }
        return h;
      });
    const compareState = () => {
      const got = mlp.namedBuffers();
      bns.forEach((b, i) => {
        expectClose(got[`norms.${i}.running_mean`]!.dataSync(), b.runningMean!.dataSync(), 1e-6);
        expectClose(got[`norms.${i}.running_var`]!.dataSync(), b.runningVar!.dataSync(), 1e-6);
        expect(got[`norms.${i}.num_batches_tracked`]!.dataSync()[0]).toBe(b.numBatchesTracked!.dataSync()[0]);
      });
    };
    // train mode: batch statistics, running statistics updated on every call
    for (let step = 0; step < 3; step++) {
      const x = tf.randomNormal([8, 4], 1, 2, 'float32', 30 + step);
      const [a, b] = [mlp.forward(x), manual(x)];
      expectClose(a.dataSync(), b.dataSync(), 1e-5);
      tf.dispose([x, a, b]);
    }
    compareState();
    expect(mlp.norm(0)!.numBatchesTracked!.dataSync()[0]).toBe(3);
    expect(Array.from(mlp.norm(0)!.runningMean!.dataSync()).some((v) => Math.abs(v) > 1e-3)).toBe(true);
    // gradients agree too (the batch statistics are differentiated through)
    const x = tf.randomNormal([8, 4], 0, 1, 'float32', 40);
    const target = tf.randomNormal([8, 3], 0, 1, 'float32', 41);
    const g1 = valueAndGrads(() => mlp.forward(x).sub(target).square().mean() as tf.Scalar, {
      w0: mlp.layers.at(0).weight,
      g0: mlp.norm(0)!.weight!,
    });
    const g2 = valueAndGrads(() => manual(x).sub(target).square().mean() as tf.Scalar, {
      w0: lins[0]!.weight,
      g0: bns[0]!.weight!,
    });
    expectClose(g1.value.dataSync(), g2.value.dataSync(), 1e-6);
    expectClose(g1.grads.w0!.dataSync(), g2.grads.w0!.dataSync(), 1e-5);
    expectClose(g1.grads.g0!.dataSync(), g2.grads.g0!.dataSync(), 1e-5);
    for (const g of [g1, g2]) {
      g.value.dispose();
      disposeGrads(g.grads);
    }
    compareState();
    // eval mode: running statistics, no update
    mlp.eval();
    for (const b of bns) b.eval();
    const before = Array.from(mlp.norm(1)!.runningVar!.dataSync());
    const [a, b] = [mlp.forward(x), manual(x)];
    expectClose(a.dataSync(), b.dataSync(), 1e-5);
    expect(Array.from(mlp.norm(1)!.runningVar!.dataSync())).toEqual(before);
    expect(mlp.norm(0)!.numBatchesTracked!.dataSync()[0]).toBe(4);
    // a single row works in eval mode; rank-3 input is normalised over the leading axes
    const one = mlp.forward(tf.ones([1, 4]));
    expect(one.shape).toEqual([1, 3]);
    const x3 = x.reshape([2, 4, 4]);
    const y3 = mlp.forward(x3);
    expectClose(y3.reshape([8, 3]).dataSync(), a.dataSync(), 1e-6);
    mlp.train();
    expect(await tensorLeak(() => mlp.forward(x).dispose())).toBe(0);
    tf.dispose([x, target, a, b, one, x3, y3]);
    [...lins, ...bns, mlp].forEach((m) => m.dispose());
  });

  it('batchNorm per layer, with activateLast, and default off keep the documented layout', () => {
    const rng = new Rng(1);
    const perLayer = new MLP([3, 4, 2], { rng, batchNorm: [false, true] }); // SimSiam-style BN on the output
    expect(Object.keys(perLayer.stateDict()).filter((k) => k.startsWith('norms'))).toEqual([
      'norms.1.weight',
      'norms.1.bias',
      'norms.1.running_mean',
      'norms.1.running_var',
      'norms.1.num_batches_tracked',
    ]);
    const x = tf.randomNormal([6, 3], 0, 1, 'float32', 5);
    const y = perLayer.forward(x); // train mode: every output column has batch mean 0, biased variance 1
    const { mean, variance } = tf.moments(y, 0);
    expectClose(mean.dataSync(), [0, 0], 1e-5);
    expectClose(variance.dataSync(), [1, 1], 1e-2); // v / (v + eps)
    const last = new MLP([3, 4, 2], { rng, batchNorm: true, activateLast: true });
    expect(last.norm(0)).not.toBeNull();
    expect(last.norm(1)).not.toBeNull();
    const off = new MLP([3, 4, 2], { rng, batchNorm: false });
    expect(Object.keys(off.stateDict())).toEqual([
      'layers.0.weight',
      'layers.0.bias',
      'layers.1.weight',
      'layers.1.bias',
    ]);
    expect(() => new MLP([3, 4, 2], { rng, batchNorm: [true] })).toThrow(
      /batchNorm: expected a boolean or 2 booleans \(one per Linear\), got \[true\]/,
    );
    expect(() => new MLP([3, 4, 2], { rng, batchNorm: ['yes', true] as unknown as boolean[] })).toThrow(LabError);
    expect(() => new MLP([3, 4, 2], { rng, batchNorm: true, batchNormOptions: { momentum: 2 } })).toThrow(/momentum/);
    tf.dispose([x, y, mean, variance]);
    [perLayer, last, off].forEach((m) => m.dispose());
  });

  it('activations match their definitions', () => {
    const x = tf.tensor1d([-2, -0.5, 0, 0.7, 3]);
    const v = Array.from(x.dataSync());
    const erf = (z: number) => {
      // Abramowitz–Stegun 7.1.26 is too coarse; use a series good to 1e-7 on |z| < 3.
      let sum = 0;
      let term = z;
      for (let n = 0; n < 60; n++) {
        sum += term / (2 * n + 1);
        term *= (-z * z) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    expectClose(
      activation('gelu', x).dataSync(),
      v.map((a) => 0.5 * a * (1 + erf(a / Math.SQRT2))),
      1e-5,
    );
    expectClose(
      activation('silu', x).dataSync(),
      v.map((a) => a / (1 + Math.exp(-a))),
      1e-5,
    );
    expectClose(
      activation('leaky_relu', x).dataSync(),
      v.map((a) => (a > 0 ? a : 0.01 * a)),
    );
    expectClose(
      activation('gelu_tanh', x).dataSync(),
      v.map((a) => 0.5 * a * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (a + 0.044715 * a ** 3)))),
      1e-5,
    );
    expect(() => activation('nope' as never, x)).toThrow(/activation: expected one of/);
  });
});

describe('Dropout', () => {
  it('is the identity in eval mode and inverted dropout in training mode', () => {
    const d = new Dropout(0.25, { rng: new Rng(0) });
    const x = tf.ones([200, 50]);
    const y = d.forward(x).dataSync();
    const zeros = y.filter((a) => a === 0).length / y.length;
    expect(zeros).toBeGreaterThan(0.2);
    expect(zeros).toBeLessThan(0.3);
    expect(y.filter((a) => a !== 0).every((a) => Math.abs(a - 1 / 0.75) < 1e-6)).toBe(true);
    d.eval();
    expectClose(d.forward(x).dataSync(), x.dataSync());
    expect(() => new Dropout(1, { rng: new Rng(0) })).toThrow(/rate/);
  });

  it('same seed gives the same masks', () => {
    const masks = (seed: number) => {
      const d = new Dropout(0.5, { rng: new Rng(seed) });
      return [0, 1].map(() => Array.from(d.forward(tf.ones([64])).dataSync()));
    };
    expect(masks(4)).toEqual(masks(4));
    expect(masks(4)[0]).not.toEqual(masks(4)[1]);
  });
});

describe('Embedding', () => {
  it('looks rows up and respects paddingIdx', () => {
    const emb = new Embedding(5, 3, { rng: new Rng(0), paddingIdx: 0 });
    expect(Array.from(emb.weight.slice([0, 0], [1, 3]).dataSync())).toEqual([0, 0, 0]);
    const ids = tf.tensor2d(
      [
        [1, 0],
        [4, 1],
      ],
      [2, 2],
      'int32',
    );
    const out = emb.forward(ids);
    expect(out.shape).toEqual([2, 2, 3]);
    expectClose(out.slice([0, 0, 0], [1, 1, 3]).dataSync(), emb.weight.slice([1, 0], [1, 3]).dataSync());
    expect(() => emb.forward(tf.tensor1d([1.5]))).toThrow(/ids: expected int32/);
    emb.dispose();
  });

  it('gradient accumulates repeated ids and skips the padding row', () => {
    const emb = new Embedding(4, 2, { rng: new Rng(1), paddingIdx: 3 });
    const { value, grads } = valueAndGrads(() => emb.forward([1, 1, 2, 3]).sum() as tf.Scalar, { w: emb.weight });
    expect(Array.from(grads.w!.dataSync())).toEqual([0, 0, 2, 2, 1, 1, 0, 0]);
    value.dispose();
    disposeGrads(grads);
    emb.dispose();
  });
});

describe('LayerNorm and RMSNorm', () => {
  it('LayerNorm normalises the last axis with the biased variance', () => {
    const ln = new LayerNorm(4);
    const x = tf.tensor2d([
      [1, 2, 3, 4],
      [-1, 0, 0, 5],
    ]);
    const rows = x.arraySync() as number[][];
    const expected = rows.flatMap((r) => {
      const m = r.reduce((a, b) => a + b, 0) / r.length;
      const v = r.reduce((a, b) => a + (b - m) ** 2, 0) / r.length;
      return r.map((a) => (a - m) / Math.sqrt(v + 1e-5));
    });
    expectClose(ln.forward(x).dataSync(), expected, 1e-5);
    expect(
      gradCheck(
        (a) =>
          ln
            .forward(a)
            .mul(
              tf.tensor2d([
                [1, 2, 3, 4],
                [0.5, -1, 2, 1],
              ]),
            )
            .sum() as tf.Scalar,
        [x],
      ).passed,
    ).toBe(true);
    ln.dispose();
  });

  it('RMSNorm divides by the root mean square', () => {
    const rms = new RMSNorm(3);
    const x = tf.tensor2d([
      [1, 2, 2],
      [0.1, -0.3, 0.2],
    ]);
    const expected = (x.arraySync() as number[][]).flatMap((r) => {
      const ms = r.reduce((a, b) => a + b * b, 0) / r.length;
      return r.map((a) => a / Math.sqrt(ms + 1e-6));
    });
    expectClose(rms.forward(x).dataSync(), expected, 1e-5);
    expect(
      gradCheck(
        (a) =>
          rms
            .forward(a)
            .mul(
              tf.tensor2d([
                [1, -2, 3],
                [0.5, 1, 2],
              ]),
            )
            .sum() as tf.Scalar,
        [x],
      ).passed,
    ).toBe(true);
    expect(() => rms.forward(tf.ones([2, 4]))).toThrow(/\[\.\.\., 3\]/);
    rms.dispose();
  });
});

describe('BatchNorm', () => {
  it('BatchNorm1d follows PyTorch: biased batch variance to normalise, unbiased for the running variance', () => {
    const bn = new BatchNorm1d(2, { momentum: 0.1 });
    const x = tf.tensor2d([
      [1, 10],
      [2, 20],
      [4, 30],
    ]);
    const y = bn.forward(x).arraySync() as number[][];
    // channel 0: mean 7/3, biased var 14/9, unbiased 7/3
    const m0 = 7 / 3;
    const v0 = 14 / 9;
    expectClose([y[0]![0]!], [(1 - m0) / Math.sqrt(v0 + 1e-5)], 1e-5);
    expectClose(bn.runningMean!.dataSync(), [0.1 * m0, 0.1 * 20], 1e-6);
    expectClose(bn.runningVar!.dataSync(), [0.9 + 0.1 * (7 / 3), 0.9 + 0.1 * 100], 1e-5);
    bn.eval();
    const yEval = bn.forward(tf.tensor2d([[1, 10]])).dataSync();
    expectClose(yEval, [(1 - 0.1 * m0) / Math.sqrt(0.9 + 0.7 / 3 + 1e-5), (10 - 2) / Math.sqrt(10.9 + 1e-5)], 1e-5);
    bn.train();
    expect(() => bn.forward(tf.tensor2d([[1, 2]]))).toThrow(/more than 1 value per channel/);
    expect(() => bn.forward(tf.ones([2, 3]))).toThrow(/expected shape \[\*, 2\]/);
    expect(Object.keys(bn.stateDict())).toEqual([
      'weight',
      'bias',
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
    expect(bn.numBatchesTracked!.dataSync()[0]).toBe(1);
    bn.dispose();
  });

  it('trains through valueAndGrads without leaking and gradients pass gradCheck', async () => {
    const bn = new BatchNorm1d(3);
    const x = tf.randomNormal([6, 3], 0, 1, 'float32', 7);
    const w = tf.randomNormal([6, 3], 0, 1, 'float32', 8);
    expect(gradCheck((a) => bn.forward(a).mul(w).sum() as tf.Scalar, [x]).passed).toBe(true);
    const leaked = await tensorLeak(() => {
      const { value, grads } = valueAndGrads(() => bn.forward(x).mul(w).sum() as tf.Scalar, bn.namedParameters());
      value.dispose();
      disposeGrads(grads);
    });
    expect(leaked).toBe(0);
    bn.dispose();
  });

  it('BatchNorm2d normalises per channel over N, H, W', () => {
    const bn = new BatchNorm2d(2);
    const x = tf.randomNormal([3, 4, 4, 2], 5, 2, 'float32', 1);
    const y = bn.forward(x);
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    expectClose(mean.dataSync(), [0, 0], 1e-4);
    expectClose(variance.dataSync(), [1, 1], 1e-2); // v / (v + eps)
    bn.dispose();
  });
});

describe('Conv2d, CnnEncoder, ResNet', () => {
  it('Conv2d matches a hand-computed convolution, with numeric padding', () => {
    const conv = new Conv2d(1, 1, 2, { rng: new Rng(0), padding: 1 });
    conv.loadStateDict({ weight: tf.tensor4d([1, 2, 3, 4], [2, 2, 1, 1]), bias: tf.tensor1d([0.5]) });
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const y = conv.forward(x);
    expect(y.shape).toEqual([1, 3, 3, 1]);
    // top-left output sees only x[0,0] under weight[1,1] = 4
    expectClose(y.dataSync(), [4.5, 11.5, 6.5, 14.5, 30.5, 14.5, 6.5, 11.5, 4.5]);
    expect(() => conv.forward(tf.ones([1, 2, 2, 3]))).toThrow(/NHWC/);
    conv.dispose();
  });

  it('Conv2d gradients pass gradCheck', () => {
    const conv = new Conv2d(2, 3, 3, { rng: new Rng(1), stride: 2, padding: 1 });
    const x = tf.randomNormal([2, 5, 5, 2], 0, 1, 'float32', 2);
    const r = tf.randomNormal([2, 3, 3, 3], 0, 1, 'float32', 3);
    const f = (xx: tf.Tensor, w: tf.Tensor) =>
      tf
        .conv2d(
          tf.pad(xx as tf.Tensor4D, [
            [0, 0],
            [1, 1],
            [1, 1],
            [0, 0],
          ]),
          w as tf.Tensor4D,
          2,
          'valid',
        )
        .mul(r)
        .sum() as tf.Scalar;
    expectClose(
      f(x, conv.weight)
        .add(conv.bias!.reshape([1, 1, 1, 3]).mul(r).sum())
        .dataSync(),
      conv.forward(x).mul(r).sum().dataSync(),
      1e-4,
    );
    expect(gradCheck(f, [x, conv.weight]).passed).toBe(true);
    conv.dispose();
  });

  it('CnnEncoder maps [N, 28, 28, 1] to [N, 128] and trains', async () => {
    const enc = new CnnEncoder({ rng: new Rng(0), channels: [4, 8], featureDim: 16 });
    expect(enc.fc.inFeatures).toBe(12 * 12 * 8);
    const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 1);
    expect(enc.forward(x).shape).toEqual([2, 16]);
    const leaked = await tensorLeak(() => {
      const { value, grads } = valueAndGrads(() => enc.forward(x).square().mean() as tf.Scalar, enc.namedParameters());
      expect(Object.values(grads).every((g) => g !== null)).toBe(true);
      value.dispose();
      disposeGrads(grads);
    });
    expect(leaked).toBe(0);
    enc.dispose();
  });

  it('ResNet gives pooled features or logits with torchvision-style names', () => {
    const net = new ResNet({ rng: new Rng(0), widths: [4, 8], numClasses: 3 });
    const names = Object.keys(net.stateDict());
    expect(names).toContain('stages.1.0.downsample.0.weight');
    expect(names).toContain('stages.0.0.bn1.running_var');
    expect(names).toContain('fc.weight');
    const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 1);
    expect(net.features(x).shape).toEqual([2, 8]);
    const { value, grads } = valueAndGrads(
      () => tf.losses.softmaxCrossEntropy(tf.oneHot([0, 2], 3), net.forward(x)) as tf.Scalar,
      net.namedParameters(),
    );
    expect(Object.values(grads).every((g) => g !== null)).toBe(true);
    value.dispose();
    disposeGrads(grads);
    net.eval();
    expect(net.forward(x).shape).toEqual([2, 3]);
    net.dispose();
  });
});
