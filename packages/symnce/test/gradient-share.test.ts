import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@lab/core';
import { ContrastiveEncoder, revNceLoss, reverseGradientShare, symNceLoss, trainContrastive } from '../src/index.js';

/** Float64 reference of the batch 'mass' and 'mae' reverse terms (spec §2.3 notation), straight from the formulas. */
function reference(z: number[][], labels: number[], tau: number): { mass: number; mae: number } {
  const n = z.length;
  const unit = z.map((r) => {
    const norm = Math.max(Math.hypot(...r), 1e-12);
    return r.map((v) => v / norm);
  });
  let mass = 0;
  let mae = 0;
  let valid = 0;
  for (let i = 0; i < n; i++) {
    const logits = unit.map((r, j) => (j === i ? -Infinity : r.reduce((s, v, k) => s + v * unit[i]![k]!, 0) / tau));
    const m = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - m));
    const total = e.reduce((a, b) => a + b, 0);
    const pos = labels.map((y, j) => j !== i && y === labels[i]);
    const count = pos.filter(Boolean).length;
    if (count === 0) continue;
    const onPositives = e.reduce((s, v, j) => s + (pos[j] ? v / total : 0), 0);
    mass += 1 - onPositives;
    mae += 1 - onPositives / count;
    valid++;
  }
  return { mass: mass / valid, mae: mae / valid };
}

describe("the 'mass' reverse term and the gradient share", () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  const z = Array.from({ length: 12 }, (_, i) =>
    Array.from({ length: 5 }, (_, k) => Math.sin(0.7 * (i + 1) + 1.3 * (k + 1)) + 0.2 * Math.cos(i * k)),
  );
  const labels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 1];

  it.each([0.2, 0.5, 1])("matches a float64 reference of 'mass' and 'mae' at τ = %s", (tau) => {
    const ref = reference(z, labels, tau);
    const x = tf.tensor2d(z);
    const mass = revNceLoss(x, labels, { temperature: tau, revForm: 'mass' });
    const mae = revNceLoss(x, labels, { temperature: tau, revForm: 'mae' });
    expect(mass.dataSync()[0]).toBeCloseTo(ref.mass, 5);
    expect(mae.dataSync()[0]).toBeCloseTo(ref.mae, 5);
    tf.dispose([x, mass, mae]);
  });

  it("'mass' = 1 − |P|·(1 − 'mae') when every anchor has |P| positives, and SymNCE adds it with β", () => {
    const y = [0, 1, 0, 1, 0, 1, 0, 1]; // |P(i)| = 3 for every row
    const x = tf.tensor2d(z.slice(0, 8));
    const mass = revNceLoss(x, y, { temperature: 0.5, revForm: 'mass' }).dataSync()[0]!;
    const mae = revNceLoss(x, y, { temperature: 0.5, revForm: 'mae' }).dataSync()[0]!;
    expect(mass).toBeCloseTo(1 - 3 * (1 - mae), 5);
    const sup = symNceLoss(x, y, { temperature: 0.5, beta: 0 }).dataSync()[0]!;
    const sym = symNceLoss(x, y, { temperature: 0.5, beta: 2, revForm: 'mass' }).dataSync()[0]!;
    expect(sym).toBeCloseTo(sup + 2 * mass, 5);
    x.dispose();
  });

  it("'mass' has the gradient of its formula (finite differences)", () => {
    const x0 = tf.tensor2d(z);
    const f = (x: tf.Tensor) => revNceLoss(x, labels, { temperature: 0.5, revForm: 'mass' });
    const g = tf.grad(f)(x0).arraySync() as number[][];
    const h = 1e-2;
    for (const [i, k] of [
      [0, 0],
      [3, 2],
      [11, 4],
    ] as const) {
      const plus = z.map((r) => [...r]);
      const minus = z.map((r) => [...r]);
      plus[i]![k]! += h;
      minus[i]![k]! -= h;
      const numeric = (reference(plus, labels, 0.5).mass - reference(minus, labels, 0.5).mass) / (2 * h);
      expect(g[i]![k]!).toBeCloseTo(numeric, 3);
    }
    x0.dispose();
  });

  it('measures ‖∇β·RevNCE‖/‖∇SupCon‖: linear in β, and the batch mae form carries far less than the mass form', () => {
    const encoder = new ContrastiveEncoder({
      inputDim: 16,
      hidden: [16],
      featureDim: 8,
      headHidden: 8,
      projDim: 4,
      seed: 3,
    });
    const views = tf.randomNormal([24, 16], 0, 1, 'float32', 7) as tf.Tensor2D;
    const y = Int32Array.from({ length: 24 }, (_, i) => (i % 12) % 4);
    const before = tf.memory().numTensors;
    const at = (revForm: 'linear' | 'mass' | 'mae', beta: number) =>
      reverseGradientShare(encoder, views, y, { temperature: 0.5, beta, revForm });
    for (const form of ['linear', 'mass', 'mae'] as const) {
      const one = at(form, 1);
      expect(one.supcon).toBeGreaterThan(0);
      expect(one.share).toBeGreaterThan(0);
      expect(Number.isFinite(one.share)).toBe(true);
      expect(at(form, 3).share).toBeCloseTo(3 * one.share, 6);
    }
    expect(at('mae', 1).share).toBeLessThan(at('mass', 1).share);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([views]);
    encoder.dispose();
  });

  it('trainContrastive reports the share on the first batch after warm-up (SymNCE only) and trains the oracle', async () => {
    const x = new Float32Array(32 * 16).map((_, i) => Math.sin(i * 0.37));
    const noisy = Array.from({ length: 32 }, (_, i) => i % 4);
    const truth = Array.from({ length: 32 }, (_, i) => (i % 8 < 4 ? i % 4 : (i + 1) % 4));
    const common = {
      epochs: 2,
      warmupEpochs: 1,
      batchSize: 16,
      augment: false as const,
      encoder: { hidden: [8], featureDim: 8, headHidden: 8, projDim: 4 },
    };
    const sym = await trainContrastive(
      { x: tf.tensor2d(x, [32, 16]), labels: noisy },
      { ...common, loss: 'symnce', revForm: 'mass', beta: 2, measureGradientShare: true },
    );
    expect(sym.gradientShare!.share).toBeCloseTo(sym.gradientShare!.reverse / sym.gradientShare!.supcon, 9);
    const sup = await trainContrastive(
      { x: tf.tensor2d(x, [32, 16]), labels: noisy },
      { ...common, loss: 'supcon', measureGradientShare: true },
    );
    expect(sup.gradientShare).toBeUndefined();
    const oracle = await trainContrastive(
      { x: tf.tensor2d(x, [32, 16]), labels: noisy },
      { ...common, loss: 'supcon', oracleLabels: truth },
    );
    expect(oracle.history.every(Number.isFinite)).toBe(true);
    expect(oracle.history[0]).not.toBeCloseTo(sup.history[0]!, 6); // other positives, another loss
    [sym, sup, oracle].forEach((r) => r.encoder.dispose());
  });
});
