import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LabError, Rng } from '@lab/core';
import {
  baShapes,
  barabasiAlbertEdges,
  batchGraphs,
  bfsDistances,
  degreeOneHot,
  erdosRenyiEdges,
  graphClassificationDataset,
  inDegree,
  loadTUDataset,
  makeGraph,
  motif,
  parseTUDataset,
  stochasticBlockModel,
  undirectedEdges,
  undirectedPairs,
  validateGraph,
  wattsStrogatzEdges,
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

describe('synthetic generators', () => {
  it('ER, BA and WS have the expected edge counts and are seeded', () => {
    expect(barabasiAlbertEdges(20, 2, new Rng(1)).length).toBe(2 * 18);
    expect(wattsStrogatzEdges(10, 4, 0.3, new Rng(1)).length).toBe(20);
    const er = erdosRenyiEdges(60, 0.2, new Rng(3));
    expect(er.length).toBeGreaterThan(0.15 * 1770);
    expect(er.length).toBeLessThan(0.25 * 1770);
    expect(erdosRenyiEdges(30, 0.3, new Rng(5))).toEqual(erdosRenyiEdges(30, 0.3, new Rng(5)));
    expect(() => barabasiAlbertEdges(3, 3, new Rng(0))).toThrow(/n: expected an integer >= 4/);
    expect(() => wattsStrogatzEdges(10, 3, 0.1, new Rng(0))).toThrow(/even/);
  });

  it('BA-shapes: 700 nodes, house roles, houses attached by one edge', () => {
    const g = baShapes({ seed: 1 });
    expect(g.numNodes).toBe(700);
    validateGraph(g, 'baShapes', { undirected: true, reversePairs: true, duplicates: 'error', selfLoops: 'error' });
    const counts = [0, 0, 0, 0];
    g.nodeLabels!.forEach((c) => counts[c]!++);
    expect(counts).toEqual([300, 160, 160, 80]);
    // every house has exactly 6 internal edges and one edge to the base
    const pairs = undirectedPairs(g);
    const internal = new Array(80).fill(0);
    const toBase = new Array(80).fill(0);
    for (const [u, v] of pairs) {
      const hu = g.houseOf[u]!;
      const hv = g.houseOf[v]!;
      if (hu >= 0 && hu === hv) internal[hu]++;
      else if (hu >= 0 || hv >= 0) toBase[Math.max(hu, hv)]++;
    }
    expect(new Set(internal)).toEqual(new Set([6]));
    expect(new Set(toBase)).toEqual(new Set([1]));
    expect(baShapes({ seed: 1 }).src).toEqual(g.src);
    expect(baShapes({ seed: 1, randomEdges: 70 }).src.length).toBe(g.src.length + 140);
  });

  it('motifs and SBM', () => {
    expect(motif('house').edges.length).toBe(6);
    expect(motif('cycle', 6).edges.length).toBe(6);
    expect(motif('grid').edges.length).toBe(12);
    expect(() => motif('hexagon' as never)).toThrow(/motif kind/);
    const sbm = stochasticBlockModel({ sizes: [40, 40], pIn: 0.3, pOut: 0.02, featDim: 4, featureSignal: 2, seed: 2 });
    let inside = 0;
    for (let k = 0; k < sbm.src.length; k++)
      if (sbm.nodeLabels![sbm.src[k]!] === sbm.nodeLabels![sbm.dst[k]!]) inside++;
    expect(inside / sbm.src.length).toBeGreaterThan(0.8);
    expect(() => stochasticBlockModel({ sizes: [5, 5, 5], featDim: 2 })).toThrow(/featDim/);
  });

  it('graph classification families are balanced, labelled and differ by structure', () => {
    const ds = graphClassificationDataset({ numGraphs: 40, families: ['ba-house', 'ba-cycle'], seed: 3 });
    expect(ds.filter((g) => g.label === 0).length).toBe(20);
    for (const g of ds) {
      validateGraph(g, 'g', { reversePairs: true });
      expect(g.motifNodes.length).toBe(5);
      expect(g.numNodes).toBeGreaterThanOrEqual(17);
    }
    const fam = graphClassificationDataset({
      numGraphs: 8,
      families: ['er', 'ba', 'ws', 'sbm'],
      features: 'degree',
      maxDegree: 5,
      seed: 1,
    });
    expect(fam[0]!.featDim).toBe(6);
    expect(new Set(fam.map((g) => g.label))).toEqual(new Set([0, 1, 2, 3]));
  });
});

describe('TU dataset loader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-tu-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Two graphs: a triangle (nodes 1-3, label -1) and an edge with a self-loop (nodes 4-5, label 1).
  const files: Record<string, string> = {
    'TOY_A.txt': '1, 2\n2, 1\n2, 3\n3, 2\n1, 3\n3, 1\n4, 5\n5, 4\n4, 4\n4, 5\n',
    'TOY_graph_indicator.txt': '1\n1\n1\n2\n2\n',
    'TOY_graph_labels.txt': '-1\n1\n',
    'TOY_node_labels.txt': '0\n1\n2\n0\n0\n',
    'TOY_node_attributes.txt': '0.5, 1\n1.5, 2\n2.5, 3\n3.5, 4\n4.5, 5\n',
  };

  it('reads a folder: remapped labels, one-hot node labels, self-loops and duplicates removed', () => {
    const folder = join(dir, 'TOY');
    mkdirSync(folder);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
    const ds = loadTUDataset(folder);
    expect(ds.name).toBe('TOY');
    expect(ds.numClasses).toBe(2);
    expect(ds.classValues).toEqual([-1, 1]);
    expect(ds.graphs.map((g) => g.label)).toEqual([0, 1]);
    const [a, b] = ds.graphs as [(typeof ds.graphs)[0], (typeof ds.graphs)[0]];
    expect(a.numNodes).toBe(3);
    expect(a.featDim).toBe(3);
    expect(Array.from(a.x)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(a.src.length).toBe(6);
    expect(Array.from(b.src)).toEqual([0, 1]);
    expect(Array.from(b.dst)).toEqual([1, 0]);
    const withAttr = loadTUDataset(folder, 'TOY', {
      useNodeAttributes: true,
      removeSelfLoops: false,
      removeDuplicates: false,
    });
    expect(withAttr.graphs[1]!.featDim).toBe(5);
    expect(Array.from(withAttr.graphs[1]!.x.slice(0, 5))).toEqual([3.5, 4, 1, 0, 0]);
    expect(withAttr.graphs[1]!.src.length).toBe(4);
  });

  it('malformed files and missing files throw LabErrors naming file and line', () => {
    expect(() => parseTUDataset({ ...files, 'TOY_A.txt': '1, 2\n2 x\n' })).toThrow(/TOY_A.txt: line 2/);
    expect(() => parseTUDataset({ ...files, 'TOY_A.txt': '1, 4\n' })).toThrow(/joins graphs 1 and 2/);
    expect(() => parseTUDataset({ ...files, 'TOY_graph_indicator.txt': '1\n1\n3\n2\n2\n' })).toThrow(
      /graph id 3 outside/,
    );
    const { 'TOY_graph_labels.txt': _drop, ...rest } = files;
    expect(() => parseTUDataset(rest)).toThrow(/TOY_graph_labels.txt: required/);
    expect(() => loadTUDataset(join(dir, 'nope'))).toThrow(/does not exist/);
  });
});
