import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabError, initBackend, tf, type LabErrorCode } from '@lab/core';
import {
  GATConv,
  GCNConv,
  gatConv,
  gcnConv,
  gcnNorm,
  globalPool,
  loadTUDataset,
  makeGraph,
  parseTUDataset,
  segmentSum,
  stratifiedSplit,
  type PoolingKind,
} from '../src/index.js';

// Two graphs: a triangle (nodes 1-3) and an edge (nodes 4-5).
const toy: Record<string, string> = {
  'TOY_A.txt': '1, 2\n2, 1\n2, 3\n3, 2\n4, 5\n5, 4\n',
  'TOY_graph_indicator.txt': '1\n1\n1\n2\n2\n',
  'TOY_graph_labels.txt': '-1\n1\n',
  'TOY_node_labels.txt': '0\n1\n2\n0\n0\n',
  'TOY_node_attributes.txt': '0.5, 1\n1.5, 2\n2.5, 3\n3.5, 4\n4.5, 5\n',
};
const tu = (patch: Record<string, string | undefined>, options?: object) => () => {
  const files = { ...toy, ...patch };
  for (const k of Object.keys(files)) if (files[k] === undefined) delete files[k];
  return parseTUDataset(files as Record<string, string>, 'TOY', options);
};

const dir = mkdtempSync(join(tmpdir(), 'lab-bad-tu-'));
const folder = join(dir, 'TOY');
mkdirSync(folder);
for (const [name, text] of Object.entries(toy)) writeFileSync(join(folder, name), text);
writeFileSync(join(dir, 'plain.txt'), 'not a folder');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const g = { numNodes: 2, src: Int32Array.from([0, 1]), dst: Int32Array.from([1, 0]) };
const x = () => tf.ones([2, 3]) as tf.Tensor2D;

