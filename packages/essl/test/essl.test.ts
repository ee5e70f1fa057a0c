import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, flatten, gradCheck, initBackend, maxRelativeError, tensorLeak, tf } from '@lab/core';
import golden from './fixtures/essl.json' with { type: 'json' };
import {
  applyTask,
  cosineLrFactor,
  gaussianBlur,
  gaussianKernel1d,
  gradReverse,
  grayscale3,
  hflip,
  invert,
  jigsaw,
  modeLosses,
  ntXent,
  permutationRank,
  rot90,
  transformationLoss,
  vflip,
  undoTask,
  JIGSAW_PERMUTATIONS,
} from '../src/index.js';

/** CHW (golden) → NHWC [1, H, W, C]. */
const chw = (a: unknown) =>
  tf.tidy(() => (tf.tensor(a as number[][][]).transpose([1, 2, 0]) as tf.Tensor3D).expandDims(0) as tf.Tensor4D);
/** NHWC → CHW values of image 0, for comparison with the golden arrays. */
const toChw = (t: tf.Tensor) => tf.tidy(() => (t as tf.Tensor4D).squeeze([0]).transpose([2, 0, 1]).dataSync().slice());
const close = (actual: ArrayLike<number>, expected: unknown, rtol = 1e-5) =>
  expect(maxRelativeError(actual, flatten(expected), 1e-6).error).toBeLessThan(rtol);

