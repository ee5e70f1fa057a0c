import { describe, expect, it } from 'vitest';
import { undirectedAdjacency, validateNodeGraph, type NodeGraph } from '../src/graph.js';

/** A path 0 – 1 – 2 – 3 with both directions of every edge, one node per split. */
const path = (): NodeGraph => ({
  numNodes: 4,
  src: Int32Array.from([0, 1, 1, 2, 2, 3]),
  dst: Int32Array.from([1, 0, 2, 1, 3, 2]),
  x: Float32Array.from([1, 0, 0, 1, 1, 1, 0, 0]),
  featDim: 2,
  y: Int32Array.from([0, 1, 1, 0]),
  numClasses: 2,
  env: Int32Array.from([0, 1, -1, -1]),
  trainMask: Uint8Array.from([1, 1, 0, 0]),
  valMask: Uint8Array.from([0, 0, 1, 0]),
  testMask: Uint8Array.from([0, 0, 0, 1]),
});

describe('validateNodeGraph', () => {
  it('accepts a well-formed graph, undirected or not', () => {
    expect(() => validateNodeGraph(path())).not.toThrow();
    expect(() => validateNodeGraph(path(), { undirected: true })).not.toThrow();
  });

  it('rejects unequal edge arrays, asymmetric edges when undirected is required, and non-finite features', () => {
    const g = path();
    expect(() => validateNodeGraph({ ...g, dst: g.dst.slice(1) })).toThrow(
      /graph.src \/ graph.dst: expected equal lengths, got 6 and 5/,
    );
    expect(() =>
      validateNodeGraph({ ...g, src: Int32Array.from([0]), dst: Int32Array.from([1]) }, { undirected: true }),
    ).toThrow(/undirected.*0 → 1 has no reverse/);
    expect(() => validateNodeGraph({ ...g, x: Float32Array.from([1, 0, 0, 1, 1, Infinity, 0, 0]) })).toThrow(
      /graph.x: expected finite features, found Infinity at node 2/,
    );
  });
});

describe('undirectedAdjacency', () => {
  it('symmetrises, drops duplicates and self-loops, and sorts neighbours', () => {
    const adj = undirectedAdjacency(4, [0, 2, 1, 1, 3], [1, 1, 0, 1, 1]);
    const neighbours = (i: number) => Array.from(adj.indices.subarray(adj.indptr[i]!, adj.indptr[i + 1]!));
    expect([0, 1, 2, 3].map(neighbours)).toEqual([[1], [0, 2, 3], [1], [1]]);
  });
});