// input → expected LabError code and message fragment
const cases: [string, () => unknown, LabErrorCode, string][] = [
  // ── TU loader: bounds checked before allocating ──
  [
    'node label 1000000 → 1000001 one-hot columns',
    tu({ 'TOY_node_labels.txt': '0\n1000000\n2\n0\n0\n' }),
    'OUT_OF_RANGE',
    'TOY_node_labels.txt: line 2: node label 1000000 makes 1000001 one-hot columns',
  ],
  [
    'node label 1e9 (no RangeError)',
    tu({ 'TOY_node_labels.txt': '0\n0\n1000000000\n0\n0\n' }),
    'OUT_OF_RANGE',
    'more than maxNodeLabels = 1024',
  ],
  [
    'a lowered maxNodeLabels',
    tu({}, { maxNodeLabels: 2 }),
    'OUT_OF_RANGE',
    'line 3: node label 2 makes 3 one-hot columns',
  ],
  [
    'features beyond maxFeatureValues',
    tu({}, { maxFeatureValues: 14 }),
    'OUT_OF_RANGE',
    'TOY_node_labels.txt: 5 nodes × 3 feature columns = 15 values, more than maxFeatureValues = 14',
  ],
  [
    'attributes beyond maxFeatureValues',
    tu({}, { useNodeAttributes: true, maxFeatureValues: 9 }),
    'OUT_OF_RANGE',
    'TOY_node_attributes.txt: line 1: 5 nodes × 2 feature columns',
  ],
  ['more lines than maxLines', tu({}, { maxLines: 5 }), 'OUT_OF_RANGE', 'TOY_A.txt: line 6: more than maxLines = 5'],
  // ── TU loader: the format ──
  [
    'an extra graph_labels line',
    tu({ 'TOY_graph_labels.txt': '-1\n1\n1\n' }),
    'MALFORMED_FILE',
    'TOY_graph_labels.txt: line 3: extra label 1 (TOY_graph_indicator.txt names 2 graphs)',
  ],
  [
    'a missing graph_labels line',
    tu({ 'TOY_graph_labels.txt': '-1\n' }),
    'MALFORMED_FILE',
    'TOY_graph_indicator.txt: line 4: graph id 2 has no label',
  ],
  [
    'an indicator that skips a graph id',
    tu({ 'TOY_graph_indicator.txt': '1\n1\n1\n3\n3\n', 'TOY_graph_labels.txt': '-1\n1\n1\n' }),
    'MALFORMED_FILE',
    'TOY_graph_indicator.txt: line 4: graph id 3 skips graph 2',
  ],
  [
    'an indicator that starts at 2',
    tu({ 'TOY_graph_indicator.txt': '2\n2\n2\n3\n3\n' }),
    'MALFORMED_FILE',
    'TOY_graph_indicator.txt: line 1: graph id 2, expected 1',
  ],
  [
    'an indicator that goes back',
    tu({ 'TOY_graph_indicator.txt': '1\n2\n1\n2\n2\n' }),
    'MALFORMED_FILE',
    'line 3: graph ids must be non-decreasing, got 1 after 2',
  ],
  [
    'a zero graph id',
    tu({ 'TOY_graph_indicator.txt': '0\n1\n1\n2\n2\n' }),
    'MALFORMED_FILE',
    'line 1: graph id 0, expected 1',
  ],
  [
    'a non-integer node id',
    tu({ 'TOY_A.txt': '1, 2\n1.5, 3\n' }),
    'MALFORMED_FILE',
    "TOY_A.txt: line 2: expected 2 integers, got '1.5, 3'",
  ],
  [
    'an exponent is not an integer id',
    tu({ 'TOY_graph_indicator.txt': '1\n1\n1e0\n2\n2\n' }),
    'MALFORMED_FILE',
    "line 3: expected 1 integer, got '1e0'",
  ],
  [
    'a negative node id',
    tu({ 'TOY_A.txt': '-1, 2\n' }),
    'MALFORMED_FILE',
    "TOY_A.txt: line 1: node id -1 outside [1, 5] in edge '-1, 2'",
  ],
  [
    'an edge to a missing node',
    tu({ 'TOY_A.txt': '1, 2\n5, 6\n' }),
    'MALFORMED_FILE',
    'line 2: node id 6 outside [1, 5]',
  ],
  [
    'an id beyond 2^53',
    tu({ 'TOY_A.txt': '1, 99999999999999999999\n' }),
    'MALFORMED_FILE',
    'line 1: expected 2 integers',
  ],
  ['an edge across graphs', tu({ 'TOY_A.txt': '1, 4\n' }), 'MALFORMED_FILE', 'edge 1 → 4 joins graphs 1 and 2'],
  [
    'a blank line inside a file',
    tu({ 'TOY_graph_labels.txt': '-1\n\n1\n' }),
    'MALFORMED_FILE',
    "TOY_graph_labels.txt: line 2: expected 1 integer, got ''",
  ],
  [
    'node_labels with a missing line',
    tu({ 'TOY_node_labels.txt': '0\n1\n2\n0\n' }),
    'MALFORMED_FILE',
    'TOY_node_labels.txt: expected 5 lines (one per node), got 4',
  ],
  [
    'a non-finite attribute',
    tu({ 'TOY_node_attributes.txt': '0, 1\n1, Infinity\n2, 3\n3, 4\n4, 5\n' }, { useNodeAttributes: true }),
    'MALFORMED_FILE',
    "TOY_node_attributes.txt: line 2: expected comma-separated finite numbers, got '1, Infinity'",
  ],
  [
    'an attribute row of another width',
    tu({ 'TOY_node_attributes.txt': '0, 1\n1\n2, 3\n3, 4\n4, 5\n' }, { useNodeAttributes: true }),
    'MALFORMED_FILE',
    'line 2: expected 2 values, got 1',
  ],
  [
    'an empty graph indicator',
    tu({ 'TOY_graph_indicator.txt': '' }),
    'EMPTY_INPUT',
    'TOY_graph_indicator.txt: expected at least one node',
  ],
  [
    'a missing required file',
    tu({ 'TOY_graph_labels.txt': undefined }),
    'NOT_FOUND',
    'TOY_graph_labels.txt: required TU file is missing',
  ],
  ['no <name>_A.txt', () => parseTUDataset({ 'x.txt': '' }), 'NOT_FOUND', "expected a '<name>_A.txt' entry"],
  [
    'an unknown option key',
    tu({}, { removeSelfLoop: false }),
    'INVALID_ARGUMENT',
    "parseTUDataset options: unknown option 'removeSelfLoop' (did you mean 'removeSelfLoops'?)",
  ],
  [
    'an option of the wrong type',
    tu({}, { removeSelfLoops: 'no' }),
    'INVALID_ARGUMENT',
    'removeSelfLoops: expected boolean, got string (no)',
  ],
  [
    'a bound that is not a positive integer',
    tu({}, { maxLines: 0 }),
    'OUT_OF_RANGE',
    'maxLines: expected an integer >= 1, got 0',
  ],
  ['a folder that does not exist', () => loadTUDataset(join(dir, 'nope')), 'NOT_FOUND', 'does not exist'],
  ['a file, not a folder', () => loadTUDataset(join(dir, 'plain.txt')), 'NOT_FOUND', 'ENOTDIR'],
  [
    'a file over maxFileBytes',
    () => loadTUDataset(folder, 'TOY', { maxFileBytes: 8 }),
    'OUT_OF_RANGE',
    'bytes, more than maxFileBytes = 8',
  ],
  [
    'loadTUDataset: an unknown option key',
    () => loadTUDataset(folder, 'TOY', { maxLine: 3 } as object),
    'INVALID_ARGUMENT',
    "loadTUDataset options: unknown option 'maxLine' (did you mean 'maxLines'?)",
  ],
  // ── stratifiedSplit ──
  [
    'split: an unknown option key',
    () => stratifiedSplit([0, 1], { testFraction: 0.5, seed: 0, shuffle: true } as never),
    'INVALID_ARGUMENT',
    "stratifiedSplit options: unknown option 'shuffle'",
  ],
  [
    'split: testFraction 0',
    () => stratifiedSplit([0, 1], { testFraction: 0, seed: 0 }),
    'OUT_OF_RANGE',
    'testFraction: expected a number > 0 and < 1, got 0',
  ],
  ['split: testFraction 1', () => stratifiedSplit([0, 1], { testFraction: 1, seed: 0 }), 'OUT_OF_RANGE', 'got 1'],
  [
    'split: no seed',
    () => stratifiedSplit([0, 1], { testFraction: 0.5 } as never),
    'INVALID_ARGUMENT',
    'seed: expected a finite number, got undefined',
  ],
  [
    'split: no options',
    () => stratifiedSplit([0, 1], undefined as never),
    'INVALID_ARGUMENT',
    'testFraction: required',
  ],
  [
    'split: empty input',
    () => stratifiedSplit([], { testFraction: 0.5, seed: 0 }),
    'EMPTY_INPUT',
    'items: expected a non-empty array',
  ],
  [
    'split: a graph without a label',
    () => stratifiedSplit([{ label: 1 }, {}], { testFraction: 0.5, seed: 0 }),
    'INVALID_ARGUMENT',
    'items[1]: expected an integer class label, got undefined',
  ],
  [
    'split: a fractional label',
    () => stratifiedSplit([0, 0.5], { testFraction: 0.5, seed: 0 }),
    'INVALID_ARGUMENT',
    'items[1]: expected an integer class label, got 0.5',
  ],
  // ── graphs, message passing, layers ──
  [
    'makeGraph: a node id out of range',
    () => makeGraph({ numNodes: 2, edgeIndex: [[0], [2]] }),
    'OUT_OF_RANGE',
    'outside [0, 2)',
  ],
  [
    'segmentSum: ids of another length',
    () => segmentSum(tf.ones([3]) as tf.Tensor1D, Int32Array.from([0]), 1),
    'SHAPE_MISMATCH',
    'segmentIds: expected 3 ids',
  ],
  [
    'gcnNorm: edge weights of another length',
    () => gcnNorm(g, tf.ones([3]) as tf.Tensor1D),
    'SHAPE_MISMATCH',
    'edgeWeight: expected shape [2]',
  ],
  [
    'gcnConv: weight rows ≠ features',
    () => gcnConv(x(), g, { weight: tf.ones([2, 2]) as tf.Tensor2D }),
    'SHAPE_MISMATCH',
    'gcnConv weight: expected shape [3, *]',
  ],
  [
    'gatConv: edgeAttr without edge weights',
    () =>
      gatConv(
        x(),
        g,
        {
          weight: tf.ones([3, 2]) as tf.Tensor2D,
          attSrc: tf.ones([1, 2]) as tf.Tensor2D,
          attDst: tf.ones([1, 2]) as tf.Tensor2D,
        },
        { edgeAttr: tf.ones([2, 1]) as tf.Tensor2D },
      ),
    'INVALID_ARGUMENT',
    'edgeAttr given but params.weightEdge/attEdge are missing',
  ],
  [
    'GCNConv: inDim 0',
    () => new GCNConv({ inDim: 0, outDim: 2, seed: 0 }),
    'OUT_OF_RANGE',
    'GCNConv inDim: expected a positive integer, got 0',
  ],
  [
    'GATConv: heads 0',
    () => new GATConv({ inDim: 2, outDim: 2, heads: 0, seed: 0 }),
    'OUT_OF_RANGE',
    'GATConv heads: expected a positive integer, got 0',
  ],
  [
    'globalPool: an unknown kind',
    () => globalPool(tf.ones([2, 1]) as tf.Tensor2D, Int32Array.from([0, 0]), 1, 'median' as PoolingKind),
    'INVALID_ARGUMENT',
    "expected one of 'sum', 'mean', 'max', got 'median'",
  ],
];

describe('bad input: a LabError with a code and a message naming the problem', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it.each(cases)('%s', (_, run, code, fragment) => {
    const before = tf.memory().numTensors;
    let error: unknown;
    tf.tidy(() => {
      try {
        run();
      } catch (e) {
        error = e;
      }
    });
    expect(error, 'expected a throw').toBeInstanceOf(LabError);
    expect((error as LabError).code).toBe(code);
    expect((error as LabError).message).toContain(fragment);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a one-line node_labels of 1000000 is one column (PyG subtracts the minimum), not 5 GB', () => {
    const ds = parseTUDataset({
      'ONE_A.txt': '',
      'ONE_graph_indicator.txt': '1\n',
      'ONE_graph_labels.txt': '0\n',
      'ONE_node_labels.txt': '1000000\n',
    });
    expect(ds.numNodeLabels).toBe(1);
    expect(Array.from(ds.graphs[0]!.x)).toEqual([1]);
  });
});
