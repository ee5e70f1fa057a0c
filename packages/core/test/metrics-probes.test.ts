import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Rng,
  accuracy,
  gaussianMixture,
  initBackend,
  knnAccuracy,
  knnClassify,
  linearProbe,
  tensorLeak,
  tf,
} from '@lab/core';

const golden = JSON.parse(readFileSync(new URL('./fixtures/metrics_golden.json', import.meta.url), 'utf8'));

beforeAll(async () => {
  await initBackend('wasm');
});

/** Brute-force cosine kNN in float64 (majority vote, ties to larger similarity sum, then smaller id). */
function knnReference(train: number[][], y: number[], query: number[][], k: number): number[] {
  const unit = (v: number[]) => {
    const n = Math.max(Math.hypot(...v), 1e-12);
    return v.map((x) => x / n);
  };
  const T = train.map(unit);
  return query.map((q) => {
    const u = unit(q);
    const sims = T.map((t, i) => ({ s: t.reduce((acc, v, j) => acc + v * u[j]!, 0), c: y[i]! }));
    sims.sort((p, r) => r.s - p.s);
    const votes = new Map<number, [number, number]>();
    for (const { s, c } of sims.slice(0, k)) {
      const [v, ss] = votes.get(c) ?? [0, 0];
      votes.set(c, [v + 1, ss + s]);
    }
    return [...votes.entries()].sort((p, r) => r[1][0] - p[1][0] || r[1][1] - p[1][1] || p[0] - r[0])[0]![0];
  });
}

describe('knnClassify / knnAccuracy', () => {
  const rng = new Rng(3);
  const train = gaussianMixture({ numClasses: 4, dim: 6, perClass: 30, separation: 2, std: 1 }, rng);
  const test = gaussianMixture({ numClasses: 4, dim: 6, perClass: 20, std: 1, means: train.means }, rng);
  const rows = (d: { x: Float32Array; dim: number; n: number }) =>
    Array.from({ length: d.n }, (_, i) => Array.from(d.x.subarray(i * d.dim, (i + 1) * d.dim)));

  it('matches a brute-force float64 reference (k = 20, cosine, majority)', () => {
    const xt = tf.tensor2d(train.x, [train.n, train.dim]),
      xq = tf.tensor2d(test.x, [test.n, test.dim]);
    const pred = knnClassify(xt, train.labels, xq, { k: 20, chunkSize: 7 });
    const ref = knnReference(rows(train), Array.from(train.labels), rows(test), 20);
    expect(Array.from(pred)).toEqual(ref);
    const acc = knnAccuracy(xt, train.labels, xq, test.labels);
    expect(acc).toBeCloseTo(accuracy(ref, test.labels), 12);
    expect(acc).toBeGreaterThan(0.6);
    tf.dispose([xt, xq]);
  });

  it('k = 1 recovers each training point, and the weightings agree on clear cases', () => {
    const xt = tf.tensor2d(train.x, [train.n, train.dim]);
    expect(knnAccuracy(xt, train.labels, xt, train.labels, { k: 1 })).toBe(1);
    for (const weighting of ['similarity', 'exponential'] as const) {
      expect(knnAccuracy(xt, train.labels, xt, train.labels, { k: 1, weighting })).toBe(1);
    }
    xt.dispose();
  });

  it('breaks vote ties by summed similarity', () => {
    const xt = tf.tensor2d([
      [1, 0],
      [0.9, 0.1],
      [0, 1],
      [0.1, 0.9],
    ]);
    const xq = tf.tensor2d([[1, 0.05]]);
    expect(Array.from(knnClassify(xt, [0, 0, 1, 1], xq, { k: 4 }))).toEqual([0]);
    expect(Array.from(knnClassify(xt, [1, 1, 0, 0], xq, { k: 4 }))).toEqual([1]);
    tf.dispose([xt, xq]);
  });

  it('leaks no tensors and rejects bad input', async () => {
    const xt = tf.tensor2d(train.x, [train.n, train.dim]),
      xq = tf.tensor2d(test.x, [test.n, test.dim]);
    expect(await tensorLeak(() => knnAccuracy(xt, train.labels, xq, test.labels, { k: 5 }))).toBe(0);
    expect(() => knnClassify(xt, train.labels.subarray(1), xq)).toThrow(/trainLabels: expected 120/);
    expect(() => knnClassify(xt, train.labels, xq, { k: 0 })).toThrow(/k/);
    expect(() => knnClassify(xt, train.labels, xq, { k: 121 })).toThrow(/k/);
    const wrongDim = tf.zeros([2, 5]);
    expect(() => knnClassify(xt, train.labels, wrongDim)).toThrow(/queryFeatures: expected 6 columns/);
    const nan = tf.tensor2d([[NaN, 1, 1, 1, 1, 1]]);
    expect(() => knnClassify(xt, train.labels, nan)).toThrow(/NaN/);
    expect(() => knnAccuracy(xt, train.labels, xq, test.labels.subarray(2))).toThrow(/testLabels/);
    expect(() => knnClassify(xt, train.labels, xq, { weighting: 'x' as 'uniform' })).toThrow(/weighting/);
    tf.dispose([xt, xq, wrongDim, nan]);
  });
});

