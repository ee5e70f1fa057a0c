import { beforeAll, describe, expect, it } from 'vitest';
import { flatten, initBackend, maxRelativeError, tensorLeak, tf } from '@lab/core';
import { gcnConv, undirectedEdges } from '@lab/graph';
import { NodeGCN } from '../src/model.js';
import golden from './fixtures/cia_lra.json' with { type: 'json' };

const inp = golden.inputs;
const { src, dst } = undirectedEdges(inp.edges as [number, number][]);
const graph = { numNodes: inp.N, src, dst };

describe('NodeGCN (core GCNConv backbone)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it("core's gcnConv reproduces the golden GCN output (PyG gcn_norm), the propagation NodeGCN uses", () => {
    const out = tf.tidy(() =>
      gcnConv(tf.tensor2d(inp.X), graph, { weight: tf.tensor2d(inp.W), bias: tf.tensor1d(inp.b) }),
    );
    const { error } = maxRelativeError(out.dataSync(), flatten(golden.outputs.gcn_out), 1e-5);
    expect(error).toBeLessThanOrEqual(1e-5);
    out.dispose();
  });

  it('has the official architecture: 3 × (GCNConv, BatchNorm1d), then a linear classifier on the representation', () => {
    const model = new NodeGCN({ inDim: 4, hidden: 16, layers: 3, classes: 4, dropout: 0.5, seed: 0 });
    expect(Object.keys(model.namedParameters())).toEqual([
      'conv0.weight',
      'conv0.bias',
      'bn0.weight',
      'bn0.bias',
      'conv1.weight',
      'conv1.bias',
      'bn1.weight',
      'bn1.bias',
      'conv2.weight',
      'conv2.bias',
      'bn2.weight',
      'bn2.bias',
      'classifier.weight',
      'classifier.bias',
    ]);
    const x = tf.tensor2d(inp.X);
    const out = model.apply(x, graph, false);
    expect(out.rep.shape).toEqual([inp.N, 16]);
    expect(out.logits.shape).toEqual([inp.N, 4]);
    // logits = rep · W_c + b_c, and the last layer has no ReLU: some representation entries are negative.
    const manual = tf.tidy(() => tf.add(tf.matMul(out.rep, model.classifier.weight), model.classifier.bias!));
    expect(maxRelativeError(manual.dataSync(), out.logits.dataSync(), 1e-5).error).toBeLessThanOrEqual(1e-5);
    expect(Math.min(...out.rep.dataSync())).toBeLessThan(0);
    tf.dispose([x, out.rep, out.logits, manual]);
    model.dispose();
  });

  it('is deterministic per seed in eval mode, stochastic (dropout) in training mode, and leaks nothing', async () => {
    const a = new NodeGCN({ inDim: 4, hidden: 8, layers: 3, classes: 3, dropout: 0.5, seed: 7 });
    const b = new NodeGCN({ inDim: 4, hidden: 8, layers: 3, classes: 3, dropout: 0.5, seed: 7 });
    const x = tf.tensor2d(inp.X);
    const ea = a.apply(x, graph, false);
    const eb = b.apply(x, graph, false);
    expect(Array.from(ea.logits.dataSync())).toEqual(Array.from(eb.logits.dataSync()));
    const t1 = a.apply(x, graph, true);
    const t2 = a.apply(x, graph, true);
    expect(Array.from(t1.rep.dataSync())).not.toEqual(Array.from(t2.rep.dataSync()));
    tf.dispose([ea.rep, ea.logits, eb.rep, eb.logits, t1.rep, t1.logits, t2.rep, t2.logits]);
    const leaked = await tensorLeak(() => {
      const out = a.apply(x, graph, true);
      tf.dispose([out.rep, out.logits]);
    });
    expect(leaked).toBe(0);
    x.dispose();
    a.dispose();
    b.dispose();
    expect(() => new NodeGCN({ inDim: 4, hidden: 0, layers: 3, classes: 4, dropout: 0.5, seed: 0 })).toThrow(
      /hidden: expected a positive integer, got 0/,
    );
    expect(() => new NodeGCN({ inDim: 4, hidden: 8, layers: 3, classes: 4, dropout: 1, seed: 0 })).toThrow(/dropout/);
  });
});
