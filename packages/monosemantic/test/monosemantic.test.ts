import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradCheck, initBackend, tensorLeak, tf } from '@lab/core';
import {
  activeDims,
  classConsistencyEval,
  clLoss,
  effectiveRank,
  monosemanticityMetrics,
  nclLoss,
  normalizedMse,
  orthogonality,
  repRelu,
  semanticConsistency,
  sparsity,
  sparsityPerSample,
  superpositionToy,
  topKDecode,
  topKEncode,
  type NclOptions,
  type TopKSAEParams,
} from '../src/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const golden: any = JSON.parse(readFileSync(new URL('./fixtures/monosemantic.json', import.meta.url), 'utf8'));

/** float32 against the float64 reference: 1e-5 relative with 1e-6 absolute near zero (spec §6), slightly widened for sums. */
function expectClose(actual: ArrayLike<number> | number, expected: unknown, rtol = 1e-4, atol = 1e-5): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = (Array.isArray(expected) ? (expected as unknown[]).flat(3) : [expected]) as number[];
  expect(a.length).toBe(e.length);
  a.forEach((v, i) => {
    if (Math.abs(v - e[i]!) > atol + rtol * Math.abs(e[i]!)) expect.fail(`entry ${i}: got ${v}, expected ${e[i]}`);
  });
}