describe('linearProbe', () => {
  it("reaches the scipy optimum of the regularised objective ('standardizedAdam' + wd)", async () => {
    const lp = golden.linear_probe;
    const N = 45,
      D = 4,
      C = 3,
      wd = 1e-2;
    const X = Array.from({ length: N }, (_, i) =>
      Array.from({ length: D }, (_, j) => Math.sin(0.37 * (i + 1) + 0.91 * (j + 1)) + (j === i % 3 ? 0.3 : 0)),
    );
    const y = Int32Array.from({ length: N }, (_, i) => i % 3);
    const x = tf.tensor2d(X);
    const r = await linearProbe(x, y, x, y, { weightDecay: wd, epochs: 400, lr: 0.1 });
    // the objective in float64 from the returned weights and train statistics
    r.featureMean!.forEach((m, j) => expect(m).toBeCloseTo(lp.mean[j], 5));
    r.featureStd!.forEach((s, j) => expect(s).toBeCloseTo(lp.std[j], 5));
    let ce = 0;
    for (let i = 0; i < N; i++) {
      const z = Array.from(
        { length: C },
        (_, c) =>
          r.bias[c]! + X[i]!.reduce((acc, v, j) => acc + ((v - lp.mean[j]) / lp.std[j]) * r.weights[j * C + c]!, 0),
      );
      const m = Math.max(...z);
      ce += m + Math.log(z.reduce((acc, v) => acc + Math.exp(v - m), 0)) - z[y[i]!]!;
    }
    const reg =
      0.5 *
      wd *
      (Array.from(r.weights).reduce((a, v) => a + v * v, 0) + Array.from(r.bias).reduce((a, v) => a + v * v, 0));
    const objective = ce / N + reg;
    expect(objective).toBeGreaterThanOrEqual(lp.objective_min - 1e-6);
    expect(Math.abs(objective - lp.objective_min) / lp.objective_min).toBeLessThan(2e-3);
    expect(r.trainAccuracy).toBe(lp.train_accuracy);
    expect(Math.abs(r.trainLoss - ce / N)).toBeLessThan(1e-4);
    x.dispose();
  });

  it('takes exactly the torch gradient of mean CE (monosemantic golden: one SGD step with lr 1)', async () => {
    const g = JSON.parse(readFileSync(new URL('./fixtures/monosemantic-linear-probe.json', import.meta.url), 'utf8'));
    const lp = g.linear_probe;
    const C = 3,
      D = g.feats[0].length;
    // torch stores W as [C, D]; the probe keeps [D, C]
    const w0 = Float32Array.from({ length: D * C }, (_, k) => lp.W[k % C][Math.floor(k / C)]);
    const x = tf.tensor2d(g.feats);
    const r = await linearProbe(x, lp.targets, x, lp.targets, {
      protocol: 'rawSgd',
      lr: 1,
      momentum: 0,
      weightDecay: 0,
      epochs: 1,
      batchSize: null,
      init: { weights: w0, bias: lp.b },
    });
    for (let j = 0; j < D; j++)
      for (let c = 0; c < C; c++) expect(w0[j * C + c]! - r.weights[j * C + c]!).toBeCloseTo(lp.grad_W[c][j], 5);
    for (let c = 0; c < C; c++) expect(lp.b[c] - r.bias[c]!).toBeCloseTo(lp.grad_b[c], 5);
    const before = await linearProbe(x, lp.targets, x, lp.targets, {
      protocol: 'rawSgd',
      epochs: 0,
      init: { weights: w0, bias: lp.b },
    });
    expect(before.trainLoss).toBeCloseTo(lp.ce, 5);
    await expect(linearProbe(x, lp.targets, x, lp.targets, { init: { weights: [1], bias: lp.b } })).rejects.toThrow(
      /init: expected weights of 6·3 = 18/,
    );
    x.dispose();
  });

  it("steps with core's Adam: the first step is lr·g/(|g| + ε) with the torch gradient (monosemantic golden)", async () => {
    const g = JSON.parse(readFileSync(new URL('./fixtures/monosemantic-linear-probe.json', import.meta.url), 'utf8'));
    const lp = g.linear_probe;
    const C = 3,
      D = g.feats[0].length,
      lr = 0.05;
    const w0 = Float32Array.from({ length: D * C }, (_, k) => lp.W[k % C][Math.floor(k / C)]);
    const x = tf.tensor2d(g.feats);
    const r = await linearProbe(x, lp.targets, x, lp.targets, {
      protocol: 'standardizedAdam',
      preprocess: 'none',
      lr,
      weightDecay: 0,
      epochs: 1,
      init: { weights: w0, bias: lp.b },
    });
    // Adam at t = 1: m̂ = g and v̂ = g², so θ moves by lr·g/(|g| + 1e-8).
    const adamStep = (grad: number) => (lr * grad) / (Math.abs(grad) + 1e-8);
    for (let j = 0; j < D; j++)
      for (let c = 0; c < C; c++)
        expect(w0[j * C + c]! - r.weights[j * C + c]!).toBeCloseTo(adamStep(lp.grad_W[c][j]), 6);
    for (let c = 0; c < C; c++) expect(lp.b[c] - r.bias[c]!).toBeCloseTo(adamStep(lp.grad_b[c]), 6);
    x.dispose();
  });

  it('separates a Gaussian mixture under every protocol, deterministically', async () => {
    const rng = new Rng(1);
    const train = gaussianMixture({ numClasses: 5, dim: 16, perClass: 60, separation: 4 }, rng);
    const test = gaussianMixture({ numClasses: 5, dim: 16, perClass: 40, means: train.means }, rng);
    const xt = tf.tensor2d(train.x, [train.n, 16]),
      xq = tf.tensor2d(test.x, [test.n, 16]);
    for (const protocol of ['standardizedAdam', 'rawSgd', 'l2Adam'] as const) {
      const r = await linearProbe(xt, train.labels, xq, test.labels, { protocol, epochs: 60 });
      expect(r.accuracy).toBeGreaterThan(0.85);
      const again = await linearProbe(xt, train.labels, xq, test.labels, { protocol, epochs: 60 });
      expect(Array.from(again.weights)).toEqual(Array.from(r.weights));
    }
    const s1 = await linearProbe(xt, train.labels, xq, test.labels, { protocol: 'rawSgd', epochs: 3, seed: 1 });
    const s2 = await linearProbe(xt, train.labels, xq, test.labels, { protocol: 'rawSgd', epochs: 3, seed: 2 });
    expect(Array.from(s1.weights)).not.toEqual(Array.from(s2.weights));
    tf.dispose([xt, xq]);
  });

  it('agrees between the wasm and cpu backends (probe weights and kNN predictions)', async () => {
    const rng = new Rng(7);
    const train = gaussianMixture({ numClasses: 4, dim: 8, perClass: 25 }, rng);
    const test = gaussianMixture({ numClasses: 4, dim: 8, perClass: 10, means: train.means }, rng);
    const run = async () => {
      const xt = tf.tensor2d(train.x, [train.n, 8]),
        xq = tf.tensor2d(test.x, [test.n, 8]);
      const probe = await linearProbe(xt, train.labels, xq, test.labels, { epochs: 30 });
      const sgd = await linearProbe(xt, train.labels, xq, test.labels, {
        protocol: 'rawSgd',
        epochs: 5,
        batchSize: 32,
      });
      const knn = knnClassify(xt, train.labels, xq, { k: 7 });
      tf.dispose([xt, xq]);
      return { probe, sgd, knn };
    };
    const wasm = await run();
    await initBackend('cpu');
    const cpu = await run();
    await initBackend('wasm');
    for (const key of ['probe', 'sgd'] as const) {
      const a = wasm[key].weights,
        b = cpu[key].weights;
      let worst = 0;
      for (let i = 0; i < a.length; i++)
        worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
      expect(worst).toBeLessThan(1e-4);
    }
    expect(Array.from(wasm.knn)).toEqual(Array.from(cpu.knn));
  });

  it('is leak-free: no tensors left, and the test set never influences training', async () => {
    const rng = new Rng(2);
    const train = gaussianMixture({ numClasses: 3, dim: 5, perClass: 20 }, rng);
    const xt = tf.tensor2d(train.x, [train.n, 5]);
    const testA = tf.randomNormal([10, 5], 0, 1, 'float32', 1),
      testB = tf.randomNormal([30, 5], 100, 50, 'float32', 2);
    const yA = new Int32Array(10),
      yB = new Int32Array(30).fill(2);
    let a: Awaited<ReturnType<typeof linearProbe>> | undefined, b: typeof a;
    const leaked = await tensorLeak(async () => {
      a = await linearProbe(xt, train.labels, testA, yA, { epochs: 20 });
      b = await linearProbe(xt, train.labels, testB, yB, { epochs: 20, protocol: 'rawSgd' });
      b = await linearProbe(xt, train.labels, testB, yB, { epochs: 20 });
    });
    expect(leaked).toBe(0);
    expect(Array.from(b!.weights)).toEqual(Array.from(a!.weights));
    expect(Array.from(b!.featureMean!)).toEqual(Array.from(a!.featureMean!));
    expect(b!.trainAccuracy).toBe(a!.trainAccuracy);
    tf.dispose([xt, testA, testB]);
  });

  it('rejects bad input with named messages', async () => {
    const x = tf.ones([4, 3]),
      xq = tf.ones([2, 3]),
      bad = tf.ones([2, 4]);
    const y = [0, 1, 0, 1],
      yq = [0, 1];
    await expect(linearProbe(x, [0, 1], xq, yq)).rejects.toThrow(/trainLabels: expected 4/);
    await expect(linearProbe(x, y, bad, yq)).rejects.toThrow(/testFeatures: expected 3 columns/);
    await expect(linearProbe(x, y, xq, [0])).rejects.toThrow(/testLabels: expected 2/);
    await expect(linearProbe(x, [0, 1, -1, 0], xq, yq)).rejects.toThrow(/trainLabels/);
    await expect(linearProbe(x, y, xq, yq, { lr: 0 })).rejects.toThrow(/lr/);
    await expect(linearProbe(x, y, xq, yq, { epochs: -1 })).rejects.toThrow(/epochs/);
    await expect(linearProbe(x, y, xq, yq, { protocol: 'x' as 'rawSgd' })).rejects.toThrow(/protocol/);
    await expect(linearProbe(x, y, xq, yq, { numClasses: 1 })).rejects.toThrow(/numClasses/);
    // One stray label (99) must not make a 100-way probe: refused unless numClasses says so.
    await expect(linearProbe(x, [0, 1, 99, 1], xq, yq)).rejects.toThrow(
      /trainLabels: class ids 0 … 99 inferred from the largest label, but 97 of them never occur/,
    );
    await expect(linearProbe(x, y, xq, [0, 5])).rejects.toThrow(/never occur in trainLabels \(e.g. 2, 3, 4, 5\)/);
    const wide = await linearProbe(x, [0, 1, 99, 1], xq, yq, { numClasses: 100, epochs: 1 });
    expect(wide.accuracy).toBeGreaterThanOrEqual(0);
    const nan = tf.tensor2d([
      [NaN, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    await expect(linearProbe(nan, y, xq, yq)).rejects.toThrow(/NaN/);
    const empty = tf.zeros([0, 3]);
    await expect(linearProbe(empty, [], xq, yq)).rejects.toThrow(/at least 1 row/);
    tf.dispose([x, xq, bad, nan, empty]);
  });
});