const T = golden.transforms;
const H = golden.heads;

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`transforms (golden, ${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('rot90 is counter-clockwise and exact for k = 0..3 (and k mod 4)', () => {
      const x = chw(T.img);
      for (const k of [0, 1, 2, 3]) {
        const y = rot90(x, k);
        expect(Array.from(toChw(y))).toEqual(Array.from(Float32Array.from(flatten(T.rot90[String(k) as '0']))));
        y.dispose();
      }
      const y5 = rot90(x, 5),
        y1 = rot90(x, 1);
      expect(Array.from(y5.dataSync())).toEqual(Array.from(y1.dataSync()));
      tf.dispose([x, y5, y1]);
    });

    it('flips, inversion and luma match', () => {
      const x = chw(T.img);
      for (const [fn, key] of [
        [hflip, 'hflip'],
        [vflip, 'vflip'],
        [invert, 'invert'],
        [grayscale3, 'grayscale3'],
      ] as const) {
        const y = fn(x);
        close(toChw(y), T[key]);
        y.dispose();
      }
      x.dispose();
    });

    it('gaussianKernel1d and gaussianBlur (separable, reflect padding) match', () => {
      const x = chw(T.img8);
      for (const [k, s] of [
        [5, 1.0],
        [9, 1.5],
        [15, 2.0],
      ] as const) {
        const key = `k${k}_s${s.toFixed(1)}` as 'k5_s1.0';
        close(gaussianKernel1d(k, s), T.gauss_kernel[key]);
        const y = gaussianBlur(x, k, s);
        close(toChw(y), T.blur[key]);
        y.dispose();
      }
      x.dispose();
    });

    it('jigsaw and permutationRank match (lexicographic labels)', () => {
      const x = chw(T.jigsaw_input);
      const y = jigsaw(x, T.jigsaw.perm as [number, number, number, number]);
      expect(Array.from(toChw(y))).toEqual(Array.from(flatten(T.jigsaw.output)));
      expect(permutationRank(T.jigsaw.perm)).toBe(T.jigsaw.label);
      for (const [perm, label] of Object.entries(T.jigsaw.label_of))
        expect(permutationRank(perm.split(',').map(Number))).toBe(label);
      JIGSAW_PERMUTATIONS.forEach((p, i) => expect(permutationRank([...p])).toBe(i));
      tf.dispose([x, y]);
    });
  });
}

describe('pretext tasks', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  const batch = () => tf.tensor4d(new Rng(3).uniformArray(12 * 16 * 16 * 3), [12, 16, 16, 3]);

  it('applyTask applies T_r per image exactly, with the exact inverse where there is one', () => {
    const x = batch();
    const exact: Record<string, (img: tf.Tensor4D, r: number) => tf.Tensor4D> = {
      rotation: (img, r) => rot90(img, r),
      hflip: (img, r) => (r ? hflip(img) : img.clone()),
      vflip: (img, r) => (r ? vflip(img) : img.clone()),
      invert: (img, r) => (r ? invert(img) : img.clone()),
      grayscale: (img, r) => (r ? grayscale3(img) : img.clone()),
      jigsaw: (img, r) => jigsaw(img, [...JIGSAW_PERMUTATIONS[r]!] as [number, number, number, number]),
      blur: (img, r) => (r ? gaussianBlur(img, [5, 9, 15][r - 1]!, [0.6, 1.0, 1.6][r - 1]!) : img.clone()),
    };
    const K: Record<string, number> = { rotation: 4, hflip: 2, vflip: 2, invert: 2, grayscale: 2, jigsaw: 24, blur: 4 };
    for (const [task, T_r] of Object.entries(exact)) {
      const { x: y, r } = applyTask(task as 'rotation', x, new Rng(1), { blurKernels: [5, 9, 15] });
      const labels = r.dataSync();
      expect(r.dtype).toBe('int32');
      expect(labels.every((v) => v >= 0 && v < K[task]!)).toBe(true);
      for (let n = 0; n < 12; n++) {
        const img = tf.slice(x, [n, 0, 0, 0], [1, -1, -1, -1]);
        const want = T_r(img, labels[n]!);
        const got = tf.slice(y, [n, 0, 0, 0], [1, -1, -1, -1]);
        expect(maxRelativeError(got.dataSync(), want.dataSync()).error, `${task} image ${n}`).toBeLessThan(1e-6);
        // exact inverses: rot90 by 4 − r, a second flip / inversion
        if (task === 'rotation') {
          const back = rot90(got as tf.Tensor4D, 4 - labels[n]!);
          expect(Array.from(back.dataSync())).toEqual(Array.from(img.dataSync()));
          back.dispose();
        }
        tf.dispose([img, want, got]);
      }
      tf.dispose([y, r]);
    }
    x.dispose();
  });

  it('undoTask is the exact inverse of T_r for rotation, flips, inversion and jigsaw (lossy tasks refuse)', () => {
    const x = batch();
    for (const task of ['none', 'rotation', 'hflip', 'vflip', 'invert', 'jigsaw'] as const) {
      const { x: y, r } = applyTask(task, x, new Rng(2));
      const back = undoTask(task, y, r);
      expect(maxRelativeError(back.dataSync(), x.dataSync()).error, task).toBeLessThan(1e-6);
      tf.dispose([y, r, back]);
    }
    expect(() => undoTask('blur', x, new Int32Array(12))).toThrow(/lossy/);
    x.dispose();
  });

  it('draws every label of a task (uniform r)', () => {
    const x = tf.zeros([400, 4, 4, 1]) as tf.Tensor4D;
    const { x: y, r } = applyTask('rotation', x, new Rng(0));
    const counts = [0, 0, 0, 0];
    for (const v of r.dataSync()) counts[v]!++;
    expect(Math.min(...counts)).toBeGreaterThan(70);
    tf.dispose([x, y, r]);
  });

  it('leaves no tensors behind', async () => {
    const x = batch();
    for (const task of ['rotation', 'blur', 'jigsaw', 'none'] as const)
      expect(
        await tensorLeak(() => tf.dispose(Object.values(applyTask(task, x, new Rng(0), { blurKernels: [3, 5, 5] })))),
      ).toBe(0);
    x.dispose();
  });
});

describe('losses (golden)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('ntXent matches both variants, value and gradient', () => {
    const x = tf.tensor2d(golden.nt_xent.x);
    for (const variant of ['standard', 'repoClamped'] as const) {
      const ref = variant === 'standard' ? golden.nt_xent.standard : golden.nt_xent.repo_clamped;
      const loss = ntXent(x, { temperature: golden.nt_xent.t, variant });
      expect(loss.dataSync()[0]).toBeCloseTo(ref.loss, 5);
      const g = tf.grad((z: tf.Tensor) => ntXent(z as tf.Tensor2D, { variant }))(x);
      close(g.dataSync(), ref.grad, 1e-4);
      tf.dispose([loss, g]);
    }
    x.dispose();
  });

  /** The heads of the golden file: rep = relu(f W1ᵀ + b1) W2ᵀ + b2, class logits = f Wcᵀ + bc. */
  function heads() {
    const W1 = tf.tensor2d(H.W1),
      b1 = tf.tensor1d(H.b1),
      W2 = tf.tensor2d(H.W2),
      b2 = tf.tensor1d(H.b2),
      Wc = tf.tensor2d(H.Wc),
      bc = tf.tensor1d(H.bc);
    const f = tf.tensor2d(H.feature);
    const r = tf.tensor1d(H.rot_labels, 'int32'),
      y = tf.tensor1d(H.class_labels, 'int32');
    const rot = (h: tf.Tensor2D, w1: tf.Tensor) =>
      tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(h, w1, false, true), b1)), W2, false, true), b2) as tf.Tensor2D;
    const cls = (h: tf.Tensor2D, wc: tf.Tensor) => tf.add(tf.matMul(h, wc, false, true), bc) as tf.Tensor2D;
    return { W1, Wc, f, r, y, rot, cls, all: [W1, b1, W2, b2, Wc, bc, f, r, y] };
  }

  it('transformationLoss is the rotation CE of the golden head', () => {
    const h = heads();
    const loss = transformationLoss(h.rot(h.f, h.W1), h.r);
    expect(loss.dataSync()[0]).toBeCloseTo(H.rot_only.rot_loss, 5);
    tf.dispose([loss, ...h.all]);
  });

  for (const [mode, key, opts] of [
    ['normal', 'rot_only', {}],
    ['normal', 'online_probe', { onlineProbe: true }],
    ['add', 'add', {}],
    ['eliminate', 'eliminate', {}],
    ['eliminate', 'eliminate', { faithful: true }],
  ] as const) {
    it(`modeLosses '${mode}' ${JSON.stringify(opts)} matches ${key}: losses, ∇feature, ∇W1, ∇Wc`, () => {
      const h = heads();
      const ref = H[key];
      const run = (f: tf.Tensor, w1: tf.Tensor, wc: tf.Tensor) =>
        modeLosses(
          f as tf.Tensor2D,
          (v) => h.rot(v, w1),
          (v) => h.cls(v, wc),
          h.r,
          h.y,
          { mode, lambda: 1, ...opts },
        );
      const m = run(h.f, h.W1, h.Wc);
      expect(m.rotLoss.dataSync()[0]).toBeCloseTo(ref.rot_loss, 5);
      expect(m.clsLoss.dataSync()[0]).toBeCloseTo(ref.cls_loss, 5);
      expect(m.objective.dataSync()[0]).toBeCloseTo(ref.total, 5);
      // rot_only: CE(cls) never reaches the loss, so ∇Wc is zero (tf.grads refuses a parameter off the path)
      const [gf, gw1, gwc] =
        key === 'rot_only'
          ? [...tf.grads((f: tf.Tensor, w1: tf.Tensor) => run(f, w1, h.Wc).loss)([h.f, h.W1]), tf.zerosLike(h.Wc)]
          : tf.grads((f: tf.Tensor, w1: tf.Tensor, wc: tf.Tensor) => run(f, w1, wc).loss)([h.f, h.W1, h.Wc]);
      close(gf!.dataSync(), ref.grad_feature, 1e-4);
      close(gw1!.dataSync(), ref.grad_W1, 1e-4);
      // the classifier: untouched in normal; minimises CE(cls) under gradient reversal (= add's ∇Wc);
      // faithful eliminate pushes it up the CE (the golden `eliminate` ∇Wc of CE(rot) − CE(cls))
      if (key === 'rot_only') expect(Math.max(...Array.from(gwc!.dataSync(), Math.abs))).toBe(0);
      else if (mode === 'eliminate' && !('faithful' in opts)) close(gwc!.dataSync(), H.add.grad_Wc, 1e-4);
      else close(gwc!.dataSync(), ref.grad_Wc, 1e-4);
      tf.dispose([m.rotLoss, m.clsLoss, m.loss, m.objective, gf!, gw1!, gwc!, ...h.all]);
    });
  }

  it('the class term carries a real share of the encoder gradient in add and eliminate', () => {
    const h = heads();
    const grad = (mode: 'normal' | 'add' | 'eliminate') =>
      tf.grad(
        (f: tf.Tensor) =>
          modeLosses(
            f as tf.Tensor2D,
            (v) => h.rot(v, h.W1),
            (v) => h.cls(v, h.Wc),
            h.r,
            h.y,
            { mode, lambda: 1 },
          ).loss,
      )(h.f);
    const [gn, ga, ge] = [grad('normal'), grad('add'), grad('eliminate')];
    const share = (g: tf.Tensor) => tf.tidy(() => tf.norm(tf.sub(g, gn)).dataSync()[0]! / tf.norm(g).dataSync()[0]!);
    expect(share(ga)).toBeGreaterThan(0.1);
    expect(share(ge)).toBeGreaterThan(0.1);
    // and the reversal flips exactly that share
    const sum = tf.tidy(() => tf.sub(tf.add(ga, ge), tf.mul(gn, 2)).abs().max().dataSync()[0]!);
    expect(sum).toBeLessThan(1e-6);
    tf.dispose([gn, ga, ge, ...h.all]);
  });

  it('gradReverse: identity forward, −λ·g backward (finite differences)', () => {
    const x = tf.tensor2d([
      [0.3, -0.7, 1.1],
      [0.5, 0.2, -0.4],
    ]);
    const w = tf.tensor2d([
      [0.2, -0.1, 0.4],
      [0.7, 0.3, -0.5],
    ]);
    const y = gradReverse(x, 0.5);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    // f(x) = Σ w·x² through the reversal has gradient −λ·2wx: gradCheck the reversed f against −λ·f's numeric gradient
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(w, tf.square(gradReverse(v, 0.5)))))(x);
    const plain = (v: tf.Tensor) => tf.mul(tf.sum(tf.mul(w, tf.square(v))), -0.5) as tf.Scalar;
    expect(gradCheck(plain, [x]).passed).toBe(true);
    const g2 = tf.grad(plain)(x);
    expect(maxRelativeError(g.dataSync(), g2.dataSync()).error).toBeLessThan(1e-6);
    // gradCheck straight through the custom gradient: the numeric side sees the identity, so it must differ by −λ
    const reversed = gradCheck((v) => tf.mul(tf.sum(tf.mul(w, tf.square(gradReverse(v, 1)))), -1) as tf.Scalar, [x]);
    expect(reversed.passed).toBe(false);
    tf.dispose([x, w, y, g, g2]);
  });

  it('cosineLrFactor and the faithful double-scaled lr match the golden schedule', () => {
    const { steps, factor, effective_lr } = golden.lr_schedule;
    steps.forEach((s, i) => {
      expect(cosineLrFactor(s, 1000, 0.6, 1e-3)).toBeCloseTo(factor[i]!, 12);
      expect(0.6 * cosineLrFactor(s, 1000, 0.6, 1e-3)).toBeCloseTo(effective_lr[i]!, 12);
    });
  });
});
