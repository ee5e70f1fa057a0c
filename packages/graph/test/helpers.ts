import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { flatten, maxRelativeError, tensorLeak, tf, type Module } from '@lab/core';
import { undirectedEdges, type GraphStructure } from '../src/index.js';

/** Reads a JSON fixture from test/fixtures. */
export function fixture(name: string): any {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

// Golden vectors of the MADE spec (shared/golden/made.json): GCN/GIN on two small graphs.
export const golden = fixture('graph-made-golden.json');
export const inp = golden.inputs;
export const out = golden.outputs;
export const g: GraphStructure = { numNodes: inp.N, ...undirectedEdges(inp.edges as [number, number][]) };
export const batch = Int32Array.from(inp.batch as number[]);
const P = inp.params as Record<string, number[][] | number[] | number>;
export const t2 = (k: string) => tf.tensor2d(P[k] as number[][]);
export const t1 = (k: string) => tf.tensor1d(P[k] as number[]);

export function expectClose(actual: tf.Tensor | ArrayLike<number>, expected: unknown, rtol = 1e-5): void {
  const a = actual instanceof tf.Tensor ? actual.dataSync() : actual;
  const { error, index } = maxRelativeError(
    a,
    ArrayBuffer.isView(expected) ? Array.from(expected as Float32Array) : flatten(expected),
    1e-6,
  );
  expect(error, `worst entry ${index}`).toBeLessThan(rtol);
}

export function crossEntropyPerRow(logits: tf.Tensor2D, labels: number[]): tf.Tensor1D {
  return tf.tidy(
    () => tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, logits.shape[1])), 1)) as tf.Tensor1D,
  );
}

/** A layer's forward on the golden graph has the expected shape and leaks nothing; dispose frees its variables. */
export async function expectLayerLeakFree(
  layer: Module & { forward(x: tf.Tensor2D, g: GraphStructure): tf.Tensor2D },
  outDim: number,
): Promise<void> {
  const x = tf.tensor2d(inp.X as number[][]);
  const leaked = await tensorLeak(() => {
    const y = layer.forward(x, g);
    expect(y.shape).toEqual([inp.N, outDim]);
    y.dispose();
  });
  expect(leaked).toBe(0);
  expect(layer.parameters().length).toBeGreaterThan(0);
  const before = tf.memory().numTensors;
  layer.dispose();
  expect(tf.memory().numTensors).toBeLessThan(before);
  x.dispose();
}

/** A golden forward pass (`gcn` or `gin`): node embeddings, logits and per-graph CE against `out.<prefix>_…`. */
export function expectGoldenForward(
  forward: () => { h: tf.Tensor2D; logits: tf.Tensor2D },
  prefix: 'gcn' | 'gin',
): void {
  tf.tidy(() => {
    const { h, logits } = forward();
    expectClose(h, out[`${prefix}_node_h`]);
    expectClose(logits, out[`${prefix}_logits`]);
    expectClose(crossEntropyPerRow(logits, inp.y), out[`${prefix}_ce_per_graph`]);
  });
}
