import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Rng, initBackend, runCli, tf } from '@lab/core';
import {
  SimCLRModel,
  difficultPairLoss,
  editGradientShare,
  editLogits,
  mixDifficult,
  numericLambda,
  outOfFoldMargins,
  replicate,
  resolveTrainOptions,
  selectDifficultPairs,
  spectralBounds,
  trainSimCLR,
  twoViews,
} from '../src/index.js';
import { cliSpec } from '../src/cli.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const batch = () => tf.randomNormal([8, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
const mask = () => tf.zeros([8, 8]) as tf.Tensor2D;
const graph = { n: 6, r: 2, nd: 2, alpha: 0.5, beta: 0.1, gamma: 0.3 };
const modelConfig = { inputDim: 4, hidden: [4], featureDim: 2, projHidden: 2, projDim: 2, seed: 0 };

/** Each public entry point with bad input → the LabError code and a fragment of its message. */
const cases: [string, () => unknown, string, RegExp][] = [
  [
    'selectDifficultPairs: unknown key',
    () => selectDifficultPairs(batch(), { poshigh: 0.2 } as never),
    'INVALID_ARGUMENT',
    /selectDifficultPairs options: unknown option 'poshigh' \(did you mean 'posHigh'\?\)/,
  ],
  [
    'selectDifficultPairs: posHigh out of range',
    () => selectDifficultPairs(batch(), { posHigh: 1 }),
    'OUT_OF_RANGE',
    /posHigh: expected a number > 0 and < 1, got 1/,
  ],
  [
    'selectDifficultPairs: wrong type',
    () => selectDifficultPairs(batch(), { excludePositive: 'yes' as never }),
    'INVALID_ARGUMENT',
    /excludePositive: expected boolean, got string/,
  ],
  [
    'selectDifficultPairs: bad scope',
    () => selectDifficultPairs(batch(), { scope: 'column' as never }),
    'INVALID_ARGUMENT',
    /scope: expected one of 'global', 'row', got 'column'/,
  ],
  [
    'difficultPairLoss: unknown key',
    () => difficultPairLoss(batch(), mask(), { temprature: 0.5 } as never),
    'INVALID_ARGUMENT',
    /difficultPairLoss options: unknown option 'temprature' \(did you mean 'temperature'\?\)/,
  ],
  [
    'difficultPairLoss: infinite temperature',
    () => difficultPairLoss(batch(), mask(), { temperature: Number.POSITIVE_INFINITY }),
    'OUT_OF_RANGE',
    /temperature: expected a finite number > 0/,
  ],
  [
    'difficultPairLoss: bad mode',
    () => difficultPairLoss(batch(), mask(), { mode: 'hard' as never }),
    'INVALID_ARGUMENT',
    /mode: expected one of 'ntxent'/,
  ],
  [
    'editGradientShare: unknown key',
    () => editGradientShare(batch(), mask(), { sigm: 0.1 } as never),
    'INVALID_ARGUMENT',
    /editGradientShare options: unknown option 'sigm' \(did you mean 'sigma'\?\)/,
  ],
  [
    'editGradientShare: odd number of rows',
    () => editGradientShare(tf.zeros([7, 4]) as tf.Tensor2D, mask()),
    'SHAPE_MISMATCH',
    /z: expected an even number of rows 2B/,
  ],
  [
    'editGradientShare: mask of the wrong size',
    () => editGradientShare(batch(), tf.zeros([6, 6]) as tf.Tensor2D),
    'SHAPE_MISMATCH',
    /P: expected shape \[8, 8\] to match the batch rows, got \[6, 6\]/,
  ],
  [
    'editGradientShare: non-binary mask',
    () => editGradientShare(batch(), tf.fill([8, 8], 0.5) as tf.Tensor2D),
    'INVALID_ARGUMENT',
    /P: expected entries in \{0, 1\}, found 0.5/,
  ],
  ['editGradientShare: rho 0', () => editGradientShare(batch(), mask(), { rho: 0 }), 'OUT_OF_RANGE', /rho: expected/],
  ['editLogits: negative sigma', () => editLogits(mask(), mask(), { sigma: -1 }), 'OUT_OF_RANGE', /sigma: expected/],
  [
    'resolveTrainOptions: unknown top-level key',
    () => resolveTrainOptions({ epoch: 3 } as never),
    'INVALID_ARGUMENT',
    /trainSimCLR options: unknown option 'epoch' \(did you mean 'epochs'\?\)/,
  ],
  [
    'resolveTrainOptions: negative epochs',
    () => resolveTrainOptions({ epochs: -1 }),
    'OUT_OF_RANGE',
    /epochs: expected an integer >= 0, got -1/,
  ],
  [
    'resolveTrainOptions: epochs as text',
    () => resolveTrainOptions({ epochs: '' as never }),
    'INVALID_ARGUMENT',
    /epochs: expected number, got string/,
  ],
  [
    'resolveTrainOptions: nested unknown key',
    () => resolveTrainOptions({ loss: { sigmaa: 0.1 } as never }),
    'INVALID_ARGUMENT',
    /trainSimCLR loss options: unknown option 'sigmaa'/,
  ],
  [
    'resolveTrainOptions: nested augment key',
    () => resolveTrainOptions({ augment: { shift: 2 } as never }),
    'INVALID_ARGUMENT',
    /trainSimCLR augment options: unknown option 'shift'/,
  ],
  [
    'resolveTrainOptions: infinite lr',
    () => resolveTrainOptions({ lr: Number.POSITIVE_INFINITY }),
    'OUT_OF_RANGE',
    /lr: expected a finite number > 0/,
  ],
  [
    'SimCLRModel: unknown key',
    () => new SimCLRModel({ ...modelConfig, width: 3 } as never),
    'INVALID_ARGUMENT',
    /SimCLRModel config: unknown option 'width'/,
  ],
  [
    'SimCLRModel: fractional hidden width',
    () => new SimCLRModel({ ...modelConfig, hidden: [1.5] }),
    'OUT_OF_RANGE',
    /hidden\[0\]: expected an integer >= 1, got 1.5/,
  ],
  [
    'twoViews: unknown augment key',
    () =>
      twoViews(
        tf.zeros([2, 4]) as tf.Tensor2D,
        { maxShift: 0, cropScale: null, noiseStd: 0, blur: 1 } as never,
        2,
        new Rng(0),
      ),
    'INVALID_ARGUMENT',
    /twoViews augment: unknown option 'blur'/,
  ],
  [
    'mixDifficult: unknown key',
    () => mixDifficult(new Float32Array(4), Int32Array.from([0, 1]), 0.5, new Rng(0), { dims: 2 } as never),
    'INVALID_ARGUMENT',
    /mixDifficult options: unknown option 'dims' \(did you mean 'dim'\?\)/,
  ],
  [
    'mixDifficult: weight above 1',
    () => mixDifficult(new Float32Array(4), Int32Array.from([0, 1]), 0.5, new Rng(0), { dim: 2, weight: 2 }),
    'OUT_OF_RANGE',
    /weight: expected a number >= 0 and <= 1, got 2/,
  ],
  [
    'spectralBounds: unknown key',
    () => spectralBounds({ ...graph, delta: 1 } as never),
    'INVALID_ARGUMENT',
    /spectralBounds params: unknown option 'delta'/,
  ],
  [
    'spectralBounds: missing key',
    () => spectralBounds({ n: 6, r: 2, nd: 2, alpha: 0.5, beta: 0.1 } as never),
    'INVALID_ARGUMENT',
    /gamma: expected a number, got undefined/,
  ],
  [
    'spectralBounds: gamma below beta names gamma',
    () => spectralBounds({ ...graph, gamma: 0.05 }),
    'OUT_OF_RANGE',
    /^gamma: expected 0 <= beta <= gamma < alpha < 1/,
  ],
  [
    'numericLambda: alpha at 1 names alpha',
    () => numericLambda({ ...graph, alpha: 1 }),
    'OUT_OF_RANGE',
    /^alpha: expected 0 <= beta < gamma < alpha < 1/,
  ],
];

