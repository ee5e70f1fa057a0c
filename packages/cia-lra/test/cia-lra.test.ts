import { beforeAll, describe, expect, it } from 'vitest';
import { LabError, flatten, gradCheck, initBackend, maxRelativeError, tensorLeak, tf } from '@lab/core';
import { undirectedEdges } from '@lab/graph';
import {
  ciaLoss,
  ciaLraLoss,
  coralPenalty,
  groupDroLoss,
  hopMatrix,
  irmPenalty,
  lraPairs,
  neighbourLabelDist,
  vrexPenalty,
} from '../src/cia-lra.js';
import golden from './fixtures/cia_lra.json' with { type: 'json' };
import trainScope from './fixtures/lra_train_scope.json' with { type: 'json' };

const inp = golden.inputs;
const out = golden.outputs;
const N = inp.N;
const { src, dst } = undirectedEdges(inp.edges as [number, number][]);
const y = Int32Array.from(inp.y);
const env = Int32Array.from(inp.env);
const trainMask = Uint8Array.from(inp.env, (e) => (e >= 0 ? 1 : 0));
const graph = { numNodes: N, src, dst, y, numClasses: inp.C, trainMask };

/** Golden arrays with null (= Infinity / NaN) entries. */
function nullable(values: unknown): number[] {
  const flat: number[] = [];
  const walk = (v: unknown) => (Array.isArray(v) ? v.forEach(walk) : flat.push(v === null ? NaN : (v as number)));
  walk(values);
  return flat;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5) {
  const { error, index } = maxRelativeError(actual, expected, tol);
  expect(error, `worst entry ${index}: ${actual[index]} vs ${expected[index]}`).toBeLessThanOrEqual(tol);
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`cia-lra maths (${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('hopMatrix matches the golden exact (BFS) and official (walk-count quirk) matrices', () => {
      for (const [mode, key] of [
        ['exact', 'hops_exact'],
        ['official', 'hops_official'],
      ] as const) {
        const hm = hopMatrix(graph, inp.t_hops, mode);
        const expected = nullable(out[key]);
        for (let i = 0; i < N; i++) {
          for (let j = 0; j < N; j++) {
            const e = expected[i * N + j]!;
            expect(hm.get(i, j), `${mode} (${i}, ${j})`).toBe(Number.isNaN(e) ? Infinity : e);
          }
        }
      }
      const exact = hopMatrix(graph, 3, 'exact');
      const official = hopMatrix(graph, 3, 'official');
      const differ: number[][] = [];
      for (let i = 0; i < N; i++)
        for (let j = 0; j < N; j++) if (exact.get(i, j) !== official.get(i, j)) differ.push([i, j]);
      expect(differ).toEqual(out.hops_differ_at);
    });

    it('neighbourLabelDist matches golden Q (all labels)', () => {
      expectClose(neighbourLabelDist(graph, inp.L_layers, inp.C), flatten(out.Q), 1e-12);
    });

    it('neighbourLabelDist with a label mask zeroes the masked-out one-hot rows without renormalising', () => {
      const q = neighbourLabelDist(graph, 1, inp.C, trainMask);
      // Node 10 (not training, label 1) has neighbours 9 (label 0, train) and 11 (not train): Q = [1/3, 0, 0].
      expectClose(q.slice(10 * 3, 11 * 3), [1 / 3, 0, 0], 1e-12);
    });

    for (const [mode, key] of [
      ['exact', 'exact_hops'],
      ['official', 'official_hops'],
    ] as const) {
      it(`lraPairs (${mode} hops, all labels) reproduces the per-class tables element-wise`, () => {
        const pairs = lraPairs(graph, {
          hopMode: mode,
          labelScope: 'all',
          t: inp.t_hops,
          layers: inp.L_layers,
          keepThreshold: inp.keep_threshold,
        });
        const ref = out.lra[key];
        expect(pairs.keptCount).toBe(ref.kept_pairs);
        expect(pairs.perClass.map((t) => t.c)).toEqual(ref.per_class.map((t) => t.c));
        ref.per_class.forEach((rt, k) => {
          const t = pairs.perClass[k]!;
          expect(Array.from(t.i)).toEqual(rt.i);
          expect(Array.from(t.j)).toEqual(rt.j);
          expect(Array.from(t.hop)).toEqual(rt.hop);
          expectClose(t.qdiff, rt.qdiff);
          expectClose(t.qsame, rt.qsame);
          expectClose(t.raw, rt.raw);
          const w = nullable(rt.w);
          w.forEach((v, p) => (Number.isNaN(v) ? expect(t.w[p]).toBeNaN() : expect(t.w[p]!).toBeCloseTo(v, 5)));
          expect(Array.from(t.kept, Boolean)).toEqual(rt.kept);
        });
        expect(pairs.candidateCount).toBe(ref.per_class.reduce((a, t) => a + t.i.length, 0));
      });

      it(`ciaLraLoss (${mode} hops) and its gradient w.r.t. h match golden`, () => {
        const pairs = lraPairs(graph, { hopMode: mode, labelScope: 'all' });
        const h = tf.tensor2d(inp.H);
        const ref = out.lra[key];
        const loss = ciaLraLoss(h, pairs);
        expect(loss.dataSync()[0]!).toBeCloseTo(ref.loss, 5);
        const g = tf.grad((x: tf.Tensor) => ciaLraLoss(x as tf.Tensor2D, pairs))(h);
        expectClose(g.dataSync(), flatten(ref.grad_H));
        tf.dispose([h, loss, g]);
      });
    }

    it("lraPairs labelScope 'trainPairs' matches golden lra_train_nodes_only", () => {
      const pairs = lraPairs(graph, { labelScope: 'trainPairs' });
      expect(pairs.keptCount).toBe(out.lra_train_nodes_only.kept_pairs);
      const h = tf.tensor2d(inp.H);
      const loss = ciaLraLoss(h, pairs);
      expect(loss.dataSync()[0]!).toBeCloseTo(out.lra_train_nodes_only.loss, 5);
      tf.dispose([h, loss]);
    });

    it("lraPairs labelScope 'train' (default) matches the package's numpy golden (tools/lra_train_scope_golden.py)", () => {
      expectClose(neighbourLabelDist(graph, inp.L_layers, inp.C, trainMask), flatten(trainScope.Q_train), 1e-12);
      const pairs = lraPairs(graph);
      expect(pairs.options.labelScope).toBe('train');
      expect(pairs.keptCount).toBe(trainScope.kept_pairs);
      trainScope.per_class.forEach((rt, k) => {
        const t = pairs.perClass[k]!;
        expect(t.c).toBe(rt.c);
        expect(Array.from(t.i)).toEqual(rt.i);
        expect(Array.from(t.j)).toEqual(rt.j);
        expectClose(t.raw, rt.raw);
        expect(Array.from(t.kept, Boolean)).toEqual(rt.kept);
      });
      const h = tf.tensor2d(inp.H);
      const loss = ciaLraLoss(h, pairs);
      expect(loss.dataSync()[0]!).toBeCloseTo(trainScope.loss, 5);
      const g = tf.grad((x: tf.Tensor) => ciaLraLoss(x as tf.Tensor2D, pairs))(h);
      expectClose(g.dataSync(), flatten(trainScope.grad_H));
      tf.dispose([h, loss, g]);
    });

    it("lraPairs labelScope 'train' pairs only training nodes and reads no non-training label", () => {
      const pairs = lraPairs(graph, { labelScope: 'train' });
      for (let p = 0; p < pairs.keptCount; p++) {
        expect(trainMask[pairs.i[p]!]).toBe(1);
        expect(trainMask[pairs.j[p]!]).toBe(1);
      }
      // Changing the labels of the non-training nodes 10 and 11 must not change anything.
      const y2 = y.slice();
      y2[10] = 0;
      y2[11] = 1;
      const other = lraPairs({ ...graph, y: y2 }, { labelScope: 'train' });
      expect(Array.from(other.w)).toEqual(Array.from(pairs.w));
      expect(Array.from(other.i)).toEqual(Array.from(pairs.i));
    });

    it('ciaLoss and its gradient match golden', () => {
      const h = tf.tensor2d(inp.H);
      const loss = ciaLoss(h, y, env);
      expect(loss.dataSync()[0]!).toBeCloseTo(out.cia_loss, 5);
      const g = tf.grad((x: tf.Tensor) => ciaLoss(x as tf.Tensor2D, y, env))(h);
      expectClose(g.dataSync(), flatten(out.cia_grad_H));
      tf.dispose([h, loss, g]);
    });

    it('irmPenalty, vrexPenalty and their gradients w.r.t. the logits match golden', () => {
      const ref = out.irm_vrex;
      const z = tf.tensor2d(inp.Z);
      const irm = irmPenalty(z, y, env);
      expect(irm.dataSync()[0]!).toBeCloseTo(ref.irm_penalty_mean, 5);
      const vrex = vrexPenalty(z, y, env);
      expect(vrex.dataSync()[0]!).toBeCloseTo(ref.vrex_penalty_unbiased, 5);
      const vrexBiased = vrexPenalty(z, y, env, { unbiased: false });
      expect(vrexBiased.dataSync()[0]!).toBeCloseTo(ref.vrex_penalty_biased, 5);
      const gi = tf.grad((x: tf.Tensor) => irmPenalty(x as tf.Tensor2D, y, env))(z);
      expectClose(gi.dataSync(), flatten(ref.irm_penalty_grad_Z));
      const gv = tf.grad((x: tf.Tensor) => vrexPenalty(x as tf.Tensor2D, y, env))(z);
      expectClose(gv.dataSync(), flatten(ref.vrex_penalty_unbiased_grad_Z));
      tf.dispose([z, irm, vrex, vrexBiased, gi, gv]);
    });

    it('groupDroLoss is the mean env risk at η = 0 and leans to the worst env as η grows', () => {
      const z = tf.tensor2d(inp.Z);
      const risks = out.irm_vrex.per_env_loss;
      const mean = risks.reduce((a, b) => a + b, 0) / risks.length;
      const l0 = groupDroLoss(z, y, env, 0);
      expect(l0.dataSync()[0]!).toBeCloseTo(mean, 5);
      const lBig = groupDroLoss(z, y, env, 100);
      expect(lBig.dataSync()[0]!).toBeCloseTo(Math.max(...risks), 4);
      tf.dispose([z, l0, lBig]);
    });

    it('coralPenalty is 0 for identical environments and matches a float64 re-computation', () => {
      const h = tf.tensor2d(inp.H);
      const value = coralPenalty(h, env);
      // Float64 reference in plain JS.
      const H = inp.H;
      const covs = [0, 1, 2].map((e) => {
        const rows = H.filter((_, i) => env[i] === e);
        const mu = rows[0]!.map((_, k) => rows.reduce((a, r) => a + r[k]!, 0) / rows.length);
        return mu.map((_, a) =>
          mu.map((_, b) => rows.reduce((s, r) => s + (r[a]! - mu[a]!) * (r[b]! - mu[b]!), 0) / (rows.length - 1)),
        );
      });
      let total = 0;
      for (let a = 0; a < 3; a++)
        for (let b = 0; b < 3; b++)
          if (a !== b) total += covs[a]!.flat().reduce((s, v, k) => s + (v - covs[b]!.flat()[k]!) ** 2, 0) / 25 / 4;
      expect(value.dataSync()[0]!).toBeCloseTo(total / 6, 5);
      const same = tf.concat([h, h]);
      const envSame = Int32Array.from([...new Array(N).fill(0), ...new Array(N).fill(1)]);
      const zero = coralPenalty(same as tf.Tensor2D, envSame);
      expect(zero.dataSync()[0]!).toBeCloseTo(0, 6);
      tf.dispose([h, value, same, zero]);
    });

    it('gradCheck: ciaLoss, ciaLraLoss and coralPenalty against finite differences', () => {
      const pairs = lraPairs(graph, { labelScope: 'all' });
      const h = tf.tensor2d(inp.H);
      for (const f of [
        (x: tf.Tensor) => ciaLoss(x as tf.Tensor2D, y, env),
        (x: tf.Tensor) => ciaLraLoss(x as tf.Tensor2D, pairs),
        (x: tf.Tensor) => coralPenalty(x as tf.Tensor2D, env),
      ]) {
        const r = gradCheck(f, [h], { epsilon: 1e-2, tolerance: 2e-2, maxEntries: 30 });
        expect(r.passed, `max error ${r.maxError}`).toBe(true);
      }
      h.dispose();
    });

    it('leaves no tensors behind', async () => {
      const pairs = lraPairs(graph, { labelScope: 'all' });
      const h = tf.tensor2d(inp.H);
      const z = tf.tensor2d(inp.Z);
      const leaked = await tensorLeak(() => {
        tf.dispose([
          ciaLoss(h, y, env),
          ciaLraLoss(h, pairs),
          irmPenalty(z, y, env),
          vrexPenalty(z, y, env),
          groupDroLoss(z, y, env, 0.1),
          coralPenalty(h, env),
        ]);
        tf.dispose(
          tf.grads(
            (x: tf.Tensor) =>
              tf.add(ciaLoss(x as tf.Tensor2D, y, env), ciaLraLoss(x as tf.Tensor2D, pairs)) as tf.Scalar,
          )([h]),
        );
      });
      expect(leaked).toBe(0);
      tf.dispose([h, z]);
    });
  });
}

describe('argument errors', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('rejects t < 1, layers < 1, keepThreshold outside [0, 1), unknown modes', () => {
    expect(() => lraPairs(graph, { t: 0 })).toThrow(/t: expected an integer >= 1/);
    expect(() => lraPairs(graph, { layers: 0 })).toThrow(/layers/);
    expect(() => lraPairs(graph, { keepThreshold: 1 })).toThrow(/keepThreshold/);
    expect(() => lraPairs(graph, { hopMode: 'bfs' as never })).toThrow(/hopMode/);
    expect(() => lraPairs(graph, { labelScope: 'everything' as never })).toThrow(/labelScope/);
    expect(() => hopMatrix(graph, 0)).toThrow(LabError);
  });

  it('rejects labels out of range, length mismatches, rows ≠ N and NaN in h', () => {
    expect(() => lraPairs({ ...graph, y: Int32Array.from([...inp.y.slice(0, 11), 3]) })).toThrow(
      /y: expected labels in \[0, 3\), got 3 at node 11/,
    );
    const h = tf.tensor2d(inp.H);
    expect(() => ciaLoss(h, y, env.slice(0, 5))).toThrow(/env: expected length 12/);
    expect(() => ciaLoss(h, y.slice(0, 5), env.slice(0, 5))).toThrow(/h: expected 5 rows/);
    const bad = tf.tensor2d([
      [NaN, 0],
      [0, 0],
    ]);
    expect(() => ciaLoss(bad, Int32Array.from([0, 0]), Int32Array.from([0, 1]))).toThrow(/h: expected finite values/);
    const z = tf.tensor2d(inp.Z);
    expect(() => irmPenalty(z, Int32Array.from(inp.y.map((v) => v + 1)), env)).toThrow(
      /y: expected labels in \[0, 3\)/,
    );
    expect(() => irmPenalty(z, y, new Int32Array(N).fill(-1))).toThrow(/env: expected at least one node/);
    expect(() =>
      ciaLraLoss(h, { i: Int32Array.from([0]), j: Int32Array.from([99]), w: Float32Array.from([1]), keptCount: 1 }),
    ).toThrow(/node ids in \[0, 12\)/);
    tf.dispose([h, bad, z]);
  });

  it('ciaLoss with a single environment returns 0', () => {
    const h = tf.tensor2d(inp.H);
    const loss = ciaLoss(h, y, Int32Array.from(inp.env.map((e) => (e >= 0 ? 0 : -1))));
    expect(loss.dataSync()[0]).toBe(0);
    tf.dispose([h, loss]);
  });
});
