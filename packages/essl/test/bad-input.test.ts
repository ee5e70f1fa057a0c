import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, tf } from '@lab/core';
import {
  C4BatchNorm,
  C4Cnn,
  C4GroupConv,
  C4LiftConv,
  MlpEncoder,
  SmallCnn,
  applyTask,
  c4Act,
  c4GroupPool,
  cosineLrFactor,
  encodeImages,
  equivarianceResidual,
  gaussianBlur,
  gaussianKernel1d,
  gradReverse,
  grayscale3,
  hflip,
  invert,
  jigsaw,
  modeLosses,
  ntXent,
  permutationRank,
  pretrain,
  replicate,
  rot90,
  rotationAccuracy,
  transformationLoss,
  vflip,
  undoTask,
} from '../src/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const img = (b: number, h: number, w: number, c = 1) => tf.zeros([b, h, w, c]) as tf.Tensor4D;
const withNaN = () => tf.tensor4d([0, Number.NaN, 0, 0], [1, 2, 2, 1]);
const logits = () => tf.zeros([2, 4]) as tf.Tensor2D;
const labels = (n = 2) => tf.zeros([n], 'int32') as tf.Tensor1D;
const id = (h: tf.Tensor2D) => h;

/** Each public entry point with bad input → the LabError code and a fragment of its message. */
const cases: [string, () => unknown, string, RegExp][] = [
  ['rot90 non-square', () => rot90(img(1, 4, 6), 1), 'SHAPE_MISMATCH', /rot90 needs square images, got 4×6/],
  ['rot90 rank 3', () => rot90(tf.zeros([4, 4, 1]) as never, 1), 'SHAPE_MISMATCH', /x: expected a 4-D tensor/],
  ['rot90 non-integer k', () => rot90(img(1, 4, 4), 1.5), 'INVALID_ARGUMENT', /k: expected an integer/],
  ['rot90 NaN image', () => rot90(withNaN(), 1), 'NON_FINITE', /x: expected finite values/],
  ['rot90 empty batch', () => rot90(img(0, 4, 4), 1), 'EMPTY_INPUT', /at least 1 image/],
  ['hflip rank 2', () => hflip(tf.zeros([2, 4]) as never), 'SHAPE_MISMATCH', /x: expected a 4-D tensor/],
  ['vflip NaN', () => vflip(withNaN()), 'NON_FINITE', /finite/],
  ['invert int32', () => invert(tf.zeros([1, 2, 2, 1], 'int32') as never), 'DTYPE_MISMATCH', /float32/],
  ['grayscale3 on 1 channel', () => grayscale3(img(1, 4, 4)), 'SHAPE_MISMATCH', /3 colour channels, got 1/],
  [
    'gaussianKernel1d even size',
    () => gaussianKernel1d(4, 1),
    'OUT_OF_RANGE',
    /positive odd integer kernel size, got 4/,
  ],
  ['gaussianKernel1d size 0', () => gaussianKernel1d(0, 1), 'OUT_OF_RANGE', /odd integer kernel size, got 0/],
  ['gaussianKernel1d sigma 0', () => gaussianKernel1d(5, 0), 'OUT_OF_RANGE', /sigma: expected a number > 0, got 0/],
  ['gaussianBlur sigma < 0', () => gaussianBlur(img(1, 8, 8), 5, -1), 'OUT_OF_RANGE', /sigma/],
  ['gaussianBlur kernel too large', () => gaussianBlur(img(1, 4, 4), 9, 1), 'OUT_OF_RANGE', /reflect padding of 4/],
  ['jigsaw odd size', () => jigsaw(img(1, 5, 5), [0, 1, 2, 3]), 'SHAPE_MISMATCH', /even height and width, got 5×5/],
  ['jigsaw non-square', () => jigsaw(img(1, 4, 6), [0, 1, 2, 3]), 'SHAPE_MISMATCH', /jigsaw needs square images/],
  [
    'jigsaw bad perm',
    () => jigsaw(img(1, 4, 4), [0, 1, 1, 3]),
    'INVALID_ARGUMENT',
    /permutation of 0..3, got \[0, 1, 1, 3\]/,
  ],
  ['permutationRank too long', () => permutationRank([0, 1, 2, 3, 4]), 'INVALID_ARGUMENT', /permutation of 0..3/],
  [
    'applyTask unknown task',
    () => applyTask('rotate' as never, img(1, 4, 4), new Rng(0)),
    'INVALID_ARGUMENT',
    /task: expected one of 'rotation'/,
  ],
  [
    'applyTask unknown option',
    () => applyTask('blur', img(1, 8, 8), new Rng(0), { sigmas: [1, 1, 1] } as never),
    'INVALID_ARGUMENT',
    /unknown option 'sigmas'/,
  ],
  [
    'applyTask sigma ≤ 0',
    () => applyTask('blur', img(1, 8, 8), new Rng(0), { blurSigmas: [1, 0, 1] }),
    'OUT_OF_RANGE',
    /blurSigmas: expected 3 values > 0/,
  ],
  ['applyTask rotation non-square', () => applyTask('rotation', img(1, 4, 6), new Rng(0)), 'SHAPE_MISMATCH', /square/],
  ['applyTask jigsaw odd', () => applyTask('jigsaw', img(1, 5, 5), new Rng(0)), 'SHAPE_MISMATCH', /even height/],
  ['applyTask NaN', () => applyTask('invert', withNaN(), new Rng(0)), 'NON_FINITE', /finite/],
  ['applyTask empty', () => applyTask('invert', img(0, 4, 4), new Rng(0)), 'EMPTY_INPUT', /at least 1 image/],
  [
    'applyTask without Rng',
    () => applyTask('invert', img(1, 4, 4), 3 as never),
    'INVALID_ARGUMENT',
    /rng: expected a seeded Rng/,
  ],
  [
    'transformationLoss label count',
    () => transformationLoss(logits(), labels(3)),
    'SHAPE_MISMATCH',
    /r: expected 2 labels/,
  ],
  [
    'transformationLoss rank-1 logits',
    () => transformationLoss(tf.zeros([4]) as never, labels()),
    'SHAPE_MISMATCH',
    /logits: expected a 2-D tensor/,
  ],
  ['gradReverse λ < 0', () => gradReverse(tf.zeros([2]), -1), 'OUT_OF_RANGE', /lambda: expected a number >= 0, got -1/],
  [
    'modeLosses λ < 0',
    () => modeLosses(logits(), id, id, labels(), labels(), { mode: 'add', lambda: -0.5 }),
    'OUT_OF_RANGE',
    /lambda/,
  ],
  ['ntXent odd rows', () => ntXent(tf.zeros([3, 4]) as tf.Tensor2D), 'SHAPE_MISMATCH', /even number ≥ 2 of rows/],
  [
    'ntXent unknown variant',
    () => ntXent(tf.ones([2, 4]) as tf.Tensor2D, { variant: 'clamped' as never }),
    'INVALID_ARGUMENT',
    /variant: expected one of 'standard', 'repoClamped'/,
  ],
  [
    'ntXent temperature 0',
    () => ntXent(tf.ones([2, 4]) as tf.Tensor2D, { temperature: 0 }),
    'OUT_OF_RANGE',
    /temperature: expected a number > 0/,
  ],
  ['cosineLrFactor step > total', () => cosineLrFactor(11, 10, 0.6, 1e-3), 'OUT_OF_RANGE', /step/],
  [
    'C4LiftConv wrong channels',
    () => new C4LiftConv(1, 2).apply(img(1, 4, 4, 3)),
    'SHAPE_MISMATCH',
    /expected 1 input channels, got 3/,
  ],
  [
    'C4GroupConv channels not ÷ 4',
    () => new C4GroupConv(2, 2).apply(img(1, 4, 4, 6)),
    'SHAPE_MISMATCH',
    /divisible by 4/,
  ],
  [
    'C4GroupConv wrong fields',
    () => new C4GroupConv(2, 2).apply(img(1, 4, 4, 4)),
    'SHAPE_MISMATCH',
    /expected 8 channels \(2 fields × 4\), got 4/,
  ],
  [
    'C4GroupConv stride 3',
    () => new C4GroupConv(2, 2, { stride: 3 as never }),
    'INVALID_ARGUMENT',
    /stride: expected 1 or 2/,
  ],
  [
    'C4BatchNorm channels not ÷ 4',
    () => new C4BatchNorm(1).apply(img(2, 4, 4, 3), true),
    'SHAPE_MISMATCH',
    /divisible by 4/,
  ],
  ['c4GroupPool channels not ÷ 4', () => c4GroupPool(img(1, 4, 4, 5)), 'SHAPE_MISMATCH', /divisible by 4/],
  ['c4Act rank 3', () => c4Act(tf.zeros([4, 4, 4]) as never), 'SHAPE_MISMATCH', /expected a 4-D tensor/],
  [
    'equivarianceResidual unknown action',
    () => equivarianceResidual((x) => x, img(1, 4, 4), { action: 'mirror' as never }),
    'INVALID_ARGUMENT',
    /action/,
  ],
  ['equivarianceResidual non-square', () => equivarianceResidual((x) => x, img(1, 4, 6)), 'SHAPE_MISMATCH', /square/],
  [
    'MlpEncoder unknown option',
    () => new MlpEncoder({ widht: 3 } as never),
    'INVALID_ARGUMENT',
    /unknown option 'widht' \(did you mean 'width'\?\)/,
  ],
  [
    'MlpEncoder wrong input size',
    () => encodeImages(new MlpEncoder({ width: 4 }), img(2, 28, 28)),
    'SHAPE_MISMATCH',
    /expected images \[B, 14, 14, 1\]/,
  ],
  ['SmallCnn width 0', () => new SmallCnn({ channels: [0, 4] }), 'OUT_OF_RANGE', /channels\[0\]/],
  ['C4Cnn fields 0', () => new C4Cnn({ fields: [2, 0] }), 'OUT_OF_RANGE', /fields\[1\]/],
  [
    'rotationAccuracy subsets without labels',
    () =>
      rotationAccuracy(new MlpEncoder({ width: 4 }), new C4BatchNorm(1) as never, img(2, 14, 14), undefined, {
        a: [1],
      }),
    'SHAPE_MISMATCH',
    /y: expected 2 labels/,
  ],
];

