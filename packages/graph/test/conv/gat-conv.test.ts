import { beforeAll, describe, expect, it } from 'vitest';
import { gradCheck, initBackend, maxRelativeError, tf } from '@lab/core';
import { GATConv, gatConv, propagate, type GATConvParams, type GraphStructure } from '../../src/index.js';
import { expectClose, expectLayerLeakFree, fixture, g, inp } from '../helpers.js';

// Path 0-1-2-3-4 plus loops 1→1, 3→3, 5→5 with edge attributes the loops must not use (self-loops-reference.py).
const ref = fixture('self-loops-reference.json');
const loopy: GraphStructure = {
  numNodes: ref.inputs.N,
  src: Int32Array.from(ref.inputs.src),
  dst: Int32Array.from(ref.inputs.dst),
};
const refParams = (): GATConvParams => ({
  weight: tf.tensor2d(ref.inputs.gat.weight),
  attSrc: tf.tensor2d(ref.inputs.gat.att_src),
  attDst: tf.tensor2d(ref.inputs.gat.att_dst),
  weightEdge: tf.tensor2d(ref.inputs.gat.weight_edge),
  attEdge: tf.tensor2d(ref.inputs.gat.att_edge),
});

describe('gatConv and GATConv (wasm)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('attention rows sum to one (uniform when attention weights are 0), heads concat or mean, edge attributes change it', () => {
    tf.tidy(() => {
      const x = tf.tensor2d(inp.X as number[][]);
      const weight = tf.randomNormal([4, 6], 0, 1, 'float32', 1) as tf.Tensor2D;
      const zeros = tf.zeros([2, 3]) as tf.Tensor2D;
      // with a = 0 the attention is uniform over {in-neighbours} ∪ {self}: GAT = mean aggregation with self-loop
      const gat = gatConv(x, g, { weight, attSrc: zeros, attDst: zeros }, { concat: true });
      const xw = tf.matMul(x, weight) as tf.Tensor2D;
      const deg = new Float32Array(g.numNodes).fill(1);
      for (const d of g.dst) deg[d]!++;
      const expected = tf.div(tf.add(propagate(xw, g), xw), tf.tensor2d(deg, [g.numNodes, 1]));
      expectClose(gat, expected.dataSync());
      const mean = gatConv(x, g, { weight, attSrc: zeros, attDst: zeros }, { concat: false });
      expect(mean.shape).toEqual([11, 3]);
      const att = tf.randomNormal([2, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
      const edgeAttr = tf.randomUniform([g.src.length, 1], 0, 1, 'float32', 3) as tf.Tensor2D;
      const p = { weight, attSrc: att, attDst: att, weightEdge: tf.ones([1, 6]) as tf.Tensor2D, attEdge: att };
      const a = gatConv(x, g, p, { edgeAttr }).dataSync();
      const b = gatConv(x, g, p, { edgeAttr: tf.mul(edgeAttr, 3) as tf.Tensor2D }).dataSync();
      expect(maxRelativeError(a, b).error).toBeGreaterThan(1e-4);
    });
  });

  it('existing self-loops are replaced by one loop per node (PyG remove_self_loops + add_self_loops)', () => {
    tf.tidy(() => {
      const x = tf.tensor2d(ref.inputs.X);
      expectClose(gatConv(x, loopy, refParams()), ref.outputs.gat);
      const edgeAttr = tf.tensor2d(ref.inputs.gat.edge_attr);
      expectClose(gatConv(x, loopy, refParams(), { edgeAttr }), ref.outputs.gat_edge_attr);
      // doubling a node's loop changes nothing: it is dropped before the one loop is added
      const doubled: GraphStructure = {
        numNodes: loopy.numNodes,
        src: Int32Array.from([...loopy.src, 3]),
        dst: Int32Array.from([...loopy.dst, 3]),
      };
      expectClose(gatConv(x, doubled, refParams()), ref.outputs.gat);
    });
  });

  it('addSelfLoops: false uses the edges as given, existing loops included', () => {
    tf.tidy(() => {
      const x = tf.tensor2d(ref.inputs.X);
      const kept = gatConv(x, loopy, refParams(), { addSelfLoops: false }).arraySync() as number[][];
      expect(kept[0]).not.toEqual((ref.outputs.gat as number[][])[0]); // node 0 has no loop now
      expectClose(kept[1]!, (ref.outputs.gat as number[][])[1]); // node 1's own loop takes the added loop's place
    });
  });

  it('gradient check in the weights, attention vectors and edge attributes', () => {
    tf.tidy(() => {
      const x = tf.tensor2d(inp.X as number[][]);
      const w = tf.randomNormal([4, 4], 0, 0.5, 'float32', 6);
      const att = tf.randomNormal([2, 2], 0, 0.5, 'float32', 7);
      const ea = tf.randomUniform([g.src.length, 1], 0, 1, 'float32', 8);
      const gat = gradCheck(
        (ww, aa, e) =>
          tf.sum(
            tf.square(
              gatConv(
                x,
                g,
                {
                  weight: ww as tf.Tensor2D,
                  attSrc: aa as tf.Tensor2D,
                  attDst: aa as tf.Tensor2D,
                  weightEdge: tf.ones([1, 4]) as tf.Tensor2D,
                  attEdge: aa as tf.Tensor2D,
                },
                { edgeAttr: e as tf.Tensor2D },
              ),
            ),
          ),
        [w, att, ea],
      );
      expect(gat.passed).toBe(true);
    });
  });

  it('shape, variables, no leaks', async () => {
    await expectLayerLeakFree(new GATConv({ inDim: 4, outDim: 4, heads: 2, seed: 1 }), 8);
  });
});
