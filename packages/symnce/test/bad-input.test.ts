import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { initBackend, runCliCaptured, tf } from '@lab/core';
import { cliSpec } from '../src/cli.js';
import {
  ContrastiveEncoder,
  asymmetricNoise,
  evaluate,
  extractFeatures,
  loadCheckpoint,
  nnPositiveMask,
  pairStats,
  pairwiseLosses,
  replicate,
  revNceLoss,
  rinceLoss,
  rowLabels,
  supConLoss,
  symNceLoss,
  symmetricNoise,
  trainContrastive,
  reverseGradientShare,
  truePositiveShare,
  ASYM_MAPS,
} from '../src/index.js';
import { replicate as replicateForCli } from '../src/replicate.js';

// The CLI's replicate() is spied on: the cases below must fail before it is ever called.
vi.mock('../src/replicate.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/replicate.js')>();
  return { ...real, replicate: vi.fn(real.replicate) };
});

const dir = mkdtempSync(join(tmpdir(), 'lab-symnce-bad-'));
const existing = join(dir, 'existing.safetensors');
const z = () => tf.randomNormal([4, 3], 0, 1, 'float32', 1) as tf.Tensor2D;
const y = [0, 0, 1, 1];
const rng = { next: () => 0.5 };
const data = { x: new Float32Array(8 * 4).map((_, i) => (i % 5) / 5), labels: [0, 1, 0, 1, 0, 1, 0, 1] };
const encoderConfig = { inputDim: 4, hidden: [4], featureDim: 4, headHidden: 4, projDim: 2 };
const train = (options: object) =>
  trainContrastive(data, { epochs: 1, batchSize: 4, encoder: encoderConfig, ...options });
const withEncoder = (f: (e: ContrastiveEncoder) => unknown) => async () => {
  const e = new ContrastiveEncoder(encoderConfig);
  try {
    return await f(e);
  } finally {
    e.dispose();
  }
};