/** pretrain is async: same table, awaited. */
const asyncCases: [string, () => Promise<unknown>, string, RegExp][] = [
  [
    'pretrain unknown mode',
    () => pretrain({ x: img(4, 14, 14) }, new MlpEncoder({ width: 4 }), { mode: 'remove' as never }),
    'INVALID_ARGUMENT',
    /mode: expected one of 'normal', 'add', 'eliminate'/,
  ],
  [
    'pretrain unknown task',
    () => pretrain({ x: img(4, 14, 14) }, new MlpEncoder({ width: 4 }), { task: 'colour' as never }),
    'INVALID_ARGUMENT',
    /task: expected one of/,
  ],
  [
    'pretrain λ < 0',
    () => pretrain({ x: img(4, 14, 14) }, new MlpEncoder({ width: 4 }), { lambda: -1 }),
    'OUT_OF_RANGE',
    /lambda: expected a number >= 0/,
  ],
  [
    'pretrain unknown key',
    () => pretrain({ x: img(4, 14, 14) }, new MlpEncoder({ width: 4 }), { epoch: 2 } as never),
    'INVALID_ARGUMENT',
    /unknown option 'epoch' \(did you mean 'epochs'\?\)/,
  ],
  [
    'pretrain add without labels',
    () => pretrain({ x: img(4, 14, 14) }, new MlpEncoder({ width: 4 }), { mode: 'add' }),
    'INVALID_ARGUMENT',
    /data.y: mode 'add' needs class labels/,
  ],
  [
    'pretrain NaN images',
    () => pretrain({ x: tf.fill([2, 14, 14, 1], Number.NaN) as tf.Tensor4D }, new MlpEncoder({ width: 4 })),
    'NON_FINITE',
    /data.x: expected finite values/,
  ],
  [
    'pretrain empty batch',
    () => pretrain({ x: img(0, 14, 14) }, new MlpEncoder({ width: 4 })),
    'EMPTY_INPUT',
    /data.x: expected at least 1 image/,
  ],
  [
    'pretrain label count',
    () => pretrain({ x: img(4, 14, 14), y: new Int32Array(3) }, new MlpEncoder({ width: 4 }), { mode: 'eliminate' }),
    'SHAPE_MISMATCH',
    /data.y: expected 4 labels/,
  ],
  [
    'pretrain batch size 1',
    () => pretrain({ x: img(4, 14, 14) }, new MlpEncoder({ width: 4 }), { batchSize: 1 }),
    'OUT_OF_RANGE',
    /batchSize: expected an integer >= 2/,
  ],
  [
    'replicate unknown preset',
    () => replicate({ preset: 'huge' as never }),
    'INVALID_ARGUMENT',
    /preset: expected one of 'quick', 'standard', 'full'/,
  ],
  [
    'replicate unknown experiment',
    () => replicate({ preset: 'quick', experiments: ['g5' as never] }),
    'INVALID_ARGUMENT',
    /experiments: expected a non-empty list of g1, g2, g3, g4/,
  ],
  [
    'replicate unknown key',
    () => replicate({ preset: 'quick', seed: 1 } as never),
    'INVALID_ARGUMENT',
    /unknown option 'seed' \(did you mean 'seeds'\?\)/,
  ],
  [
    'replicate seeds 0',
    () => replicate({ preset: 'quick', seeds: 0 }),
    'OUT_OF_RANGE',
    /seeds: expected a positive integer/,
  ],
];

describe('bad input', () => {
  it.each(cases)('%s', (_name, call, code, message) => {
    let caught: unknown;
    try {
      call();
    } catch (err) {
      caught = err;
    }
    expect(caught, 'expected a throw').toBeInstanceOf(Error);
    expect((caught as Error).message).toMatch(message);
    expect((caught as { code?: string }).code).toBe(code);
  });

  it.each(asyncCases)('%s', async (_name, call, code, message) => {
    const caught = await call().then(
      () => null,
      (err: unknown) => err,
    );
    expect(caught, 'expected a rejection').toBeInstanceOf(Error);
    expect((caught as Error).message).toMatch(message);
    expect((caught as { code?: string }).code).toBe(code);
  });
});
