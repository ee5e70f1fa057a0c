import { readFileSync } from 'node:fs';
import { LabError, flatten, gradCheck, initBackend, maxRelativeError, tensorLeak, tf } from '@lab/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GRADIENT_SHARE_FLOOR,
  difficultPairLoss,
  editGradientShare,
  editLogits,
  ntXentLoss,
  quantile,
  selectDifficultPairs,
  spectralContrastiveLoss,
  type DifficultLossOptions,
} from '../src/index.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/difficult-examples.json', import.meta.url), 'utf8'));
const params = golden.params as { tau: number; sigma: number; rho: number; posHigh: number; posLow: number };
const H = () => tf.tensor2d(golden.H as number[][]);
const Z = () => tf.tensor2d(golden.Z as number[][]);

function lossAndGrad(P: tf.Tensor2D | null, options: Partial<DifficultLossOptions>) {
  const z = Z();
  const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => difficultPairLoss(x as tf.Tensor2D, P, options))(z);
  const out = { loss: value.dataSync()[0]!, grad: grad.dataSync().slice() };
  tf.dispose([z, value, grad]);
  return out;
}

describe('difficult-pair selection (Eq. 12) against the golden file', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('matches the primary variant (global, positive excluded) exactly', () => {
    const ref = golden.selection['global_excludePositive=true'];
    const h = H();
    const sel = selectDifficultPairs(h, { posHigh: params.posHigh, posLow: params.posLow });
    expect(Array.from(sel.P.dataSync())).toEqual(Array.from(flatten(ref.P)));
    expect(sel.numSelected).toBe(84);
    expect(Math.abs((sel.simPosHigh as number) - ref.sim_posHigh)).toBeLessThan(1e-5);
    expect(Math.abs((sel.simPosLow as number) - ref.sim_posLow)).toBeLessThan(1e-5);
    tf.dispose([h, sel.P]);
  });

  for (const key of ['global_excludePositive=false', 'row_excludePositive=true', 'row_excludePositive=false']) {
    it(`matches ${key} (P exact away from thresholds, thresholds 1e-5)`, () => {
      const ref = golden.selection[key];
      const [scope, excl] = key.split('_excludePositive=') as ['global' | 'row', string];
      const h = H();
      const sel = selectDifficultPairs(h, {
        posHigh: params.posHigh,
        posLow: params.posLow,
        scope,
        excludePositive: excl === 'true',
      });
      const n = 12;
      const his: number[] = scope === 'global' ? Array(n).fill(ref.sim_posHigh) : ref.sim_posHigh_per_row;
      const los: number[] = scope === 'global' ? Array(n).fill(ref.sim_posLow) : ref.sim_posLow_per_row;
      const gotHi = scope === 'global' ? Array(n).fill(sel.simPosHigh) : Array.from(sel.simPosHigh as Float32Array);
      const gotLo = scope === 'global' ? Array(n).fill(sel.simPosLow) : Array.from(sel.simPosLow as Float32Array);
      for (let i = 0; i < n; i++) {
        expect(Math.abs(gotHi[i] - his[i]!)).toBeLessThan(1e-5);
        expect(Math.abs(gotLo[i] - los[i]!)).toBeLessThan(1e-5);
      }
      const C = golden.selection_cosine_H as number[][];
      const P = sel.P.arraySync();
      let compared = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const c = C[i]![j]!;
          if (Math.abs(c - his[i]!) < 1e-6 || Math.abs(c - los[i]!) < 1e-6) continue; // the spec's documented skip
          expect(P[i]![j], `P[${i}][${j}]`).toBe(ref.P[i][j]);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(110);
      tf.dispose([h, sel.P]);
    });
  }

  it('never selects the diagonal or (by default) the positive pair', () => {
    const h = tf.randomNormal([16, 5], 0, 1, 'float32', 3) as tf.Tensor2D;
    const sel = selectDifficultPairs(h, { posHigh: 0.01, posLow: 1 });
    const P = sel.P.arraySync();
    for (let i = 0; i < 16; i++) {
      expect(P[i]![i]).toBe(0);
      expect(P[i]![(i + 8) % 16]).toBe(0);
    }
    tf.dispose([h, sel.P]);
  });

  it('quantile follows torch.quantile (linear interpolation)', () => {
    const v = Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6]);
    expect(quantile(v, 0)).toBe(1);
    expect(quantile(v, 1)).toBe(9);
    // sorted 1 1 2 3 4 5 6 9; pos = 0.3·7 = 2.1 → 2 + 0.1·(3 − 2)
    expect(quantile(v, 0.3)).toBeCloseTo(2.1, 12);
    expect(() => quantile(v, 1.5)).toThrow(LabError);
  });
});

