import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, flatten, gradCheck, initBackend, maxRelativeError, tf } from '@lab/core';
import golden from './fixtures/essl.json' with { type: 'json' };
import { C4BatchNorm, C4GroupConv, C4LiftConv, c4Act, c4GroupPool, equivarianceResidual, rot90 } from '../src/index.js';

const G = golden.c4;
/** torch NCHW → tfjs NHWC. */
const nchw = (a: unknown) => tf.tidy(() => tf.tensor(a as number[][][][]).transpose([0, 2, 3, 1]) as tf.Tensor4D);
/** tfjs NHWC → NCHW values. */
const toNchw = (t: tf.Tensor) => tf.tidy(() => t.transpose([0, 3, 1, 2]).dataSync().slice());
/** torch [O, I, kh, kw] → tfjs [kh, kw, I, O] values. */
const toTorchKernel = (t: tf.Tensor) => tf.tidy(() => t.transpose([3, 2, 0, 1]).dataSync().slice());
const close = (actual: ArrayLike<number>, expected: unknown, rtol = 1e-5) =>
  expect(maxRelativeError(actual, flatten(expected), 1e-6).error).toBeLessThan(rtol);

function goldenLayers() {
  const lift = new C4LiftConv(2, 2);
  lift.weight.assign(tf.tensor(G.w_lift).transpose([2, 3, 1, 0])); // [O, I, 3, 3] → [3, 3, I, O]
  const group = new C4GroupConv(2, 2);
  group.weight.assign(tf.tensor(G.w_group).transpose([3, 4, 1, 2, 0])); // [O, I, 4, 3, 3] → [3, 3, I, 4, O]
  const one = new C4GroupConv(2, 3, { kernel: 1, stride: 2 });
  one.weight.assign(tf.tensor(G.w_1x1).transpose([1, 2, 0]).reshape([1, 1, 2, 4, 3])); // [O, I, 4] → [1, 1, I, 4, O]
  return { lift, group, one, dispose: () => [lift, group, one].forEach((m) => m.dispose()) };
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`C4 layers (golden, ${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('expands the lifting, group and 1×1 kernels as group_op.py', () => {
      const { lift, group, one, dispose } = goldenLayers();
      for (const [layer, key] of [
        [lift, 'expanded_lift'],
        [group, 'expanded_group'],
        [one, 'expanded_1x1'],
      ] as const) {
        const k = layer.expandedKernel();
        close(toTorchKernel(k), G[key]);
        k.dispose();
      }
      dispose();
    });

    it('lift, group conv, stride-2 1×1, group BN (training) and group pool forwards match', () => {
      const { lift, group, one, dispose } = goldenLayers();
      const x = nchw(G.input);
      const h1 = lift.apply(x);
      const h2 = group.apply(h1);
      const h3 = one.apply(h2);
      const bn = new C4BatchNorm(2);
      const hb = bn.apply(h2, true);
      const gp = c4GroupPool(h2);
      close(toNchw(h1), G.lift_out);
      close(toNchw(h2), G.group_out);
      close(toNchw(h3), G.stride2_1x1_out);
      close(toNchw(hb), G.group_bn_train_out, 1e-4);
      close(toNchw(gp), G.group_pool_out);
      tf.dispose([x, h1, h2, h3, hb, gp]);
      bn.dispose();
      dispose();
    });

    it('equivarianceResidual < 1e-5 for lift, lift + group and after group pooling', () => {
      const { lift, group, dispose } = goldenLayers();
      const x = nchw(G.input);
      expect(equivarianceResidual((v) => lift.apply(v), x)).toBeLessThan(1e-5);
      expect(equivarianceResidual((v) => group.apply(lift.apply(v)), x)).toBeLessThan(1e-5);
      expect(
        equivarianceResidual((v) => c4GroupPool(group.apply(lift.apply(v))), x, { action: 'spatial' }),
      ).toBeLessThan(1e-5);
      // a plain conv is not equivariant: the residual sees it
      const w = tf.tensor4d(new Rng(1).normalArray(9 * 2 * 8), [3, 3, 2, 8]);
      expect(equivarianceResidual((v) => tf.conv2d(v, w, 1, 'same'), x)).toBeGreaterThan(1e-2);
      tf.dispose([x, w]);
      dispose();
    });
  });
}

describe('C4 layers (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('c4Act is a rot90 plus the cyclic group shift, and four of them are the identity', () => {
    const x = tf.tensor4d(new Rng(2).uniformArray(1 * 4 * 4 * 8), [1, 4, 4, 8]);
    let y = x;
    for (let i = 0; i < 4; i++) y = c4Act(y);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    const once = c4Act(x);
    const pooled = c4GroupPool(once),
      want = rot90(c4GroupPool(x), 1);
    expect(Array.from(pooled.dataSync())).toEqual(Array.from(want.dataSync()));
    tf.dispose([x, y, once, pooled, want]);
  });

  it('gradients reach the base weights through the kernel expansion (finite differences)', () => {
    const x = tf.tensor4d(new Rng(4).uniformArray(1 * 5 * 5 * 1), [1, 5, 5, 1]);
    const lift = new C4LiftConv(1, 1, { seed: 1 });
    const group = new C4GroupConv(1, 1, { seed: 2, bias: true });
    const target = tf.tensor4d(new Rng(5).normalArray(5 * 5 * 4), [1, 5, 5, 4]);
    const loss = (wl: tf.Tensor, wg: tf.Tensor) =>
      tf.tidy(() => {
        lift.weight.assign(wl);
        group.weight.assign(wg);
        return tf.sum(tf.square(tf.sub(group.apply(tf.tanh(lift.apply(x))), target))) as tf.Scalar;
      });
    // analytic gradient w.r.t. the variables, numeric by perturbing the base weights
    const wl0 = lift.weight.clone(),
      wg0 = group.weight.clone();
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.square(tf.sub(group.apply(tf.tanh(lift.apply(x))), target))) as tf.Scalar,
      [lift.weight, group.weight],
    );
    const fd = (w0: tf.Tensor, which: 'l' | 'g') => {
      const base = w0.dataSync().slice();
      let worst = 0;
      const analytic = grads[which === 'l' ? lift.weight.name : group.weight.name]!.dataSync();
      for (let i = 0; i < base.length; i += Math.max(1, Math.floor(base.length / 12))) {
        const at = (d: number) => {
          const b = base.slice();
          b[i]! += d;
          const w = tf.tensor(b, w0.shape);
          const v = which === 'l' ? loss(w, wg0) : loss(wl0, w);
          const out = v.dataSync()[0]!;
          tf.dispose([w, v]);
          return out;
        };
        const numeric = (at(1e-2) - at(-1e-2)) / 2e-2;
        worst = Math.max(worst, Math.abs(numeric - analytic[i]!) / Math.max(1, Math.abs(numeric)));
      }
      return worst;
    };
    expect(fd(wl0, 'l')).toBeLessThan(2e-2);
    expect(fd(wg0, 'g')).toBeLessThan(2e-2);
    // and the input gradient of the whole C4 block through gradCheck
    lift.weight.assign(wl0);
    group.weight.assign(wg0);
    expect(
      gradCheck((v) => tf.sum(tf.square(group.apply(tf.tanh(lift.apply(v as tf.Tensor4D))))) as tf.Scalar, [x]).passed,
    ).toBe(true);
    tf.dispose([x, target, wl0, wg0, ...Object.values(grads)]);
    lift.dispose();
    group.dispose();
  });

  it('group BN shares one mean/var per field across its 4 rotation channels', () => {
    const x = tf.tensor4d(new Rng(6).normalArray(3 * 4 * 4 * 8, 2, 3), [3, 4, 4, 8]);
    const bn = new C4BatchNorm(2);
    const y = bn.apply(x, true);
    const stats = tf.tidy(() => tf.moments(y.reshape([3, 4, 4, 2, 4]), [0, 1, 2, 4]));
    close(stats.mean.dataSync(), [0, 0]);
    expect(Math.abs(stats.variance.dataSync()[0]! - 1)).toBeLessThan(1e-3);
    const yEval = bn.apply(x, false);
    expect(yEval.shape).toEqual([3, 4, 4, 8]);
    tf.dispose([x, y, yEval, stats.mean, stats.variance]);
    bn.dispose();
  });
});
