import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@lab/core';
import { batchGraphs } from '@lab/graph';
import { EdgeMaskGenerator, GIN, GraphClassifier, backdoorTask, TASK_FEATURES } from '../src/index.js';

const tiny = () => backdoorTask({ numTrain: 60, numTest: 20, seed: 3 });

describe('graph classifiers and the edge-mask generator (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('SAGE and GCN (max pooling) classify a batch; featDim and arch are checked', () => {
    const task = tiny();
    const sage = new GraphClassifier({ arch: 'sage', inDim: TASK_FEATURES, hidden: 4, layers: 1, classes: 2, seed: 0 });
    const gcn = new GraphClassifier({
      arch: 'gcn',
      inDim: TASK_FEATURES,
      hidden: 4,
      layers: 2,
      classes: 2,
      seed: 0,
      pooling: 'max',
    });
    for (const m of [sage, gcn]) {
      tf.tidy(() => {
        expect(m.apply(batchGraphs(task.graphs.slice(0, 5))).logits.shape).toEqual([5, 2]);
      });
    }
    expect(() =>
      sage.apply(batchGraphs([{ ...task.graphs[0]!, featDim: 1, x: new Float32Array(task.graphs[0]!.numNodes) }])),
    ).toThrow(/featDim: expected 10/);
    expect(
      () => new GraphClassifier({ arch: 'gat' as never, inDim: 2, hidden: 2, layers: 1, classes: 2, seed: 0 }),
    ).toThrow(/arch/);
    const copy = gcn.clone();
    tf.tidy(() => {
      const b = batchGraphs(task.graphs.slice(0, 3));
      expect(Array.from(copy.apply(b).logits.dataSync())).toEqual(Array.from(gcn.apply(b).logits.dataSync()));
    });
    [sage, gcn, copy].forEach((m) => m.dispose());
  });

  it('edge-mask generator: symmetric masks in (0, 1) with gradients into its own parameters only', () => {
    const task = tiny();
    const model = new GIN({ inDim: TASK_FEATURES, hidden: 8, layers: 2, classes: 2, seed: 0 });
    const gen = new EdgeMaskGenerator({ embDim: 8, seed: 1 });
    const b = task.graphs.slice(0, 4);
    tf.tidy(() => {
      const batchB = {
        ...b[0]!,
        batch: new Int32Array(b[0]!.numNodes),
        ptr: Int32Array.from([0, b[0]!.numNodes]),
        edgePtr: Int32Array.from([0, b[0]!.src.length]),
        numGraphs: 1,
      };
      const { grads } = tf.variableGrads(
        () => tf.sum(gen.apply(model.apply(batchB).firstH, batchB)) as tf.Scalar,
        [...gen.parameters(), ...model.parameters()],
      );
      for (const v of gen.parameters()) expect(grads[v.name]).toBeDefined();
      for (const v of model.parameters()) {
        const g = grads[v.name];
        if (g) expect(Math.max(...Array.from(g.abs().dataSync()))).toBe(0);
      }
    });
    gen.dispose();
    model.dispose();
  });
});