describe('edited NT-Xent losses (Eqs. 13–16) against the golden file', () => {
  let P: tf.Tensor2D;
  let Prow: tf.Tensor2D;
  beforeAll(async () => {
    await initBackend('wasm');
    P = tf.tensor2d(golden.selection['global_excludePositive=true'].P);
    Prow = tf.tensor2d(golden.selection['row_excludePositive=true'].P);
  });
  const ref = () => golden.losses_with_P_global_excludePositive;
  const base = () => ({ temperature: params.tau, sigma: params.sigma, rho: params.rho });

  const cases: [string, DifficultLossOptions['mode']][] = [
    ['ntxent', 'ntxent'],
    ['remove_eq13', 'remove'],
    ['margin_eq14', 'margin'],
    ['temperature_eq15', 'temperature'],
    ['combined_eq16', 'combined'],
  ];
  for (const [key, mode] of cases) {
    it(`${key}: loss to 1e-5 relative, gradient w.r.t. raw z to 1e-4 absolute`, () => {
      const { loss, grad } = lossAndGrad(P, { ...base(), mode });
      expect(Math.abs(loss - ref()[key].loss) / Math.abs(ref()[key].loss)).toBeLessThan(1e-5);
      expect(maxRelativeError(grad, flatten(ref()[key].grad_Z), 1e-4).error).toBe(0);
    });
  }

  it('row-scope mask, combined edit', () => {
    const r = golden.losses_with_P_row_excludePositive.combined_eq16;
    const { loss, grad } = lossAndGrad(Prow, { ...base(), mode: 'combined' });
    expect(Math.abs(loss - r.loss) / r.loss).toBeLessThan(1e-5);
    expect(maxRelativeError(grad, flatten(r.grad_Z), 1e-4).error).toBe(0);
  });

  it('ntXentLoss equals the golden NT-Xent and ignores P', () => {
    const z = Z();
    const a = ntXentLoss(z, params.tau);
    expect(Math.abs(a.dataSync()[0]! - ref().ntxent.loss) / ref().ntxent.loss).toBeLessThan(1e-5);
    const b = difficultPairLoss(z, null, { ...base(), mode: 'combined' });
    expect(b.dataSync()[0]).toBeCloseTo(a.dataSync()[0]!, 6);
    tf.dispose([z, a, b]);
  });

  it('identity: temperature with ρ = 1e9 equals removal (golden value and our removal)', () => {
    const t = lossAndGrad(P, { ...base(), mode: 'temperature', rho: 1e9 });
    const r = lossAndGrad(P, { ...base(), mode: 'remove' });
    expect(Math.abs(t.loss - ref().temperature_rho_1e9_equals_remove) / t.loss).toBeLessThan(1e-5);
    expect(Math.abs(t.loss - r.loss) / r.loss).toBeLessThan(1e-5);
    expect(maxRelativeError(t.grad, r.grad, 1e-5).error).toBe(0);
  });

  // Issue 17: the share of the gradient each custom edit carries, against the golden file's float64 gradients.
  const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((a, x) => a + x * x, 0));
  const goldenShare = (key: string) => {
    const g = flatten(ref()[key].grad_Z);
    const n = flatten(ref().ntxent.grad_Z);
    return norm(Array.from(g, (x, i) => x - n[i]!)) / norm(g);
  };
  for (const [key, mode] of cases.slice(1)) {
    it(`editGradientShare (${mode}) equals ‖∇L_edit − ∇L_NT-Xent‖ / ‖∇L_edit‖ of the golden gradients`, () => {
      const z = Z();
      const s = editGradientShare(z, P, { ...base(), mode });
      const expected = goldenShare(key);
      expect(Math.abs(s.share - expected)).toBeLessThan(1e-4);
      expect(s.totalNorm).toBeCloseTo(norm(flatten(ref()[key].grad_Z)), 4);
      expect(s.ntxentNorm).toBeCloseTo(norm(flatten(ref().ntxent.grad_Z)), 4);
      z.dispose();
    });
  }

  it('editGradientShare: the paper defaults carry more than the 5 % floor here; no edit carries 0; no leaks', async () => {
    const z = Z();
    // Golden batch with the paper's σ = 0.1, ρ = 0.7: combined well above the floor, the margin alone below it.
    expect(editGradientShare(z, P, { ...base(), mode: 'combined' }).share).toBeGreaterThan(GRADIENT_SHARE_FLOOR);
    expect(goldenShare('combined_eq16')).toBeGreaterThan(GRADIENT_SHARE_FLOOR);
    const zeros = tf.zerosLike(P) as tf.Tensor2D;
    expect(editGradientShare(z, zeros, { ...base(), mode: 'combined' }).share).toBeLessThan(1e-6);
    expect(editGradientShare(z, P, { ...base(), mode: 'combined', sigma: 0, rho: 1 }).share).toBeLessThan(1e-5);
    expect(editGradientShare(z, P, { ...base(), mode: 'ntxent' }).share).toBe(0);
    expect(await tensorLeak(() => editGradientShare(z, P, { ...base(), mode: 'combined' }))).toBe(0);
    tf.dispose([z, zeros]);
  });

  it('identity: σ = 0, ρ = 1 reduces margin, temperature and combined to NT-Xent', () => {
    const nt = lossAndGrad(P, { ...base(), mode: 'ntxent' });
    for (const mode of ['margin', 'temperature', 'combined'] as const) {
      const e = lossAndGrad(P, { ...base(), mode, sigma: 0, rho: 1 });
      expect(Math.abs(e.loss - nt.loss)).toBeLessThan(1e-6);
      expect(maxRelativeError(e.grad, nt.grad, 1e-6).error).toBe(0);
    }
  });

  it('removal gives difficult pairs no gradient: z_j only reaches anchor i through non-difficult pairs', () => {
    // With every off-positive pair difficult, removal leaves only s_{i,pos(i)}: the loss is mean(log(e^{s/τ} + 2B − 2) − s/τ).
    const n = 12;
    const allDifficult = tf.tidy(() =>
      tf
        .ones([n, n])
        .sub(tf.eye(n))
        .sub(tf.oneHot(tf.tensor1d([6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5], 'int32'), n).toFloat()),
    );
    const z = Z();
    const loss = difficultPairLoss(z, allDifficult as tf.Tensor2D, { mode: 'remove', temperature: 0.5 });
    const zn = tf.tidy(() => z.div(z.norm('euclidean', 1, true)).arraySync() as number[][]);
    let expected = 0;
    for (let i = 0; i < n; i++) {
      const s = zn[i]!.reduce((a, v, k) => a + v * zn[(i + 6) % n]![k]!, 0) / 0.5;
      expected += Math.log(Math.exp(s) + (n - 2)) - s;
    }
    expect(loss.dataSync()[0]).toBeCloseTo(expected / n, 5);
    tf.dispose([allDifficult, z, loss]);
  });

  it('finite-difference gradient check of the combined loss', () => {
    const z = Z();
    const res = gradCheck((x) => difficultPairLoss(x as tf.Tensor2D, P, { ...base(), mode: 'combined' }), [z], {
      epsilon: 1e-2,
      tolerance: 2e-2,
    });
    expect(res.passed).toBe(true);
    z.dispose();
  });

  it('editLogits applies Eqs. 13–16 entrywise', () => {
    const S = tf.tensor2d([
      [1, 0.5],
      [0.5, 1],
    ]);
    const M = tf.tensor2d([
      [0, 1],
      [0, 0],
    ]);
    const o = { temperature: 0.5, sigma: 0.1, rho: 0.7 };
    const at = (mode: DifficultLossOptions['mode']) => {
      const L = editLogits(S, M, { ...o, mode });
      const v = L.arraySync();
      L.dispose();
      return v;
    };
    expect(at('remove')[0]![1]).toBe(0);
    expect(at('remove')[1]![0]).toBeCloseTo(1, 6);
    expect(at('margin')[0]![1]).toBeCloseTo((0.5 + 0.1) / 0.5, 6);
    expect(at('temperature')[0]![1]).toBeCloseTo(0.5 / (0.7 * 0.5), 6);
    expect(at('combined')[0]![1]).toBeCloseTo(0.6 / 0.35, 6);
    expect(at('combined')[1]![0]).toBeCloseTo(1, 6);
    tf.dispose([S, M]);
  });

  it('spectral contrastive loss on un-normalised features', () => {
    const r = golden.spectral_contrastive_unnormalised_Z;
    const z = Z();
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => spectralContrastiveLoss(x as tf.Tensor2D))(z);
    expect(Math.abs(value.dataSync()[0]! - r.loss) / r.loss).toBeLessThan(1e-5);
    expect(maxRelativeError(grad.dataSync(), flatten(r.grad_Z), 1e-4).error).toBe(0);
    tf.dispose([z, value, grad]);
  });

  it('leaves no tensors behind', async () => {
    const z = Z();
    const h = H();
    const leaked = await tensorLeak(() => {
      const sel = selectDifficultPairs(h);
      for (const mode of ['ntxent', 'remove', 'margin', 'temperature', 'combined'] as const)
        difficultPairLoss(z, sel.P, { mode }).dispose();
      tf.grad((x: tf.Tensor) => difficultPairLoss(x as tf.Tensor2D, sel.P))(z).dispose();
      const S = tf.eye(12) as tf.Tensor2D;
      editLogits(S, sel.P).dispose();
      S.dispose();
      spectralContrastiveLoss(z).dispose();
      sel.P.dispose();
    });
    expect(leaked).toBe(0);
    tf.dispose([z, h]);
  });
});

