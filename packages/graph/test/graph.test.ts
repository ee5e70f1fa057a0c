import { describe, expect, it } from 'vitest';
import { LabError } from '@lab/core';
import {
  batchGraphs,
  bfsDistances,
  degreeOneHot,
  inDegree,
  makeGraph,
  undirectedEdges,
  undirectedPairs,
  validateGraph,
} from '../src/index.js';

describe('graph data type and validation', () => {
  const tri = () =>
    makeGraph({
      numNodes: 3,
      edgeIndex: [
        [0, 1, 1, 2],
        [1, 0, 2, 1],
      ],
      x: [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      label: 1,
    });

  it('makeGraph builds typed arrays from nested arrays or a flat [2, E] Int32Array', () => {
    const g = tri();
    expect(Array.from(g.src)).toEqual([0, 1, 1, 2]);
    expect(g.featDim).toBe(2);
    const flat = makeGraph({ numNodes: 3, edgeIndex: Int32Array.from([0, 1, 1, 2, 1, 0, 2, 1]) });
    expect(Array.from(flat.dst)).toEqual([1, 0, 2, 1]);
    expect(Array.from(flat.x)).toEqual([1, 1, 1]);
  });

  it('rejects malformed graphs with messages naming the problem', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => makeGraph({ numNodes: 3, edgeIndex: [[0, 1], [1]] }), /rows differ in length/],
      [
        () =>
          makeGraph({
            numNodes: 3,
            edgeIndex: [
              [0, 3],
              [1, 0],
            ],
          }),
        /edge 1 \(3 → 0\) has a node id outside \[0, 3\)/,
      ],
      [
        () =>
          makeGraph({
            numNodes: 3,
            edgeIndex: [
              [0, 1.5],
              [1, 0],
            ],
          }),
        /expected integer node ids/,
      ],
      [() => makeGraph({ numNodes: 2, edgeIndex: [[0], [1]], x: [[1], [NaN]] }), /found NaN at node 1/],
      [() => makeGraph({ numNodes: 2, edgeIndex: [[0], [1]], x: [[1], [1, 2]] }), /row 1 has 2 features, expected 1/],
      [() => makeGraph({ numNodes: 2, edgeIndex: [[0], [1]], edgeWeight: [1, 2] }), /edgeWeight: expected 1 values/],
      [
        () =>
          makeGraph(
            {
              numNodes: 2,
              edgeIndex: [
                [0, 1],
                [0, 0],
              ],
            },
            'g',
            { selfLoops: 'error' },
          ),
        /edge 0 is a self-loop/,
      ],
      [
        () =>
          makeGraph(
            {
              numNodes: 2,
              edgeIndex: [
                [0, 0],
                [1, 1],
              ],
            },
            'g',
            { duplicates: 'error' },
          ),
        /edge 1 \(0 → 1\) is a duplicate/,
      ],
      [() => makeGraph({ numNodes: 2, edgeIndex: [[0], [1]] }, 'g', { undirected: true }), /has no reverse edge/],
      [
        () =>
          makeGraph(
            {
              numNodes: 3,
              edgeIndex: [
                [0, 1, 1],
                [1, 0, 2],
              ],
            },
            'g',
            { reversePairs: true },
          ),
        /even edge count/,
      ],
      [
        () =>
          makeGraph(
            {
              numNodes: 3,
              edgeIndex: [
                [0, 2],
                [1, 0],
              ],
            },
            'g',
            { reversePairs: true },
          ),
        /edge 1 must reverse edge 0/,
      ],
    ];
    for (const [f, re] of cases) {
      expect(f).toThrow(LabError);
      expect(f).toThrow(re);
    }
    expect(() => validateGraph({ numNodes: 2, src: Int32Array.from([0]), dst: Int32Array.from([1, 0]) })).toThrow(
      /same length/,
    );
  });

  it('batchGraphs offsets node ids, keeps labels and builds batch/ptr', () => {
    const a = tri();
    const b = makeGraph({
      numNodes: 2,
      edgeIndex: [
        [0, 1],
        [1, 0],
      ],
      x: [
        [2, 2],
        [3, 3],
      ],
      label: 0,
    });
    const batch = batchGraphs([a, b, a]);
    expect(batch.numNodes).toBe(8);
    expect(batch.numGraphs).toBe(3);
    expect(Array.from(batch.batch)).toEqual([0, 0, 0, 1, 1, 2, 2, 2]);
    expect(Array.from(batch.ptr)).toEqual([0, 3, 5, 8]);
    expect(Array.from(batch.edgePtr)).toEqual([0, 4, 6, 10]);
    expect(Array.from(batch.src.slice(4, 6))).toEqual([3, 4]);
    expect(Array.from(batch.labels!)).toEqual([1, 0, 1]);
    expect(Array.from(batch.x.slice(6, 10))).toEqual([2, 2, 3, 3]);
    validateGraph(batch, 'batch');
    expect(() => batchGraphs([])).toThrow(/at least one graph/);
    expect(() => batchGraphs([a, makeGraph({ numNodes: 1, edgeIndex: [[], []] })])).toThrow(
      /graphs\[1\]\.featDim: expected 2/,
    );
  });

  it('helpers: undirected layout, pairs, degree, one-hot degree, BFS', () => {
    const { src, dst } = undirectedEdges([
      [0, 1],
      [1, 2],
    ]);
    expect(Array.from(src)).toEqual([0, 1, 1, 2]);
    expect(Array.from(dst)).toEqual([1, 0, 2, 1]);
    const g = { numNodes: 4, src, dst };
    expect(undirectedPairs(g)).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(Array.from(inDegree(g))).toEqual([1, 2, 1, 0]);
    expect(Array.from(degreeOneHot(g, 1))).toEqual([0, 1, 0, 1, 0, 1, 1, 0]);
    expect(Array.from(bfsDistances(g, 0))).toEqual([0, 1, 2, Infinity]);
    expect(Array.from(bfsDistances(g, 0, 1))).toEqual([0, 1, Infinity, Infinity]);
  });
});
