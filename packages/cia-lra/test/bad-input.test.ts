import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@lab/core';
import {
  NodeGCN,
  cbasGraph,
  ciaLoss,
  ciaLraLoss,
  coralPenalty,
  crossEnvironmentDistance,
  envRisks,
  groupDroLoss,
  hopMatrix,
  irmPenalty,
  loadGoodJson,
  lraPairs,
  neighbourLabelDist,
  nodeCrossEntropy,
  replicate,
  resolveLraOptions,
  resolveNodeOODOptions,
  trainNodeOOD,
  undirectedAdjacency,
  validateNodeGraph,
  vrexPenalty,
} from '../src/index.js';
import { runCiaCli, tinyGood } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const good = () => loadGoodJson(tinyGood);
const y = Int32Array.from([0, 1, 1, 0]);
const env = Int32Array.from([0, 1, -1, -1]);
const h = () => tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
const pairs = { i: Int32Array.from([0]), j: Int32Array.from([3]), w: Float32Array.from([1]), keptCount: 1 };
const small = () => cbasGraph({ baseNodes: 20, houses: 4, m: 2, seed: 1 });

/** Each public entry point with bad input → the LabError code and a fragment of its message. */
const cases: [string, () => unknown, string, RegExp][] = [
  // options objects: unknown keys (with a suggestion), wrong types, ranges and choices
  [
    'lraPairs: unknown key',
    () => lraPairs(good(), { hops: 3 } as never),
    'INVALID_ARGUMENT',
    /lraPairs options: unknown option 'hops'/,
  ],
  [
    'lraPairs: t as a string',
    () => lraPairs(good(), { t: '3' as never }),
    'INVALID_ARGUMENT',
    /t: expected number, got string/,
  ],
  [
    'lraPairs: t = 255',
    () => lraPairs(good(), { t: 255 }),
    'OUT_OF_RANGE',
    /t: expected an integer >= 1 and <= 254, got 255/,
  ],
  [
    'resolveLraOptions: unknown scope',
    () => resolveLraOptions({ labelScope: 'test' as never }),
    'INVALID_ARGUMENT',
    /labelScope: expected one of 'train', 'trainPairs', 'all'/,
  ],
  [
    'ciaLoss: misspelt eps',
    () => ciaLoss(h(), y, env, { esp: 1 } as never),
    'INVALID_ARGUMENT',
    /ciaLoss options: unknown option 'esp' \(did you mean 'eps'\?\)/,
  ],
  ['ciaLoss: eps < 0', () => ciaLoss(h(), y, env, { eps: -1 }), 'OUT_OF_RANGE', /eps: expected a number >= 0, got -1/],
  [
    'ciaLraLoss: unknown key',
    () => ciaLraLoss(h(), pairs, { epsilon: 0 } as never),
    'INVALID_ARGUMENT',
    /ciaLraLoss options: unknown option 'epsilon'/,
  ],
  ['ciaLraLoss: no pair table', () => ciaLraLoss(h(), {} as never), 'INVALID_ARGUMENT', /pairs: expected a pair table/],
  [
    'vrexPenalty: unknown key',
    () => vrexPenalty(h(), y, env, { biased: true } as never),
    'INVALID_ARGUMENT',
    /vrexPenalty options: unknown option 'biased'/,
  ],
  [
    'vrexPenalty: unbiased as a string',
    () => vrexPenalty(h(), y, env, { unbiased: 'yes' as never }),
    'INVALID_ARGUMENT',
    /unbiased: expected boolean, got string/,
  ],
  [
    'cbasGraph: unknown key',
    () => cbasGraph({ nodes: 10 } as never),
    'INVALID_ARGUMENT',
    /cbasGraph options: unknown option 'nodes'/,
  ],
  [
    'cbasGraph: bad shift',
    () => cbasGraph({ shift: 'label' as never }),
    'INVALID_ARGUMENT',
    /shift: expected one of 'concept', 'covariate', got 'label'/,
  ],
  [
    'cbasGraph: negative houses',
    () => cbasGraph({ houses: -1 }),
    'OUT_OF_RANGE',
    /houses: expected an integer >= 0, got -1/,
  ],
  [
    'resolveNodeOODOptions: misspelt lambda',
    () => resolveNodeOODOptions({ lamda: 1 } as never),
    'INVALID_ARGUMENT',
    /trainNodeOOD options: unknown option 'lamda' \(did you mean 'lambda'\?\)/,
  ],
  [
    'resolveNodeOODOptions: epochs −1',
    () => resolveNodeOODOptions({ epochs: -1 }),
    'OUT_OF_RANGE',
    /epochs: expected an integer >= 1, got -1/,
  ],
  [
    'resolveNodeOODOptions: unknown lra key',
    () => resolveNodeOODOptions({ lra: { tt: 2 } as never }),
    'INVALID_ARGUMENT',
    /trainNodeOOD options.lra: unknown option 'tt'/,
  ],
  [
    'resolveNodeOODOptions: dropout 1',
    () => resolveNodeOODOptions({ dropout: 1 }),
    'OUT_OF_RANGE',
    /dropout: expected a number >= 0 and < 1, got 1/,
  ],
  [
    'NodeGCN: unknown key',
    () => new NodeGCN({ inDim: 2, hidden: 4, layers: 1, classes: 2, dropout: 0, seed: 0, depth: 2 } as never),
    'INVALID_ARGUMENT',
    /NodeGCN config: unknown option 'depth'/,
  ],
  [
    'NodeGCN: missing classes',
    () => new NodeGCN({ inDim: 2, hidden: 4, layers: 1, dropout: 0, seed: 0 } as never),
    'OUT_OF_RANGE',
    /classes: expected a positive integer/,
  ],
  [
    'validateNodeGraph: unknown key',
    () => validateNodeGraph(good(), { symmetric: true } as never),
    'INVALID_ARGUMENT',
    /validateNodeGraph options: unknown option 'symmetric'/,
  ],
  // arrays and tensors
  [
    'validateNodeGraph: label 7 of 2',
    () => validateNodeGraph({ ...good(), y: Int32Array.from([0, 7, 1, 0]) }),
    'OUT_OF_RANGE',
    /graph.y: expected labels in \[0, 2\), got 7 at node 1/,
  ],
  [
    'undirectedAdjacency: node id out of range',
    () => undirectedAdjacency(3, [0], [5]),
    'OUT_OF_RANGE',
    /edge 0: expected node ids in \[0, 3\), got 0 → 5/,
  ],
  ['hopMatrix: t = 0', () => hopMatrix(good(), 0), 'OUT_OF_RANGE', /t: expected an integer >= 1/],
  [
    'neighbourLabelDist: label 2 of 2',
    () => neighbourLabelDist({ ...good(), y: Int32Array.from([0, 2, 1, 0]) }, 2, 2),
    'OUT_OF_RANGE',
    /y: expected labels in \[0, 2\)/,
  ],
  [
    'irmPenalty: no environment',
    () => irmPenalty(h(), y, new Int32Array(4).fill(-1)),
    'EMPTY_INPUT',
    /env: expected at least one node/,
  ],
  ['groupDroLoss: η < 0', () => groupDroLoss(h(), y, env, -1), 'OUT_OF_RANGE', /eta: expected a number >= 0, got -1/],
  [
    'coralPenalty: env −2',
    () => coralPenalty(h(), Int32Array.from([0, -2, 0, 1])),
    'OUT_OF_RANGE',
    /env: expected ids ≥ 0 \(or −1 for none\), got -2/,
  ],
  [
    'nodeCrossEntropy: y too short',
    () => nodeCrossEntropy(h(), Int32Array.from([0, 1])),
    'SHAPE_MISMATCH',
    /y: expected length 4 \(rows of logits\), got 2/,
  ],
  [
    'nodeCrossEntropy: label 2 of 2',
    () => nodeCrossEntropy(h(), Int32Array.from([0, 1, 2, 0])),
    'OUT_OF_RANGE',
    /y: expected labels in \[0, 2\)/,
  ],
  ['envRisks: env too short', () => envRisks(h(), y, Int32Array.from([0])), 'SHAPE_MISMATCH', /env: expected length 4/],
  [
    'crossEnvironmentDistance: rep of the wrong size',
    () => crossEnvironmentDistance(new Float32Array(5), 2, good()),
    'SHAPE_MISMATCH',
    /rep: expected 4 × 2 = 8 values/,
  ],
  // the GOOD loader bounds what a file can make it allocate
  ['loadGoodJson: an array', () => loadGoodJson([1, 2]), 'MALFORMED_FILE', /GOOD json: expected an object/],
  [
    'loadGoodJson: label 1e9 (class count)',
    () => loadGoodJson({ ...tinyGood, y: [0, 1e9, 1, 0] }),
    'MALFORMED_FILE',
    /class count \(largest 'y' \+ 1\) must be an integer in \[1, 4\].*got 1000000001/,
  ],
  [
    'loadGoodJson: num_classes 1e6',
    () => loadGoodJson({ ...tinyGood, num_classes: 1e6 }),
    'MALFORMED_FILE',
    /'num_classes' must be an integer in \[1, 4\]/,
  ],
  [
    'loadGoodJson: negative label',
    () => loadGoodJson({ ...tinyGood, y: [0, -1, 1, 0] }),
    'MALFORMED_FILE',
    /'y'\[1\] must be an integer >= 0, got -1/,
  ],
  [
    'loadGoodJson: fractional edge id',
    () => loadGoodJson({ ...tinyGood, edge_index: [[0.5], [1]] }),
    'MALFORMED_FILE',
    /'edge_index\[0\]'\[0\] must be an integer >= 0, got 0.5/,
  ],
  [
    'loadGoodJson: ragged x (before allocating N × F)',
    () => loadGoodJson({ ...tinyGood, x: [new Array(1000).fill(0), [], [], []] }),
    'MALFORMED_FILE',
    /'x'\[1\] has 0 features, expected 1000/,
  ],
  [
    "cbasGraph: split 'ogb'",
    () => cbasGraph({ split: 'ogb' as never }),
    'INVALID_ARGUMENT',
    /split: expected one of 'allTrain', 'good'/,
  ],
  [
    'cbasGraph: randomEdges −1',
    () => cbasGraph({ randomEdges: -1 }),
    'OUT_OF_RANGE',
    /randomEdges: expected an integer >= 0/,
  ],
  [
    'cbasGraph: more random edges than missing pairs',
    () => cbasGraph({ baseNodes: 4, m: 1, houses: 0, randomEdges: 100 }),
    'OUT_OF_RANGE',
    /randomEdges: expected at most \d+ \(the missing node pairs\), got 100/,
  ],
];