describe('bad input', () => {
  it.each(cases)('%s', (_name, call, code, message) => {
    let thrown: unknown;
    tf.tidy(() => {
      try {
        call();
      } catch (err) {
        thrown = err;
      }
    });
    expect(thrown, 'expected a throw').toBeDefined();
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as { code?: string }).code).toBe(code);
  });

  it.each([
    [
      'trainSimCLR: unknown hook',
      () =>
        trainSimCLR({ x: tf.zeros([4, 4]) as tf.Tensor2D }, { imageSide: 2, batchSize: 2 }, {
          onStep: () => {},
        } as never),
      'INVALID_ARGUMENT',
      /trainSimCLR hooks: unknown option 'onStep'/,
    ],
    [
      'outOfFoldMargins: unknown key',
      () => outOfFoldMargins(tf.zeros([4, 2]) as tf.Tensor2D, Int32Array.from([0, 1, 0, 1]), { fold: 2 } as never),
      'INVALID_ARGUMENT',
      /outOfFoldMargins options: unknown option 'fold' \(did you mean 'folds'\?\)/,
    ],
    [
      // Issue 15: a label value became a one-hot width with no bound.
      'outOfFoldMargins: a huge class id is refused before any allocation',
      () => outOfFoldMargins(tf.zeros([4, 2]) as tf.Tensor2D, Int32Array.from([0, 1, 1_000_000_000, 1]), { folds: 2 }),
      'OUT_OF_RANGE',
      /labels: class id 1000000000 at index 2 would make 1000000001 classes for 4 examples/,
    ],
    [
      'outOfFoldMargins: numClasses above the bound',
      () =>
        outOfFoldMargins(tf.zeros([4, 2]) as tf.Tensor2D, Int32Array.from([0, 1, 0, 1]), { folds: 2, numClasses: 1e7 }),
      'OUT_OF_RANGE',
      /numClasses: expected an integer >= 2 and <= 10000/,
    ],
    [
      'replicate: unknown preset',
      () => replicate({ preset: 'huge' as never }),
      'INVALID_ARGUMENT',
      /preset: expected one of 'quick', 'standard', 'full', got 'huge'/,
    ],
    [
      'replicate: unknown key',
      () => replicate({ epoch: 3 } as never),
      'INVALID_ARGUMENT',
      /replicate options: unknown option 'epoch' \(did you mean 'epochs'\?\)/,
    ],
    [
      'replicate: zero epochs',
      () => replicate({ epochs: 0 }),
      'OUT_OF_RANGE',
      /epochs: expected an integer >= 1, got 0/,
    ],
  ] as [string, () => Promise<unknown>, string, RegExp][])('%s', async (_name, call, code, message) => {
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'expected a rejection').toBeDefined();
    expect((err as Error).message).toMatch(message);
    expect((err as { code?: string }).code).toBe(code);
  });
});

