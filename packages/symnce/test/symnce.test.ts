import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flatten, gradCheck, initBackend, maxRelativeError, tensorLeak, tf } from '@lab/core';
import {
  LINEAR_MIN_TEMPERATURE,
  ntXentLoss,
  nnPositiveMask,
  pairStats,
  pairwiseLosses,
  revNceLoss,
  rinceLoss,
  supConLoss,
  symNceLoss,
} from '../src/index.js';
import golden from './fixtures/symnce.json' with { type: 'json' };

type Golden = { loss: number; grad_Z: number[][] };
const [caseA, caseB, caseC] = golden.cases as unknown as [
  Record<string, any>,
  Record<string, any>,
  Record<string, any>,
];

function valueAndGrad(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor): { loss: number; grad: Float32Array } {
  return tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad(f)(x);
    return { loss: value.dataSync()[0]!, grad: grad.dataSync() as Float32Array };
  });
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

function expectGolden(
  got: { loss: number; grad: Float32Array },
  want: Golden,
  gradTol: { abs?: number; rel?: number },
) {
  expect(relative(got.loss, want.loss)).toBeLessThan(1e-5);
  if (gradTol.abs !== undefined) {
    const expected = flatten(want.grad_Z);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got.grad[i]! - expected[i]!));
    expect(worst).toBeLessThan(gradTol.abs);
  } else {
    // relative to the largest gradient entry (entries near 0 have no meaningful relative error)
    const expected = flatten(want.grad_Z);
    const scale = Math.max(...Array.from(expected, Math.abs));
    expect(maxRelativeError(got.grad, expected, scale * 1e-3).error).toBeLessThan(gradTol.rel!);
  }
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`golden losses and gradients (${backend})`, () => {
    let zA: tf.Tensor2D;
    let zB: tf.Tensor2D;
    let zC: tf.Tensor2D;
    beforeAll(async () => {
      await initBackend(backend);
      zA = tf.tensor2d(caseA.Z);
      zB = tf.tensor2d(caseB.Z);
      zC = tf.tensor2d([caseC.anchor, caseC.positive, ...caseC.negatives]);
    });
    afterAll(() => tf.dispose([zA, zB, zC]));

    const tauA = caseA.tau as number;
    const betaA = caseA.beta as number;
    const cases: [string, (x: tf.Tensor) => tf.Scalar][] = [
      ['supcon', (x) => supConLoss(x, caseA.labels, { temperature: tauA })],
      ['supcon_base_tau_0.07', (x) => supConLoss(x, caseA.labels, { temperature: tauA, baseTemperature: 0.07 })],
      ['ntxent_simclr', (x) => ntXentLoss(x, { temperature: tauA })],
      ['revnce_linear', (x) => revNceLoss(x, caseA.labels, { temperature: tauA, revForm: 'linear' })],
      ['revnce_mae', (x) => revNceLoss(x, caseA.labels, { temperature: tauA, revForm: 'mae' })],
      ['symnce_linear', (x) => symNceLoss(x, caseA.labels, { temperature: tauA, beta: betaA, revForm: 'linear' })],
      ['symnce_mae', (x) => symNceLoss(x, caseA.labels, { temperature: tauA, beta: betaA, revForm: 'mae' })],
    ];
    for (const [name, f] of cases) {
      it(`batch_2views ${name}: loss 1e-5 relative, gradient 1e-4 absolute`, () => {
        expectGolden(valueAndGrad(f, zA), caseA[name] as Golden, { abs: 1e-4 });
      });
    }

    it('batch_2views as [B, V, D] with labels [B] gives the same SupCon and SymNCE (loss and gradient)', () => {
      const byItem = tf.tidy(() => tf.stack([zA.slice([0, 0], [4, 5]), zA.slice([4, 0], [4, 5])], 1)); // [4, 2, 5]
      const items = (caseA.labels as number[]).slice(0, 4);
      for (const [name, f] of [
        ['supcon', (x: tf.Tensor) => supConLoss(x, items, { temperature: tauA })],
        [
          'symnce_mae',
          (x: tf.Tensor) => symNceLoss(x, tf.tensor1d(items, 'int32'), { temperature: tauA, beta: betaA }),
        ],
      ] as const) {
        const got = tf.tidy(() => {
          const { value, grad } = tf.valueAndGrad(f)(byItem);
          // [B, V, D] gradient back to the golden's view-major [V·B, D] rows
          return { loss: value.dataSync()[0]!, grad: tf.transpose(grad, [1, 0, 2]).dataSync() as Float32Array };
        });
        expectGolden(got, caseA[name] as Golden, { abs: 1e-4 });
      }
      byItem.dispose();
    });

    it('temperature sweeps match (1e-4 relative; linear RevNCE at τ = 0.1 is ≈ 1497)', () => {
      const warn = console.warn;
      console.warn = () => {};
      for (const [tau, want] of Object.entries(caseA.revnce_linear_tau_sweep as Record<string, number>)) {
        const got = tf.tidy(
          () => revNceLoss(zA, caseA.labels, { temperature: Number(tau), revForm: 'linear' }).dataSync()[0]!,
        );
        expect(relative(got, want)).toBeLessThan(1e-4);
      }
      console.warn = warn;
      for (const [tau, want] of Object.entries(caseA.supcon_tau_sweep as Record<string, number>)) {
        const got = tf.tidy(() => supConLoss(zA, caseA.labels, { temperature: Number(tau) }).dataSync()[0]!);
        expect(relative(got, want)).toBeLessThan(1e-4);
      }
    });

    const casesB: [string, (x: tf.Tensor) => tf.Scalar][] = [
      ['supcon', (x) => supConLoss(x, caseB.labels, { temperature: 0.2 })],
      ['revnce_linear', (x) => revNceLoss(x, caseB.labels, { temperature: 0.2, revForm: 'linear' })],
      ['revnce_mae', (x) => revNceLoss(x, caseB.labels, { temperature: 0.2, revForm: 'mae' })],
      ['symnce_linear', (x) => symNceLoss(x, caseB.labels, { temperature: 0.2, beta: 1, revForm: 'linear' })],
    ];
    for (const [name, f] of casesB) {
      it(`batch_12_single_view ${name}: loss 1e-5 relative, gradient 1e-3 relative`, () => {
        expectGolden(valueAndGrad(f, zB), caseB[name] as Golden, { rel: 1e-3 });
      });
    }

    it('single_anchor: pairwiseLosses match infonce / revnce_linear / revnce_mae with gradients', () => {
      const d = caseC.D as number;
      const split = (x: tf.Tensor) =>
        pairwiseLosses(
          x.slice([0, 0], [1, d]).reshape([d]),
          x.slice([1, 0], [1, d]).reshape([d]),
          x.slice([2, 0], [-1, d]) as tf.Tensor2D,
          0.5,
        );
      for (const [key, pick] of [
        ['infonce', 'infoNce'],
        ['revnce_linear', 'revNceLinear'],
        ['revnce_mae', 'revNceMae'],
      ] as const) {
        const got = valueAndGrad((x) => tf.tidy(() => split(x)[pick]), zC);
        expect(relative(got.loss, caseC[key].loss)).toBeLessThan(1e-5);
        expect(maxRelativeError(got.grad, flatten(caseC[key].grad_rows_anchor_pos_negs), 1e-5).error).toBeLessThan(
          1e-4,
        );
      }
    });

    it('single_anchor: rinceLoss (through a one-anchor positive mask) matches both RINCE settings', () => {
      const labels = [0, 1, 2, 3, 4, 5, 6];
      const m = caseC.M as number;
      for (const [key, q, lambda] of [
        ['rince_q0.1_lam0.01', 0.1, 0.01],
        ['rince_q1_lam_1_over_M_plus_1', 1, 1 / (m + 1)],
      ] as const) {
        const mask = tf.tidy(
          () =>
            tf.oneHot(tf.tensor1d([1], 'int32'), 7).pad([
              [0, 6],
              [0, 0],
            ]) as tf.Tensor2D,
        ); // P(0) = {1}
        const got = valueAndGrad((x) => rinceLoss(x, labels, { temperature: 0.5, q, lambda, positiveMask: mask }), zC);
        mask.dispose();
        expect(relative(got.loss, caseC[key].loss)).toBeLessThan(1e-5);
        expect(maxRelativeError(got.grad, flatten(caseC[key].grad_rows_anchor_pos_negs), 1e-5).error).toBeLessThan(
          1e-4,
        );
      }
    });

    it('theory identities: RINCE(q=1, λ=1/(M+1)) = M/(M+1)·RevNCE-linear; positive-slot sums', () => {
      const id = caseC.identity_check_rince_q1_vs_revnce_linear;
      expect(relative(id.rince_q1, id.M_over_M1_times_revnce_linear)).toBeLessThan(1e-10);
      const cands = [caseC.positive, ...caseC.negatives] as number[][];
      const sums = { infoNce: 0, revNceLinear: 0, revNceMae: 0 };
      tf.tidy(() => {
        for (let j = 0; j < cands.length; j++) {
          const others = cands.filter((_, k) => k !== j);
          const r = pairwiseLosses(tf.tensor1d(caseC.anchor), tf.tensor1d(cands[j]!), tf.tensor2d(others), 0.5);
          sums.infoNce += r.infoNce.dataSync()[0]!;
          sums.revNceLinear += r.revNceLinear.dataSync()[0]!;
          sums.revNceMae += r.revNceMae.dataSync()[0]!;
        }
      });
      expect(Math.abs(sums.revNceLinear)).toBeLessThan(1e-5);
      expect(Math.abs(sums.revNceMae - caseC.M)).toBeLessThan(1e-5);
      expect(relative(sums.infoNce, caseC.sum_over_positive_slot.infonce)).toBeLessThan(1e-5);
      expect(relative(sums.revNceMae, caseC.sum_over_positive_slot.revnce_mae)).toBeLessThan(1e-5);
    });
  });
}