const G = golden.contrastive;
const VARIANTS: [string, Partial<NclOptions>][] = [
  ['cl', { nonNeg: 'none', varLoss: false }],
  ['ncl_relu', { nonNeg: 'relu', varLoss: true }],
  ['ncl_relu_no_var', { nonNeg: 'relu', varLoss: false }],
  ['ncl_rep_relu', { nonNeg: 'repRelu', varLoss: true }],
];

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`golden vectors (${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });
    afterAll(async () => {
      await initBackend('wasm');
    });

    it.each(VARIANTS)('nclLoss %s: loss, parts, z and the gradient', (key, opts) => {
      const ref = G[key];
      const u = tf.tensor2d(G.z_raw) as tf.Tensor2D;
      const o = { temperature: G.temperature, ...opts };
      const out = nclLoss(u, G.index, o);
      expectClose(out.loss.dataSync()[0]!, ref.loss);
      expectClose(out.nce.dataSync()[0]!, ref.nce);
      expectClose(out.varLoss.dataSync()[0]!, ref.var_loss);
      expectClose(out.z.dataSync(), ref.z_final);
      const grad = tf.grad((x: tf.Tensor) => nclLoss(x as tf.Tensor2D, G.index, o).loss)(u);
      expectClose(grad.dataSync(), ref.grad_z_raw);
      tf.dispose([u, out.loss, out.nce, out.varLoss, out.z, grad]);
    });

    it('clLoss with multiple positives per id', () => {
      const ref = G.multi_positive;
      const u = tf.tensor2d(G.z_raw) as tf.Tensor2D;
      const loss = clLoss(u, ref.index, G.temperature);
      expectClose(loss.dataSync()[0]!, ref.loss);
      const grad = tf.grad((x: tf.Tensor) => clLoss(x as tf.Tensor2D, ref.index, G.temperature))(u);
      expectClose(grad.dataSync(), ref.grad_z_raw);
      tf.dispose([u, loss, grad]);
    });

    it('top-k SAE: pre-activations, indices (exact), latents, reconstruction, loss and gradients', () => {
      const S = golden.topk_sae;
      const params = {
        wEnc: tf.tensor2d(S.w_enc),
        bLat: tf.tensor1d(S.b_lat),
        wDec: tf.tensor2d(S.w_dec),
        bPre: tf.tensor1d(S.b_pre),
      } as TopKSAEParams;
      const x = tf.tensor2d(S.x) as tf.Tensor2D;
      const { pre, latents, indices } = topKEncode(params, x, S.k);
      expectClose(pre.dataSync(), S.pre_activations);
      expect(Array.from(indices.dataSync())).toEqual(S.topk_indices.flat());
      expectClose(latents.dataSync(), S.latents);
      const rec = topKDecode(params, latents);
      expectClose(rec.dataSync(), S.reconstruction);
      const f = (wEnc: tf.Tensor, bLat: tf.Tensor, bPre: tf.Tensor, wDec: tf.Tensor) => {
        const p = { wEnc, bLat, bPre, wDec } as TopKSAEParams;
        return normalizedMse(topKDecode(p, topKEncode(p, x, S.k).latents), x);
      };
      expectClose(f(params.wEnc, params.bLat, params.bPre, params.wDec).dataSync()[0]!, S.loss_normalized_mse);
      const grads = tf.grads(f)([params.wEnc, params.bLat, params.bPre, params.wDec]);
      expectClose(grads[0]!.dataSync(), S.grad_w_enc);
      expectClose(grads[1]!.dataSync(), S.grad_b_lat);
      expectClose(grads[2]!.dataSync(), S.grad_b_pre);
      expectClose(grads[3]!.dataSync(), S.grad_w_dec);
      const l0 = tf.tidy(() => tf.sum(tf.cast(tf.greater(latents, 0), 'int32'), 1).dataSync());
      expect(Array.from(l0)).toEqual(S.l0_per_row);
      tf.dispose([...Object.values(params), x, pre, latents, indices, rec, ...grads]);
    });

    it('linear probe layer: logits, cross-entropy and its gradient', () => {
      const P = golden.linear_probe;
      const feats = tf.tensor2d(golden.metrics.feats);
      const W = tf.tensor2d(P.W);
      const b = tf.tensor1d(P.b);
      const onehot = tf.oneHot(tf.tensor1d(P.targets, 'int32'), 3);
      const ce = (w: tf.Tensor, bias: tf.Tensor) =>
        tf.losses.softmaxCrossEntropy(onehot, tf.add(tf.matMul(feats, w, false, true), bias)) as tf.Scalar;
      const logits = tf.add(tf.matMul(feats, W, false, true), b);
      expectClose(logits.dataSync(), P.logits);
      expectClose(ce(W, b).dataSync()[0]!, P.ce);
      const [gW, gb] = tf.grads(ce)([W, b]);
      expectClose(gW!.dataSync(), P.grad_W);
      expectClose(gb!.dataSync(), P.grad_b);
      tf.dispose([feats, W, b, onehot, logits, gW!, gb!]);
    });

    it('superposition toy: h, x̂, loss and gradients', () => {
      const T = golden.superposition_toy;
      const x = tf.tensor2d(T.x) as tf.Tensor2D;
      const imp = tf.tensor1d(T.importance);
      const W = tf.tensor2d(T.W) as tf.Tensor2D;
      const b = tf.tensor1d(T.b);
      const { h, xHat, loss } = superpositionToy(x, W, b, imp);
      expectClose(h.dataSync(), T.h);
      expectClose(xHat.dataSync(), T.x_hat);
      expectClose(loss.dataSync()[0]!, T.loss);
      const [gW, gb] = tf.grads(
        (w: tf.Tensor, bias: tf.Tensor) => superpositionToy(x, w as tf.Tensor2D, bias as tf.Tensor1D, imp).loss,
      )([W, b]);
      expectClose(gW!.dataSync(), T.grad_W);
      expectClose(gb!.dataSync(), T.grad_b);
      tf.dispose([x, imp, W, b, h, xHat, loss, gW!, gb!]);
    });
  });
}

describe('monosemanticity metrics (golden)', () => {
  const M = golden.metrics;
  let feats: tf.Tensor2D;
  let dense: tf.Tensor2D;
  beforeAll(async () => {
    await initBackend('wasm');
    feats = tf.tensor2d(M.feats) as tf.Tensor2D;
    dense = tf.tensor2d(M.dense) as tf.Tensor2D;
  });
  afterAll(() => tf.dispose([feats, dense]));
  const rownorm = (x: tf.Tensor2D) =>
    tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D);

  it('semantic consistency, training and evaluation forms', () => {
    const sc = semanticConsistency(feats, M.labels);
    expectClose(sc.mean, M.semantic_consistency_feats);
    expectClose(sc.perDim, M.semantic_consistency_per_dim);
    expectClose(semanticConsistency(dense, M.labels).mean, M.semantic_consistency_dense);
    const ev = classConsistencyEval(feats, M.labels);
    expectClose(ev.accPct, M.class_consistency_eval_acc_pct);
    expectClose(ev.entropy, M.class_consistency_eval_entropy);
  });

  it('sparsity (both forms), active dims, effective rank, orthogonality', () => {
    const nf = rownorm(feats);
    const nd = rownorm(dense);
    expectClose(sparsity(nf), M.sparsity_train_feats);
    expectClose(sparsity(nd), M.sparsity_train_dense);
    expectClose(sparsityPerSample(feats), M.sparsity_eval_pct_per_sample);
    expect(activeDims(feats)).toBe(M.num_active_dims_feats);
    expectClose(effectiveRank(feats), M.effective_rank_feats);
    expectClose(effectiveRank(dense), M.effective_rank_dense);
    expectClose(orthogonality(feats), M.orthogonality_feats);
    expectClose(orthogonality(dense), M.orthogonality_dense);
    expectClose(effectiveRank(nf), M.effective_rank_rownorm_feats);
    expectClose(orthogonality(nf), M.orthogonality_rownorm_feats);
    const all = monosemanticityMetrics(feats, M.labels);
    expectClose(all.effectiveRank, M.effective_rank_rownorm_feats);
    expectClose(all.orthogonality, M.orthogonality_rownorm_feats);
    expectClose(all.sparsity, M.sparsity_train_feats);
    tf.dispose([nf, nd]);
  });
});

describe('gradients', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('repRelu: relu forward, GELU derivative backward (finite differences of the exact GELU)', () => {
    const x = tf.tensor1d([-2, -0.7, -0.1, 0.15, 0.6, 1.8]);
    expect(Array.from(repRelu(x).dataSync())).toEqual([0, 0, 0, 0.15, 0.6, 1.8].map(Math.fround));
    const gelu = (t: tf.Tensor) => tf.mul(tf.mul(0.5, t), tf.add(1, tf.erf(tf.mul(t, Math.SQRT1_2))));
    const g = tf
      .grad((t: tf.Tensor) => tf.sum(repRelu(t)))(x)
      .dataSync();
    const h = 1e-2;
    const xs = x.dataSync();
    xs.forEach((v, i) => {
      const fd =
        (tf.tidy(() => gelu(tf.scalar(v + h)).dataSync()[0]!) - tf.tidy(() => gelu(tf.scalar(v - h)).dataSync()[0]!)) /
        (2 * h);
      expect(g[i]).toBeCloseTo(fd, 3);
    });
    x.dispose();
  });

  it('nclLoss passes gradCheck (relu + var, repRelu shares its forward so its backward is the golden test)', () => {
    const u = tf.tensor2d(G.z_raw) as tf.Tensor2D;
    for (const nonNeg of ['none', 'relu'] as const)
      expect(gradCheck((x) => nclLoss(x as tf.Tensor2D, G.index, { nonNeg }).loss, [u], { epsilon: 1e-3 }).passed).toBe(
        true,
      );
    u.dispose();
  });

  it('the top-k SAE loss passes gradCheck (mask trick)', () => {
    const S = golden.topk_sae;
    const x = tf.tensor2d(S.x) as tf.Tensor2D;
    const [wEnc, bLat, bPre, wDec] = [
      tf.tensor2d(S.w_enc),
      tf.tensor1d(S.b_lat),
      tf.tensor1d(S.b_pre),
      tf.tensor2d(S.w_dec),
    ];
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => {
      const p = { wEnc: a, bLat: b, bPre: c, wDec: d } as TopKSAEParams;
      return normalizedMse(topKDecode(p, topKEncode(p, x, S.k).latents), x);
    };
    expect(gradCheck(f, [wEnc, bLat, bPre, wDec], { epsilon: 1e-3 }).passed).toBe(true);
    tf.dispose([x, wEnc, bLat, bPre, wDec]);
  });

  it('L_var carries a real share of the NCL gradient', () => {
    const u = tf.tensor2d(G.z_raw) as tf.Tensor2D;
    const norm = (opts: Partial<NclOptions>, part: 'loss' | 'varLoss') =>
      tf.tidy(
        () => tf.norm(tf.grad((x: tf.Tensor) => nclLoss(x as tf.Tensor2D, G.index, opts)[part])(u)).dataSync()[0]!,
      );
    const total = norm({ nonNeg: 'relu', varLoss: true }, 'loss');
    const variance = norm({ nonNeg: 'relu', varLoss: true }, 'varLoss');
    const nce = norm({ nonNeg: 'relu', varLoss: false }, 'loss');
    // Weak by design (|L_var| ≤ 1/√D) but not negligible: between 5 % and 100 % of the InfoNCE gradient here.
    expect(variance / nce).toBeGreaterThan(0.05);
    expect(variance / nce).toBeLessThan(1);
    expect(Math.abs(total - nce)).toBeGreaterThan(1e-3);
    u.dispose();
  });
});

describe('invariants', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('NCL codes are non-negative and an all-zero row stays zero', () => {
    const u = tf.tensor2d([
      [-1, -2, -0.5],
      [1, 2, 0.5],
      [-3, -1, -1],
      [0.5, 0.1, 2],
    ]) as tf.Tensor2D;
    const { loss, nce, varLoss, z } = nclLoss(u);
    const zv = z.arraySync();
    expect(zv.flat().every((v) => v >= 0)).toBe(true);
    expect(zv[0]).toEqual([0, 0, 0]);
    expect(Number.isFinite(loss.dataSync()[0]!)).toBe(true);
    tf.dispose([u, loss, nce, varLoss, z]);
  });

  it('nclLoss and the metrics leak no tensors', async () => {
    const u = tf.tensor2d(G.z_raw) as tf.Tensor2D;
    expect(
      await tensorLeak(() => {
        const out = nclLoss(u, G.index);
        tf.dispose([out.loss, out.nce, out.varLoss, out.z]);
        monosemanticityMetrics(u, [0, 1, 2, 3, 0, 1, 2, 3]);
      }),
    ).toBe(0);
    u.dispose();
  });
});