beforeAll(async () => {
  await initBackend('wasm');
  writeFileSync(existing, 'a checkpoint someone cares about');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each public entry point with bad input → the LabError code and a fragment of its message. */
const cases: [string, () => unknown, string, RegExp][] = [
  // the losses: features and labels
  ['rank-1 features', () => supConLoss(tf.ones([4]), y), 'SHAPE_MISMATCH', /features: expected a 2-D \[N, D\] or 3-D/],
  ['rank-4 features', () => supConLoss(tf.ones([2, 2, 2, 2]), [0, 1]), 'SHAPE_MISMATCH', /features: expected a 2-D/],
  [
    '3 labels for 4 rows',
    () => supConLoss(tf.ones([4, 3]), [0, 1, 0]),
    'SHAPE_MISMATCH',
    /labels: expected 4 labels.*got 3/,
  ],
  [
    '[B, V, D] with N labels',
    () => supConLoss(tf.ones([2, 2, 3]), [0, 1, 0, 1]),
    'SHAPE_MISMATCH',
    /labels: expected 2 labels \(features \[B, V, D\]/,
  ],
  ['one row', () => supConLoss(tf.ones([1, 3]), [0]), 'EMPTY_INPUT', /features: expected at least 2 rows/],
  ['no rows', () => supConLoss(tf.ones([0, 3]), []), 'EMPTY_INPUT', /features: expected at least 2 rows/],
  [
    'negative label',
    () => supConLoss(tf.ones([2, 3]), [0, -1]),
    'INVALID_ARGUMENT',
    /labels: expected non-negative integers, got -1/,
  ],
  [
    'fractional label',
    () => supConLoss(tf.ones([2, 3]), [0, 0.5]),
    'INVALID_ARGUMENT',
    /labels: expected non-negative integers, got 0.5/,
  ],
  [
    'Infinity in features',
    () =>
      supConLoss(
        tf.tensor2d([
          [1, Infinity],
          [1, 1],
        ]),
        [0, 0],
      ),
    'NON_FINITE',
    /features: expected finite values, found Infinity at row 0/,
  ],
  [
    'NaN in features',
    () =>
      supConLoss(
        tf.tensor2d([
          [1, NaN],
          [1, 1],
        ]),
        [0, 0],
      ),
    'NON_FINITE',
    /features: expected finite values, found NaN/,
  ],
  [
    'positiveMask of the wrong size',
    () => supConLoss(tf.ones([2, 3]), [0, 0], { positiveMask: tf.ones([3, 3]) as tf.Tensor2D }),
    'SHAPE_MISMATCH',
    /positiveMask: expected a \[2, 2\]/,
  ],
  [
    'bool labels',
    () => supConLoss(tf.ones([2, 3]), tf.tensor1d([0, 0], 'bool') as never),
    'DTYPE_MISMATCH',
    /labels: expected dtype int32, got bool/,
  ],
  ['rowLabels: too few labels', () => rowLabels(tf.ones([2, 3]), [0]), 'SHAPE_MISMATCH', /labels: expected 2 labels/],
  // the losses: options
  [
    'supConLoss: misspelt option (issue 15)',
    () => supConLoss(z(), y, { temprature: 0.5 } as never),
    'INVALID_ARGUMENT',
    /supConLoss options: unknown option 'temprature' \(did you mean 'temperature'\?\)/,
  ],
  [
    'supConLoss: temperature as text',
    () => supConLoss(z(), y, { temperature: '0.5' as never }),
    'INVALID_ARGUMENT',
    /temperature: expected number, got string/,
  ],
  [
    'supConLoss: τ = 0',
    () => supConLoss(z(), y, { temperature: 0 }),
    'OUT_OF_RANGE',
    /temperature: expected a number > 0, got 0/,
  ],
  [
    'supConLoss: τ_base < 0',
    () => supConLoss(z(), y, { baseTemperature: -1 }),
    'OUT_OF_RANGE',
    /baseTemperature: expected a number > 0/,
  ],
  [
    'supConLoss: unknown onNoPositive',
    () => supConLoss(z(), y, { onNoPositive: 'skip' as never }),
    'INVALID_ARGUMENT',
    /onNoPositive: expected one of 'ignore', 'throw', got 'skip'/,
  ],
  [
    'revNceLoss: unknown revForm',
    () => revNceLoss(z(), y, { revForm: 'cubic' as never }),
    'INVALID_ARGUMENT',
    /revForm: expected one of 'linear', 'mass', 'mae', got 'cubic'/,
  ],
  [
    "revNceLoss: 'linear' at τ = 0.01 (would be NaN, issue 15)",
    () => revNceLoss(z(), y, { revForm: 'linear', temperature: 0.01 }),
    'OUT_OF_RANGE',
    /temperature: expected a number >= 0.0125 with revForm 'linear'.*got 0.01/,
  ],
  [
    "symNceLoss: 'linear' at τ = 0.01 (would be NaN, issue 15)",
    () => symNceLoss(z(), y, { revForm: 'linear', temperature: 0.01 }),
    'OUT_OF_RANGE',
    /temperature: expected a number >= 0.0125 with revForm 'linear'/,
  ],
  [
    'symNceLoss: β < 0',
    () => symNceLoss(z(), y, { beta: -0.1 }),
    'OUT_OF_RANGE',
    /beta: expected a number >= 0, got -0.1/,
  ],
  [
    'symNceLoss: misspelt option',
    () => symNceLoss(z(), y, { betta: 1 } as never),
    'INVALID_ARGUMENT',
    /symNceLoss options: unknown option 'betta' \(did you mean 'beta'\?\)/,
  ],
  ['rinceLoss: q = 0', () => rinceLoss(z(), y, { q: 0 }), 'OUT_OF_RANGE', /q: expected a number > 0, got 0/],
  ['rinceLoss: λ = 0', () => rinceLoss(z(), y, { lambda: 0 }), 'OUT_OF_RANGE', /lambda: expected a number > 0/],
  [
    'rinceLoss: τ below q/80 (would be NaN)',
    () => rinceLoss(z(), y, { temperature: 0.001 }),
    'OUT_OF_RANGE',
    /temperature: expected a number >= q\/80 = 0.00125 for RINCE with q = 0.1/,
  ],
  [
    'rinceLoss: an option of another loss',
    () => rinceLoss(z(), y, { beta: 1 } as never),
    'INVALID_ARGUMENT',
    /rinceLoss options: unknown option 'beta'/,
  ],
  [
    'pairwiseLosses: τ = 0',
    () => pairwiseLosses(tf.ones([2]), tf.ones([2]), tf.ones([1, 2]), 0),
    'OUT_OF_RANGE',
    /temperature: expected a number > 0/,
  ],
  [
    'pairwiseLosses: mismatched widths',
    () => pairwiseLosses(tf.ones([2]), tf.ones([3]), tf.ones([1, 2]), 0.5),
    'SHAPE_MISMATCH',
    /negatives: expected \[M >= 1, 2\]/,
  ],
  [
    'nnPositiveMask: both threshold and k',
    () => nnPositiveMask(z(), y, { threshold: 0.5, k: 1 }),
    'INVALID_ARGUMENT',
    /exactly one of threshold or k/,
  ],
  [
    'nnPositiveMask: unknown option',
    () => nnPositiveMask(z(), y, { radius: 1 } as never),
    'INVALID_ARGUMENT',
    /nnPositiveMask options: unknown option 'radius'/,
  ],
  [
    'nnPositiveMask: threshold 2',
    () => nnPositiveMask(z(), y, { threshold: 2 }),
    'OUT_OF_RANGE',
    /threshold: expected a number >= -1 and <= 1/,
  ],
  [
    'nnPositiveMask: k = N',
    () => nnPositiveMask(z(), y, { k: 4 }),
    'OUT_OF_RANGE',
    /k: expected an integer >= 1 and <= 3, got 4/,
  ],
  ['pairStats: one class', () => pairStats(1, 0.2), 'OUT_OF_RANGE', /numClasses: expected an integer >= 2, got 1/],
  ['pairStats: η = 1.2', () => pairStats(10, 1.2), 'OUT_OF_RANGE', /rate: expected a number >= 0 and <= 1, got 1.2/],
  // label noise
  [
    'symmetricNoise: η = 1.5',
    () => symmetricNoise([0, 1], 1.5, 10, rng),
    'OUT_OF_RANGE',
    /rate: expected a number >= 0 and <= 1, got 1.5/,
  ],
  ['symmetricNoise: η < 0', () => symmetricNoise([0, 1], -0.1, 10, rng), 'OUT_OF_RANGE', /rate/],
  [
    'symmetricNoise: one class',
    () => symmetricNoise([0, 1], 0.2, 1, rng),
    'OUT_OF_RANGE',
    /numClasses: expected an integer >= 2, got 1/,
  ],
  [
    'symmetricNoise: label outside the classes',
    () => symmetricNoise([0, 12], 0.2, 10, rng),
    'OUT_OF_RANGE',
    /labels: expected integers in \[0, 10\), got 12/,
  ],
  [
    'symmetricNoise: unknown convention',
    () => symmetricNoise([0, 1], 0.2, 10, rng, 'pairflip' as never),
    'INVALID_ARGUMENT',
    /convention: expected one of/,
  ],
  ['asymmetricNoise: η = 2', () => asymmetricNoise([0, 1], 2, ASYM_MAPS.mnist, rng), 'OUT_OF_RANGE', /rate/],
  [
    'truePositiveShare: mismatched lengths (issue 15)',
    () => truePositiveShare([0, 1, 1], [0, 1]),
    'SHAPE_MISMATCH',
    /cleanLabels: expected 3 labels \(one per noisy label\), got 2/,
  ],
  // the encoder
  [
    'ContrastiveEncoder: featureDim 0',
    () => new ContrastiveEncoder({ featureDim: 0 }),
    'OUT_OF_RANGE',
    /featureDim: expected an integer >= 1/,
  ],
  [
    'ContrastiveEncoder: misspelt key',
    () => new ContrastiveEncoder({ hiden: [3] } as never),
    'INVALID_ARGUMENT',
    /ContrastiveEncoder config: unknown option 'hiden' \(did you mean 'hidden'\?\)/,
  ],
  [
    'ContrastiveEncoder: hidden not a list',
    () => new ContrastiveEncoder({ hidden: 5 as never }),
    'INVALID_ARGUMENT',
    /hidden: expected array, got number/,
  ],
  [
    'ContrastiveEncoder: hidden width 0',
    () => new ContrastiveEncoder({ hidden: [0] }),
    'OUT_OF_RANGE',
    /hidden\[0\]: expected an integer >= 1/,
  ],
  // training and evaluation
  [
    'trainContrastive: oracleLabels of the wrong length',
    () => train({ oracleLabels: [0, 1] }),
    'SHAPE_MISMATCH',
    /oracleLabels: expected 8 labels \(one per row of data.x\), got 2/,
  ],
  [
    'trainContrastive: oracleLabels with RINCE',
    () => train({ loss: 'rince', oracleLabels: data.labels }),
    'INVALID_ARGUMENT',
    /oracleLabels: only 'supcon' and 'symnce' take them, got loss 'rince'/,
  ],
  [
    'reverseGradientShare: unknown form',
    () =>
      reverseGradientShare(null as never, null as never, new Int32Array(0), {
        temperature: 0.5,
        beta: 1,
        revForm: 'cubic' as never,
      }),
    'INVALID_ARGUMENT',
    /revForm: expected one of 'linear', 'mass', 'mae', got 'cubic'/,
  ],
  [
    'trainContrastive: labels do not match x',
    () => trainContrastive({ x: data.x, labels: data.labels.slice(0, 3) }),
    'SHAPE_MISMATCH',
    /data.x: expected N·D = 3·D values/,
  ],
  [
    'trainContrastive: no labels',
    () => trainContrastive({ x: new Float32Array(0), labels: [] }),
    'EMPTY_INPUT',
    /data.labels: expected at least 1 label/,
  ],
  [
    'trainContrastive: NaN in x',
    () => trainContrastive({ x: data.x.map((v, i) => (i === 5 ? NaN : v)), labels: data.labels }),
    'NON_FINITE',
    /data.x: expected finite values, found NaN at row 1/,
  ],
  [
    'trainContrastive: epochs -1',
    () => train({ epochs: -1 }),
    'OUT_OF_RANGE',
    /epochs: expected an integer >= 0, got -1/,
  ],
  ['trainContrastive: τ = 0', () => train({ temperature: 0 }), 'OUT_OF_RANGE', /temperature: expected a number > 0/],
  ['trainContrastive: β < 0', () => train({ beta: -1 }), 'OUT_OF_RANGE', /beta: expected a number >= 0/],
  [
    'trainContrastive: unknown loss',
    () => train({ loss: 'triplet' }),
    'INVALID_ARGUMENT',
    /loss: expected one of 'supcon', 'symnce'/,
  ],
  [
    'trainContrastive: misspelt option',
    () => train({ batchsize: 8 }),
    'INVALID_ARGUMENT',
    /trainContrastive options: unknown option 'batchsize' \(did you mean 'batchSize'\?\)/,
  ],
  [
    'trainContrastive: augment true',
    () => train({ augment: true }),
    'INVALID_ARGUMENT',
    /augment: expected false or \{ maxShift \}, got true/,
  ],
  [
    'trainContrastive: negative shift',
    () => train({ augment: { maxShift: -1 } }),
    'OUT_OF_RANGE',
    /augment.maxShift: expected an integer >= 0, got -1/,
  ],
  [
    'trainContrastive: encoder of another width',
    () => train({ encoder: { ...encoderConfig, inputDim: 10 } }),
    'SHAPE_MISMATCH',
    /encoder.inputDim: expected 4/,
  ],
  [
    'trainContrastive: missing checkpoint to resume',
    () => train({ resumeFrom: join(dir, 'missing.safetensors') }),
    'NOT_FOUND',
    /cannot read safetensors file/,
  ],
  [
    'trainContrastive: existing checkpoint without resume or overwrite (issue 15)',
    () => train({ checkpoint: { path: existing } }),
    'INVALID_ARGUMENT',
    /checkpoint.path: '.*existing.safetensors' already exists and would be overwritten; resume from it/,
  ],
  [
    'trainContrastive: unknown checkpoint key',
    () => train({ checkpoint: { path: join(dir, 'c.safetensors'), every: 2 } }),
    'INVALID_ARGUMENT',
    /checkpoint: unknown option 'every'/,
  ],
  [
    'evaluate: misspelt option',
    withEncoder((e) => evaluate(e, data, data, { k: 5 } as never)),
    'INVALID_ARGUMENT',
    /evaluate options: unknown option 'k'/,
  ],
  [
    'evaluate: knnK above N',
    withEncoder((e) => evaluate(e, data, data, { knnK: 100 })),
    'OUT_OF_RANGE',
    /knnK: expected an integer >= 1 and <= 8/,
  ],
  [
    'extractFeatures: wrong width',
    withEncoder((e) => extractFeatures(e, tf.zeros([2, 3]) as tf.Tensor2D)),
    'SHAPE_MISMATCH',
    /x: expected shape \[N, 4\]/,
  ],
  ['loadCheckpoint: not a checkpoint', () => loadCheckpoint(existing), 'MALFORMED_FILE', /existing.safetensors/],
  // the replication
  [
    'replicate: unknown preset',
    () => replicate({ preset: 'huge' as never }),
    'INVALID_ARGUMENT',
    /preset: expected one of 'quick', 'standard', 'full', got 'huge'/,
  ],
  [
    'replicate: unknown revForm',
    () => replicate({ revForm: 'cubic' as never }),
    'INVALID_ARGUMENT',
    /revForm: expected one of 'linear', 'mass', 'mae'/,
  ],
  [
    'replicate: misspelt option',
    () => replicate({ seed: 1 } as never),
    'INVALID_ARGUMENT',
    /replicate options: unknown option 'seed' \(did you mean 'seeds'\?\)/,
  ],
  [
    'replicate: misspelt override',
    () => replicate({ overrides: { epoch: 3 } as never }),
    'INVALID_ARGUMENT',
    /replicate overrides: unknown option 'epoch' \(did you mean 'epochs'\?\)/,
  ],
  [
    'replicate: noise rate 1.5',
    () => replicate({ overrides: { noise: [{ type: 'symmetric', rate: 1.5 }] } }),
    'OUT_OF_RANGE',
    /overrides.noise\[0\].rate: expected a number >= 0 and <= 1/,
  ],
  [
    'replicate: symmetric noise 0.9 (no signal left)',
    () => replicate({ overrides: { noise: [{ type: 'symmetric', rate: 0.9 }] } }),
    'OUT_OF_RANGE',
    /overrides.noise\[0\].rate: expected a symmetric rate < 0.9/,
  ],
  [
    'replicate: unknown noise type',
    () => replicate({ overrides: { noise: [{ type: 'pairwise' as never, rate: 0.4 }] } }),
    'INVALID_ARGUMENT',
    /overrides.noise\[0\].type: expected one of 'symmetric', 'asymmetric'/,
  ],
  [
    'replicate: no noise setting',
    () => replicate({ overrides: { noise: [] } }),
    'INVALID_ARGUMENT',
    /overrides.noise: expected a non-empty list/,
  ],
  [
    'replicate: unknown form among the arms',
    () => replicate({ overrides: { forms: ['cubic' as never] } }),
    'INVALID_ARGUMENT',
    /overrides.forms\[0\]: expected one of 'linear', 'mass', 'mae', got 'cubic'/,
  ],
  [
    'replicate: primary form not among the arms',
    () => replicate({ revForm: 'mae', overrides: { forms: ['linear'] } }),
    'INVALID_ARGUMENT',
    /primaryForm: expected one of the arms' forms \[linear\], got 'mae'/,
  ],
  [
    'replicate: β of zero',
    () => replicate({ overrides: { betas: { linear: 0, mass: 1, mae: 1 } } }),
    'OUT_OF_RANGE',
    /overrides.betas.linear: expected a number > 0/,
  ],
  [
    'replicate: inverted share range',
    () => replicate({ overrides: { shareRange: [2, 0.1] } }),
    'OUT_OF_RANGE',
    /overrides.shareRange: expected \[low, high\] with 0 < low < high/,
  ],
  [
    'replicate: early-stopping holdout 0.9',
    () => replicate({ overrides: { noisyProbe: { holdout: 0.9, epochs: [10] } } }),
    'OUT_OF_RANGE',
    /overrides.noisyProbe.holdout: expected a number > 0 and <= 0.5/,
  ],
  [
    'replicate: early-stopping epochs empty',
    () => replicate({ overrides: { noisyProbe: { holdout: 0.2, epochs: [] } } }),
    'INVALID_ARGUMENT',
    /overrides.noisyProbe.epochs: expected a non-empty list/,
  ],
  [
    'replicate: positive share above 1',
    () => replicate({ overrides: { minPositiveShare: 1.5 } }),
    'OUT_OF_RANGE',
    /minPositiveShare: expected a number >= 0 and <= 1/,
  ],
  [
    'replicate: more images than MNIST has',
    () => replicate({ overrides: { trainSize: 9000 } }),
    'OUT_OF_RANGE',
    /at most 10000/,
  ],
];

/** The error `call` throws or rejects with (null when it succeeds); tensors it makes are freed. */
async function errorOf(call: () => unknown): Promise<unknown> {
  tf.engine().startScope();
  try {
    await call();
    return null;
  } catch (err) {
    return err;
  } finally {
    tf.engine().endScope();
  }
}

describe('bad input', () => {
  it.each(cases)('%s', async (_name, call, code, message) => {
    const error = await errorOf(call);
    expect(error, 'expected an error').toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect((error as { code?: string }).code).toBe(code);
  });
});

describe('bad input on the command line (issue 15)', () => {
  const run = (argv: string[]) => runCliCaptured(cliSpec, argv);
  beforeEach(() => {
    vi.mocked(replicateForCli).mockClear(); // braces: a function returned from beforeEach would run as a teardown
  });

  it.each([
    [['train', '--noise', '1.5'], /--noise: expected a number >= 0 and <= 1, got 1.5/],
    [['train', '--batch-size', '0'], /--batch-size: expected an integer >= 1, got 0/],
    [['replicate', '--out', join(existing, 'report')], /--out: cannot create the folder/],
  ])('%j fails before any work, naming the flag', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\brate\b|batchSize/);
    expect(replicateForCli).not.toHaveBeenCalled();
  });

  it('replicate --out in a read-only folder fails before the work', async () => {
    if (process.getuid?.() === 0) return; // root writes anywhere
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    const r = await run(['replicate', '--out', join(ro, 'report')]);
    chmodSync(ro, 0o700);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out: cannot (create the folder|write in)/);
    expect(replicateForCli).not.toHaveBeenCalled();
  });

  it('train without --resume refuses to replace an existing checkpoint', async () => {
    const r = await run(['train', '--checkpoint', existing, '--epochs', '1', '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /--checkpoint: '.*' already exists and would be overwritten; pass --resume to continue it or --overwrite/,
    );
    expect(readFileSync(existing, 'utf8')).toBe('a checkpoint someone cares about');
  });
});