/** Async entry points: the same table, awaited. */
const asyncCases: [string, () => Promise<unknown>, string, RegExp][] = [
  [
    'trainNodeOOD: misspelt option',
    () => trainNodeOOD(small(), { epoch: 3 } as never),
    'INVALID_ARGUMENT',
    /unknown option 'epoch' \(did you mean 'epochs'\?\)/,
  ],
  [
    'trainNodeOOD: unknown method',
    () => trainNodeOOD(small(), { method: 'dro' as never }),
    'INVALID_ARGUMENT',
    /method: expected one of 'erm'/,
  ],
  [
    'trainNodeOOD: unknown hook',
    () => trainNodeOOD(small(), { epochs: 1 }, { onStep: () => {} } as never),
    'INVALID_ARGUMENT',
    /trainNodeOOD hooks: unknown option 'onStep'/,
  ],
  [
    'trainNodeOOD: onEpoch not a function',
    () => trainNodeOOD(small(), { epochs: 1 }, { onEpoch: 1 as never }),
    'INVALID_ARGUMENT',
    /onEpoch: expected a function/,
  ],
  [
    'trainNodeOOD: λ = Infinity',
    () => trainNodeOOD(small(), { method: 'cia', lambda: Infinity, epochs: 3 }),
    'NON_FINITE',
    /training loss: expected a finite value, got (NaN|Infinity) at epoch 2.*method 'cia'/,
  ],
  [
    'replicate: unknown preset',
    () => replicate({ preset: 'huge' as never }),
    'INVALID_ARGUMENT',
    /preset: expected one of 'quick', 'standard', 'full', got 'huge'/,
  ],
  [
    'replicate: unknown key',
    () => replicate({ seed: 1 } as never),
    'INVALID_ARGUMENT',
    /replicate options: unknown option 'seed' \(did you mean 'seeds'\?\)/,
  ],
  [
    'replicate: unknown scale',
    () => replicate({ scale: 'huge' as never }),
    'INVALID_ARGUMENT',
    /scale: expected one of 'mini', 'large'/,
  ],
  [
    'replicate: unknown method',
    () => replicate({ methods: ['erm', 'dro' as never] }),
    'INVALID_ARGUMENT',
    /methods: expected a non-empty list of 'erm'/,
  ],
  ['replicate: epochs 0', () => replicate({ epochs: 0 }), 'OUT_OF_RANGE', /epochs: expected an integer >= 1, got 0/],
  [
    'replicate: empty methods',
    () => replicate({ methods: [] }),
    'INVALID_ARGUMENT',
    /methods: expected a non-empty list/,
  ],
  [
    "trainNodeOOD: sampler 'saint'",
    () => trainNodeOOD(small(), { sampler: 'saint' as never }),
    'INVALID_ARGUMENT',
    /sampler: expected one of 'full', 'roots'/,
  ],
  [
    'trainNodeOOD: stepsPerEpoch 0',
    () => trainNodeOOD(small(), { stepsPerEpoch: 0 }),
    'OUT_OF_RANGE',
    /stepsPerEpoch: expected an integer >= 1, got 0/,
  ],
  [
    'trainNodeOOD: batchRoots 2.5',
    () => trainNodeOOD(small(), { sampler: 'roots', batchRoots: 2.5 }),
    'OUT_OF_RANGE',
    /batchRoots: expected an integer >= 1, got 2.5/,
  ],
  [
    'replicate: unknown cbas key',
    () => replicate({ cbas: { nodes: 3 } as never }),
    'INVALID_ARGUMENT',
    /replicate options.cbas: unknown option 'nodes'/,
  ],
];

