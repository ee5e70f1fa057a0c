import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LabError,
  contrastiveCrossEntropy,
  contrastiveLogits,
  cosineSimilarityMatrix,
  flatten,
  flattenViews,
  gradCheck,
  initBackend,
  l2Normalize,
  labelPositiveMask,
  maskDiagonal,
  maxRelativeError,
  ntXentLoss,
  offDiagonalLogSoftmax,
  tensorLeak,
  tf,
  viewPositiveMask,
} from '@lab/core';
import golden from './fixtures/contrastive-golden.json' with { type: 'json' };

const caseA = golden.batch_2views;
const caseB = golden.batch_12_single_view;

function valueAndGrad(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor): { loss: number; grad: Float32Array } {
  return tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad(f)(x);
    return { loss: value.dataSync()[0]!, grad: grad.dataSync() as Float32Array };
  });
}

/** SupCon through the shared pieces (τ_base = τ), as the symnce package composes it. */
function supCon(z: tf.Tensor, labels: number[], tau: number): tf.Scalar {
  return tf.tidy(() => contrastiveCrossEntropy(contrastiveLogits(z as tf.Tensor2D, tau), labelPositiveMask(labels)));
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`contrastive core (${backend})`, () => {
    let zA: tf.Tensor2D;
    let zB: tf.Tensor2D;
    beforeAll(async () => {
      await initBackend(backend);
      zA = tf.tensor2d(caseA.Z);
      zB = tf.tensor2d(caseB.Z);
    });
    afterAll(() => {
      zA.dispose();
      zB.dispose();
    });

    it('matches the golden cosine-similarity matrix (1e-6 absolute)', () => {
      const s = tf.tidy(() => cosineSimilarityMatrix(zA).dataSync());
      expect(maxRelativeError(s, flatten(caseA.cosine_similarity), 1e-6).error).toBe(0);
    });

    it('matches the golden NT-Xent loss and gradient ([2B, D] view-major and [B, 2, D])', () => {
      const { loss, grad } = valueAndGrad((x) => ntXentLoss(x, { temperature: caseA.tau }), zA);
      expect(Math.abs(loss - caseA.ntxent_simclr.loss) / caseA.ntxent_simclr.loss).toBeLessThan(1e-5);
      expect(maxRelativeError(grad, flatten(caseA.ntxent_simclr.grad_Z), 1e-4).error).toBe(0);
      // [B, V, D]: item b, view v is row v·B + b of the view-major matrix.
      const byItem = tf.tidy(() => tf.stack([zA.slice([0, 0], [4, 5]), zA.slice([4, 0], [4, 5])], 1));
      const loss3 = tf.tidy(() => ntXentLoss(byItem, caseA.tau).dataSync()[0]!);
      byItem.dispose();
      expect(Math.abs(loss3 - caseA.ntxent_simclr.loss) / caseA.ntxent_simclr.loss).toBeLessThan(1e-5);
    });

    it('matches the golden SupCon loss and gradient through contrastiveCrossEntropy', () => {
      const { loss, grad } = valueAndGrad((x) => supCon(x, caseA.labels, caseA.tau), zA);
      expect(Math.abs(loss - caseA.supcon.loss) / caseA.supcon.loss).toBeLessThan(1e-5);
      expect(maxRelativeError(grad, flatten(caseA.supcon.grad_Z), 1e-4).error).toBe(0);
      const b = valueAndGrad((x) => supCon(x, caseB.labels, caseB.tau), zB);
      expect(Math.abs(b.loss - caseB.supcon.loss) / caseB.supcon.loss).toBeLessThan(1e-5);
      expect(maxRelativeError(b.grad, flatten(caseB.supcon.grad_Z), 1e-3).error).toBeLessThan(1e-3);
    });

    it('handles the temperature sweep (1e-4 relative)', () => {
      for (const [tau, want] of Object.entries(caseA.supcon_tau_sweep)) {
        const got = tf.tidy(() => supCon(zA, caseA.labels, Number(tau)).dataSync()[0]!);
        expect(Math.abs(got - want) / want).toBeLessThan(1e-4);
      }
    });

    it('passes a finite-difference gradient check', () => {
      const x = tf.tensor2d(caseA.Z);
      const result = gradCheck((z) => ntXentLoss(z, 0.5), [x], { epsilon: 1e-2, tolerance: 2e-2 });
      x.dispose();
      expect(result.passed).toBe(true);
    });

    it('gives offDiagonalLogSoftmax a correct closed-form gradient under arbitrary downstream weights', () => {
      const logits = tf.tensor2d([
        [0.3, -1.2, 0.8, 2.0],
        [1.1, 0.4, -0.7, 0.2],
        [-0.5, 0.9, 1.7, -1.1],
        [0.6, -0.2, 0.1, 0.9],
      ]);
      const weights = tf.tensor2d([
        [1, 2, -1, 0.5],
        [0.3, 1, 1, -2],
        [2, -0.5, 1, 1],
        [1, 1, 0.7, 1],
      ]);
      const f = (l: tf.Tensor) =>
        tf.sum(tf.mul(tf.maximum(offDiagonalLogSoftmax(l as tf.Tensor2D), -50), weights)) as tf.Scalar;
      const result = gradCheck(f, [logits], { epsilon: 1e-2, tolerance: 1e-2 });
      const diag = tf.tidy(() => tf.grad(f)(logits).dataSync());
      tf.dispose([logits, weights]);
      expect(result.passed).toBe(true);
      expect([diag[0], diag[5], diag[10], diag[15]]).toEqual([0, 0, 0, 0]);
    });

    it('is invariant to row scaling and to permuting items consistently in both views', () => {
      const base = tf.tidy(() => ntXentLoss(zA, 0.5).dataSync()[0]!);
      const scaled = tf.tidy(
        () => ntXentLoss(zA.mul(tf.tensor2d([[3], [0.5], [2], [7], [1], [4], [0.2], [9]])), 0.5).dataSync()[0]!,
      );
      expect(Math.abs(scaled - base)).toBeLessThan(1e-5);
      const perm = [2, 0, 3, 1];
      const idx = [...perm, ...perm.map((p) => p + 4)];
      const permuted = tf.tidy(() => ntXentLoss(tf.gather(zA, idx), 0.5).dataSync()[0]!);
      expect(Math.abs(permuted - base)).toBeLessThan(1e-5);
    });

    it('builds masks, views and normalisation as documented', () => {
      tf.tidy(() => {
        expect(Array.from(viewPositiveMask(2, 2).dataSync())).toEqual([0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0]);
        expect(Array.from(labelPositiveMask([0, 1, 0]).dataSync())).toEqual([0, 0, 1, 0, 0, 0, 1, 0, 0]);
        const x = tf.tensor3d([
          [
            [1, 0],
            [2, 0],
          ],
          [
            [0, 1],
            [0, 2],
          ],
        ]); // [B=2, V=2, D=2]
        expect(Array.from(flattenViews(x).dataSync())).toEqual([1, 0, 0, 1, 2, 0, 0, 2]);
        const n = l2Normalize(
          tf.tensor2d([
            [3, 4],
            [0, 0],
          ]),
        );
        expect(Array.from(n.dataSync())).toEqual(Array.from(new Float32Array([0.6, 0.8, 0, 0])));
        const m = maskDiagonal(
          tf.tensor2d([
            [1, 2],
            [3, 4],
          ]),
        );
        expect(Array.from(m.dataSync())).toEqual([-1e9, 2, 3, -1e9]);
        const lp = offDiagonalLogSoftmax(
          tf.tensor2d([
            [5, 0, 0],
            [0, 5, 0],
            [0, 0, 5],
          ]),
        );
        expect(lp.dataSync()[1]).toBeCloseTo(Math.log(0.5), 6);
      });
    });

    it('gives a finite gradient on a zero row', () => {
      const x = tf.tensor2d([
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ]);
      const warn = console.warn;
      console.warn = () => {};
      const { grad } = valueAndGrad((z) => ntXentLoss(z, 0.5), x);
      console.warn = warn;
      x.dispose();
      expect(Array.from(grad).every(Number.isFinite)).toBe(true);
    });

    it('leaks no tensors', async () => {
      expect(await tensorLeak(() => ntXentLoss(zA, 0.5).dispose())).toBe(0);
      expect(await tensorLeak(() => valueAndGrad((x) => ntXentLoss(x, 0.5), zA))).toBe(0);
    });

    it('rejects invalid input with a LabError naming the argument', () => {
      const bad = (f: () => unknown, pattern: RegExp) => {
        expect(f).toThrow(LabError);
        expect(f).toThrow(pattern);
      };
      tf.tidy(() => {
        bad(() => ntXentLoss(tf.ones([4])), /features: expected a 2-D/);
        bad(() => ntXentLoss(tf.ones([3, 2])), /features: expected an even number of rows/);
        bad(() => ntXentLoss(tf.ones([1, 2])), /features: expected at least 2 rows/);
        bad(() => ntXentLoss(tf.ones([2, 1, 2])), /features: expected at least 2 views/);
        bad(
          () =>
            ntXentLoss(
              tf.tensor2d([
                [1, NaN],
                [1, 1],
              ]),
            ),
          /features: expected finite values, found NaN at row 0/,
        );
        bad(() => ntXentLoss(tf.ones([2, 2]), { temperature: 0 }), /temperature: expected a number > 0, got 0/);
        bad(() => ntXentLoss(tf.ones([2, 2], 'int32')), /features: expected dtype float32, got int32/);
      });
    });
  });
}