describe('invalid input → LabError naming the argument', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('selection options', () => {
    const h = H();
    expect(() => selectDifficultPairs(h, { posHigh: 0 })).toThrow(/posHigh/);
    expect(() => selectDifficultPairs(h, { posHigh: 1 })).toThrow(/posHigh/);
    expect(() => selectDifficultPairs(h, { posLow: 1.2 })).toThrow(/posLow/);
    expect(() => selectDifficultPairs(h, { posLow: 0 })).toThrow(/posLow/);
    expect(() => selectDifficultPairs(h, { posHigh: 0.5, posLow: 0.5 })).toThrow(/posHigh < posLow/);
    expect(() => selectDifficultPairs(h, { posHigh: Number.NaN })).toThrow(LabError);
    expect(() => selectDifficultPairs(h, { scope: 'column' as never })).toThrow(/scope/);
    h.dispose();
  });

  it('batches: odd rows, empty, wrong rank, NaN / Inf', () => {
    const odd = tf.ones([5, 3]) as tf.Tensor2D;
    const empty = tf.zeros([0, 3]) as tf.Tensor2D;
    const rank1 = tf.ones([4]);
    const nan = tf.tensor2d([
      [1, Number.NaN],
      [0, 1],
    ]);
    const inf = tf.tensor2d([
      [1, Number.POSITIVE_INFINITY],
      [0, 1],
    ]);
    expect(() => selectDifficultPairs(odd)).toThrow(/h: expected an even number of rows/);
    expect(() => difficultPairLoss(odd, null)).toThrow(/z: expected an even number of rows/);
    expect(() => difficultPairLoss(empty, null)).toThrow(/z: expected a non-empty/);
    expect(() => difficultPairLoss(rank1 as never, null)).toThrow(/z: expected a 2-D/);
    expect(() => difficultPairLoss(nan, null)).toThrow(/z: expected finite values/);
    expect(() => selectDifficultPairs(inf)).toThrow(/h: expected finite values/);
    expect(() => spectralContrastiveLoss(odd)).toThrow(/f: expected an even/);
    tf.dispose([odd, empty, rank1, nan, inf]);
  });

  it('loss options and P', () => {
    const z = Z();
    const P = tf.zeros([12, 12]) as tf.Tensor2D;
    const wrong = tf.zeros([10, 10]) as tf.Tensor2D;
    const half = tf.fill([12, 12], 0.5) as tf.Tensor2D;
    expect(() => difficultPairLoss(z, P, { temperature: 0 })).toThrow(/temperature/);
    expect(() => difficultPairLoss(z, P, { rho: 0 })).toThrow(/rho/);
    expect(() => difficultPairLoss(z, P, { rho: -1 })).toThrow(/rho/);
    expect(() => difficultPairLoss(z, P, { sigma: -0.1 })).toThrow(/sigma/);
    expect(() => difficultPairLoss(z, P, { sigma: Number.POSITIVE_INFINITY })).toThrow(/sigma/);
    expect(() => difficultPairLoss(z, P, { mode: 'hard' as never })).toThrow(/mode/);
    expect(() => difficultPairLoss(z, wrong, {})).toThrow(/P: expected shape \[12, 12\]/);
    expect(() => difficultPairLoss(z, half, {})).toThrow(/P: expected entries in \{0, 1\}/);
    expect(() => editLogits(tf.zeros([3, 4]) as tf.Tensor2D, P)).toThrow(/S: expected a square/);
    tf.dispose([z, P, wrong, half]);
  });
});

describe('cross-check on the cpu backend (selection thresholds and float32 softmax are backend-sensitive)', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('selection and the combined loss match the golden values on cpu too', () => {
    const ref = golden.selection['global_excludePositive=true'];
    const h = H();
    const sel = selectDifficultPairs(h, { posHigh: params.posHigh, posLow: params.posLow });
    expect(Array.from(sel.P.dataSync())).toEqual(Array.from(flatten(ref.P)));
    const r = golden.losses_with_P_global_excludePositive.combined_eq16;
    const { loss, grad } = lossAndGrad(sel.P, {
      temperature: params.tau,
      sigma: params.sigma,
      rho: params.rho,
      mode: 'combined',
    });
    expect(Math.abs(loss - r.loss) / r.loss).toBeLessThan(1e-5);
    expect(maxRelativeError(grad, flatten(r.grad_Z), 1e-4).error).toBe(0);
    tf.dispose([h, sel.P]);
  });
});