describe('properties', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('pairStats matches the golden values (1e-12)', () => {
    for (const [key, v] of Object.entries(golden.pair_stats.values)) {
      const [, c, eta] = /C=(\d+),eta=([\d.]+)/.exec(key)!;
      const got = pairStats(Number(c), Number(eta));
      expect(Math.abs(got.qPlus - v.q_plus)).toBeLessThan(1e-12);
      expect(Math.abs(got.qMinus - v.q_minus)).toBeLessThan(1e-12);
    }
  });

  it('passes finite-difference gradient checks for every loss', () => {
    const x = tf.tensor2d(caseB.Z);
    const fns: [string, (z: tf.Tensor) => tf.Scalar][] = [
      ['supcon', (z) => supConLoss(z, caseB.labels, { temperature: 0.5 })],
      ['symnce mae', (z) => symNceLoss(z, caseB.labels, { temperature: 0.5, beta: 1 })],
      ['symnce linear', (z) => symNceLoss(z, caseB.labels, { temperature: 0.5, beta: 0.2, revForm: 'linear' })],
      ['rince', (z) => rinceLoss(z, caseB.labels, { temperature: 0.5 })],
    ];
    for (const [name, f] of fns) {
      const r = gradCheck(f, [x], { epsilon: 1e-2, tolerance: 2e-2 });
      expect(r.passed, `${name}: max error ${r.maxError}`).toBe(true);
    }
    x.dispose();
  });

  it('is invariant to a row permutation (with labels permuted alike) and to positive row scaling', () => {
    const x = tf.tensor2d(caseB.Z);
    const labels = caseB.labels as number[];
    const perm = [5, 2, 11, 0, 7, 3, 9, 1, 10, 4, 8, 6];
    const scales = tf.tensor2d(perm.map((p) => [0.3 + p]));
    tf.tidy(() => {
      for (const f of [
        (z: tf.Tensor, y: number[]) => supConLoss(z, y, { temperature: 0.3 }),
        (z: tf.Tensor, y: number[]) => symNceLoss(z, y, { temperature: 0.3 }),
        (z: tf.Tensor, y: number[]) => symNceLoss(z, y, { temperature: 0.3, revForm: 'linear', beta: 0.2 }),
        (z: tf.Tensor, y: number[]) => rinceLoss(z, y, { temperature: 0.3 }),
      ]) {
        const base = f(x, labels).dataSync()[0]!;
        const permuted = f(
          tf.gather(x, perm),
          perm.map((p) => labels[p]!),
        ).dataSync()[0]!;
        const scaled = f(tf.mul(x, scales), labels).dataSync()[0]!;
        expect(relative(permuted, base)).toBeLessThan(1e-5);
        expect(relative(scaled, base)).toBeLessThan(1e-5);
      }
    });
    tf.dispose([x, scales]);
  });

  it('handles anchors without positives as documented (checked against a float64 host reference)', () => {
    const z = (caseB.Z as number[][]).map((r) => {
      const n = Math.hypot(...r);
      return r.map((v) => v / n);
    });
    const labels = [0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7]; // rows 8..11 have no positive
    const tau = 0.5;
    let total = 0;
    let revTotal = 0;
    let valid = 0;
    for (let i = 0; i < 12; i++) {
      const logit = z.map((zj) => zj.reduce((s, v, d) => s + v * z[i]![d]!, 0) / tau);
      const logZ = Math.log(logit.reduce((s, v, j) => (j === i ? s : s + Math.exp(v)), 0));
      const pos = labels.map((y, j) => (j !== i && y === labels[i] ? j : -1)).filter((j) => j >= 0);
      if (pos.length === 0) continue; // SupCon: contributes 0 but counts; RevNCE: left out
      total += -pos.reduce((s, p) => s + logit[p]! - logZ, 0) / pos.length;
      revTotal += 1 - pos.reduce((s, p) => s + Math.exp(logit[p]! - logZ), 0) / pos.length;
      valid++;
    }
    tf.tidy(() => {
      const x = tf.tensor2d(caseB.Z);
      expect(relative(supConLoss(x, labels, { temperature: tau }).dataSync()[0]!, total / 12)).toBeLessThan(1e-5);
      expect(relative(revNceLoss(x, labels, { temperature: tau }).dataSync()[0]!, revTotal / valid)).toBeLessThan(1e-5);
      // RevNCE with no valid anchor is exactly 0.
      expect(revNceLoss(x.slice([0, 0], [3, -1]), [0, 1, 2], { temperature: 0.5 }).dataSync()[0]).toBe(0);
      expect(() => supConLoss(x, labels, { onNoPositive: 'throw' })).toThrow(
        /labels: expected every anchor to have a positive.*row 8/,
      );
    });
  });

  it('nnPositiveMask keeps only near positives and plugs into supConLoss', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([
        [1, 0],
        [0.9, 0.1],
        [-1, 0.05],
        [0, 1],
      ]);
      const labels = [0, 0, 0, 1];
      expect(Array.from(nnPositiveMask(x, labels, { threshold: 0.5 }).dataSync())).toEqual([
        0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      ]);
      expect(Array.from(nnPositiveMask(x, labels, { k: 1 }).dataSync())).toEqual([
        0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      ]);
      const mask = nnPositiveMask(x, labels, { threshold: 0.5 });
      const filtered = supConLoss(x, labels, { temperature: 0.5, positiveMask: mask }).dataSync()[0]!;
      expect(Number.isFinite(filtered)).toBe(true);
      expect(() => nnPositiveMask(x, labels, {})).toThrow(/exactly one of threshold or k/);
    });
  });

  it('leaks no tensors (forward and backward)', async () => {
    const x = tf.tensor2d(caseA.Z);
    for (const f of [
      (z: tf.Tensor) => supConLoss(z, caseA.labels, { temperature: 0.5 }),
      (z: tf.Tensor) => symNceLoss(z, caseA.labels, { temperature: 0.5 }),
      (z: tf.Tensor) => symNceLoss(z, caseA.labels, { temperature: 0.5, revForm: 'linear' }),
      (z: tf.Tensor) => rinceLoss(z, caseA.labels),
    ]) {
      expect(await tensorLeak(() => f(x).dispose())).toBe(0);
      expect(await tensorLeak(() => valueAndGrad(f, x))).toBe(0);
    }
    const [a, p, n] = [tf.tensor1d([1, 0]), tf.tensor1d([1, 1]), tf.tensor2d([[0, 1]])];
    expect(await tensorLeak(() => tf.dispose(Object.values(pairwiseLosses(a, p, n, 0.5))))).toBe(0);
    tf.dispose([x, a, p, n]);
  });

  it('stays finite in float32 at the edges of the documented ranges (issue 15)', () => {
    const warn = console.warn;
    console.warn = () => {};
    const x = tf.tensor2d(caseB.Z);
    const labels = caseB.labels as number[];
    const edges: [string, (z: tf.Tensor) => tf.Scalar][] = [
      ['linear at τ = 1/80', (z) => symNceLoss(z, labels, { temperature: LINEAR_MIN_TEMPERATURE, revForm: 'linear' })],
      ['mae at τ = 1e-3', (z) => symNceLoss(z, labels, { temperature: 1e-3 })],
      ['supcon at τ = 1e-3', (z) => supConLoss(z, labels, { temperature: 1e-3 })],
      ['rince q = 1 at τ = 1/80', (z) => rinceLoss(z, labels, { temperature: LINEAR_MIN_TEMPERATURE, q: 1 })],
      ['rince q = 0.1 at τ = 1/800', (z) => rinceLoss(z, labels, { temperature: LINEAR_MIN_TEMPERATURE / 10 })],
    ];
    for (const [name, f] of edges) {
      const got = valueAndGrad(f, x);
      expect(Number.isFinite(got.loss), name).toBe(true);
      expect(Array.from(got.grad).every(Number.isFinite), name).toBe(true);
    }
    console.warn = warn;
    expect(() => symNceLoss(x, labels, { temperature: 0.01, revForm: 'linear' })).toThrow(/>= 0.0125/);
    expect(() => symNceLoss(x, labels, { temperature: 0.01, revForm: 'linear', beta: 0 })).not.toThrow();
    x.dispose();
  });

  it('warns (does not throw) on a zero-norm row and keeps finite gradients', () => {
    const warn = console.warn;
    console.warn = () => {};
    const x = tf.tensor2d([
      [0, 0, 0],
      [1, 0, 0],
      [0, 1, 0],
      [1, 1, 0],
    ]);
    const got = valueAndGrad((z) => symNceLoss(z, [0, 0, 1, 1], { temperature: 0.5 }), x);
    console.warn = warn;
    x.dispose();
    expect(Number.isFinite(got.loss)).toBe(true);
    expect(Array.from(got.grad).every(Number.isFinite)).toBe(true);
  });
});