describe('bad input on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'de-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const images = Array.from({ length: 8 }, (_, i) => Array.from({ length: 4 }, (_, p) => (i + p) / 12));

  async function cli(argv: string[]) {
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      return { code: await runCli(cliSpec, [...argv, '--quiet']), stderr: err.join('\n') };
    } finally {
      vi.restoreAllMocks();
    }
  }

  it.each([
    [['train', '--epochs', ''], 2, /--epochs: expected an integer >= 1, got ''/],
    [['train', '--epochs', '-2'], 2, /--epochs: expected an integer >= 1, got -2/],
    [['train', '--batch', '0'], 2, /--batch: expected an integer >= 2, got 0/],
    [['train', '--omega', '1.5'], 2, /--omega: expected a number >= 0 and <= 1, got 1.5/],
    [['train', '--mode', 'hard'], 2, /--mode: expected one of 'ntxent'/],
    [['train', '--n', '9000'], 1, /--n: expected at most 8000/],
    [['score', '--frac', '1'], 2, /--frac: expected a number >= 0 and < 1, got 1/],
    [['score', '--input', join(dir, 'missing.json')], 2, /NOT_FOUND: --input: cannot read '.*missing.json' \(ENOENT\)/],
    [['replicate', '--preset', 'bogus'], 2, /--preset: expected one of 'quick', 'standard', 'full', got 'bogus'/],
    [['replicate', '--variants', 'nope'], 2, /--variants: expected one of 'clean'/],
    [['replicate', '--parallel', '0'], 2, /--parallel: expected an integer >= 1, got 0/],
    [['replicate', '--seeds', '0'], 2, /--seeds: expected an integer >= 1/],
    [['theory', '--nd', '7'], 1, /OUT_OF_RANGE: --nd: expected an integer with 0 <= nd <= n = 6, got 7/],
  ] as [string[], number, RegExp][])('%j', async (argv, code, message) => {
    const r = await cli(argv);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it('refuses garbage, ragged, non-numeric and unbounded input files naming the entry', async () => {
    const garbage = file('garbage.json', '{ "images": [[0, 1');
    expect((await cli(['train', '--input', garbage])).stderr).toMatch(
      /MALFORMED_FILE: --input: cannot read '.*garbage.json' as JSON/,
    );
    const ragged = file(
      'ragged.json',
      JSON.stringify({
        images: [
          [0, 1, 2, 3],
          [0, 1],
        ],
      }),
    );
    expect((await cli(['train', '--input', ragged])).stderr).toMatch(
      /images\[1\] in '.*ragged.json': expected 4 values/,
    );
    const text = file('text.json', JSON.stringify({ images: [[0, 1, 'x', 3]] }));
    expect((await cli(['train', '--input', text])).stderr).toMatch(
      /images\[0\]\[2\] .*expected a finite number, got "x"/,
    );
    const huge = file('huge.json', JSON.stringify({ images, labels: [0, 1, 0, 1, 1_000_000_000, 0, 1, 0] }));
    const r = await cli(['score', '--input', huge]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /OUT_OF_RANGE: --input: labels\[4\] in '.*huge.json': expected an integer class id in \[0, 10000\), got 1000000000/,
    );
    const unlabelled = file('unlabelled.json', JSON.stringify({ images }));
    expect((await cli(['score', '--input', unlabelled])).stderr).toMatch(/--input: scoring needs "labels"/);
    expect((await cli(['train', '--input', unlabelled, '--omega', '0.5'])).stderr).toMatch(
      /--omega: mixing needs labels/,
    );
  });

  it('checks --json paths before any work', async () => {
    const blocker = file('blocker', 'x');
    const r = await cli(['train', '--json', join(blocker, 'out.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--json: cannot create the folder/);
  });
});