describe('bad input', () => {
  it.each(cases)('%s', (_name, call, code, message) => {
    let thrown: unknown;
    try {
      tf.tidy(() => void call());
    } catch (err) {
      thrown = err;
    }
    expect(thrown, 'no error thrown').toBeDefined();
    expect(String((thrown as Error).message)).toMatch(message);
    expect((thrown as { code?: string }).code).toBe(code);
  });

  it.each(asyncCases)('%s', async (_name, call, code, message) => {
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'no error thrown').toBeDefined();
    expect(String((err as Error).message)).toMatch(message);
    expect((err as { code?: string }).code).toBe(code);
  });
});

describe('lab-cia-lra train --good (issue 15)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cia-lra-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  const cliCases: [string, () => string, number, RegExp][] = [
    [
      'a path that does not exist',
      () => join(dir, 'missing.json'),
      2,
      /NOT_FOUND: --good: cannot read '.*missing.json' \(ENOENT\)/,
    ],
    ['a folder', () => dir, 2, /--good: expected a file, got a folder/],
    [
      'text that is not JSON',
      () => file('garbage.json', 'garbage{\n'),
      1,
      /MALFORMED_FILE: --good: '.*garbage.json' is not JSON/,
    ],
    ['an empty file', () => file('empty.json', ''), 1, /MALFORMED_FILE: --good: '.*empty.json' is not JSON/],
    [
      'JSON that is not a graph',
      () => file('array.json', '[1, 2]'),
      1,
      /MALFORMED_FILE: --good: '.*array.json': expected an object with x, edge_index/,
    ],
    [
      'a graph without masks',
      () => file('nomask.json', JSON.stringify({ ...tinyGood, train_mask: undefined })),
      1,
      /MALFORMED_FILE: --good: .*missing 'train_mask'/,
    ],
    [
      'a label that would make 1e9 classes',
      () => file('huge.json', JSON.stringify({ ...tinyGood, y: [0, 1e9, 1, 0] })),
      1,
      /MALFORMED_FILE: --good: .*class count/,
    ],
  ];

  it.each(cliCases)('%s: a LabError naming --good, no stack', async (_name, path, code, message) => {
    const r = await runCiaCli(['train', '--good', path(), '--epochs', '1']);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
