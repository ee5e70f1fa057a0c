import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, tf } from '@lab/core';
import {
  TopKSAE,
  addInputNoise,
  clLoss,
  decodeNpy,
  linearProbe,
  monosemanticityMetrics,
  nclLoss,
  pretrain,
  replicate,
  semanticConsistency,
  sparsity,
  superpositionToy,
  symmetricLabelNoise,
} from '../src/index.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const z = (rows: number, cols: number) => tf.zeros([rows, cols]) as tf.Tensor2D;
const ones = (rows: number, cols: number) => tf.ones([rows, cols]) as tf.Tensor2D;

/** Each public entry point with bad input → the LabError code and a fragment of its message. */
const cases: [string, () => unknown, string, RegExp][] = [
  [
    'nclLoss: odd row count with default ids',
    () => nclLoss(ones(3, 4)),
    'SHAPE_MISMATCH',
    /u: expected an even number of rows/,
  ],
  [
    'nclLoss: idx length ≠ rows',
    () => nclLoss(ones(4, 3), [0, 1, 0]),
    'SHAPE_MISMATCH',
    /idx: expected 4 instance ids/,
  ],
  [
    'nclLoss: no positive pair',
    () => nclLoss(ones(2, 3), [0, 1]),
    'INVALID_ARGUMENT',
    /idx: expected at least one pair/,
  ],
  [
    'nclLoss: τ = 0',
    () => nclLoss(ones(4, 3), undefined, { temperature: 0 }),
    'OUT_OF_RANGE',
    /temperature: expected a number > 0, got 0/,
  ],
  [
    'nclLoss: unknown nonNeg',
    () => nclLoss(ones(4, 3), undefined, { nonNeg: 'gelu' as never }),
    'INVALID_ARGUMENT',
    /nonNeg: expected one of 'none', 'relu', 'repRelu', got 'gelu'/,
  ],
  [
    'nclLoss: unknown option key',
    () => nclLoss(ones(4, 3), undefined, { temprature: 1 } as never),
    'INVALID_ARGUMENT',
    /unknown option 'temprature' \(did you mean 'temperature'\?\)/,
  ],
  [
    'nclLoss: NaN in u',
    () =>
      nclLoss(
        tf.tensor2d([
          [NaN, 1],
          [1, 1],
        ]),
      ),
    'NON_FINITE',
    /u: expected finite values/,
  ],
  ['nclLoss: rank-1 u', () => nclLoss(tf.ones([4]) as never), 'SHAPE_MISMATCH', /u: expected a 2-D tensor/],
  [
    'clLoss: τ < 0',
    () => clLoss(ones(4, 3), undefined, -1),
    'OUT_OF_RANGE',
    /temperature: expected a number > 0, got -1/,
  ],
  ['TopKSAE: k > L', () => new TopKSAE(8, { k: 9 }), 'OUT_OF_RANGE', /k: expected an integer >= 1 and <= 8, got 9/],
  [
    'TopKSAE: k = 0',
    () => new TopKSAE(8, { latents: 4, k: 0 }),
    'OUT_OF_RANGE',
    /k: expected an integer >= 1 and <= 4, got 0/,
  ],
  [
    'TopKSAE: unknown option',
    () => new TopKSAE(8, { latent: 4 } as never),
    'INVALID_ARGUMENT',
    /unknown option 'latent' \(did you mean 'latents'\?\)/,
  ],
  ['TopKSAE: lr ≤ 0', () => new TopKSAE(8, { lr: 0 }), 'OUT_OF_RANGE', /lr: expected a number > 0, got 0/],
  [
    'TopKSAE.encode: input dimension mismatch',
    () => new TopKSAE(8).encode(z(2, 5)),
    'SHAPE_MISMATCH',
    /x: expected shape \[B, 8\]/,
  ],
  [
    'TopKSAE.decode: latent count mismatch',
    () => new TopKSAE(8, { latents: 6 }).decode(z(2, 8)),
    'SHAPE_MISMATCH',
    /latents: expected shape \[B, 6\]/,
  ],
  [
    'semanticConsistency: NaN features',
    () => semanticConsistency(tf.tensor2d([[NaN, 1]]), [0]),
    'NON_FINITE',
    /features: expected finite values/,
  ],
  [
    'semanticConsistency: Inf features',
    () => semanticConsistency(tf.tensor2d([[Infinity, 1]]), [0]),
    'NON_FINITE',
    /features: expected finite values, found Infinity/,
  ],
  [
    'semanticConsistency: labels length ≠ rows',
    () => semanticConsistency(ones(3, 2), [0, 1]),
    'SHAPE_MISMATCH',
    /labels: expected 3 labels/,
  ],
  [
    'semanticConsistency: all-zero features',
    () => semanticConsistency(z(3, 2), [0, 1, 0]),
    'EMPTY_INPUT',
    /every column is zero/,
  ],
  [
    'sparsity: empty feature matrix',
    () => sparsity(z(0, 4)),
    'EMPTY_INPUT',
    /features: expected at least 1 row and 1 column, got \[0, 4\]/,
  ],
  [
    'monosemanticityMetrics: negative label',
    () => monosemanticityMetrics(ones(2, 2), [0, -1]),
    'INVALID_ARGUMENT',
    /labels: expected non-negative integers, got -1/,
  ],
  [
    'monosemanticityMetrics: unknown option',
    () => monosemanticityMetrics(ones(2, 2), [0, 1], { rownorm: true } as never),
    'INVALID_ARGUMENT',
    /unknown option 'rownorm'/,
  ],
  [
    'symmetricLabelNoise: rate > 1',
    () => symmetricLabelNoise([0, 1], 1.5, 2, new Rng(0)),
    'OUT_OF_RANGE',
    /rate: expected a number >= 0 and <= 1, got 1.5/,
  ],
  ['symmetricLabelNoise: rate < 0', () => symmetricLabelNoise([0, 1], -0.1, 2, new Rng(0)), 'OUT_OF_RANGE', /rate/],
  [
    'symmetricLabelNoise: numClasses < 2',
    () => symmetricLabelNoise([0, 0], 0.5, 1, new Rng(0)),
    'OUT_OF_RANGE',
    /numClasses/,
  ],
  [
    'addInputNoise: negative strength',
    () => addInputNoise(z(2, 2), 'gaussian', -0.1, new Rng(0)),
    'OUT_OF_RANGE',
    /strength: expected a number >= 0, got -0.1/,
  ],
  [
    'addInputNoise: unknown kind',
    () => addInputNoise(z(2, 2), 'salt' as never, 0.1, new Rng(0)),
    'INVALID_ARGUMENT',
    /kind/,
  ],
  [
    'superpositionToy: W columns ≠ features',
    () => superpositionToy(z(2, 5), z(2, 4), tf.zeros([5]) as tf.Tensor1D, tf.ones([5]) as tf.Tensor1D),
    'SHAPE_MISMATCH',
    /W: expected shape \[m, 5\]/,
  ],
  [
    'superpositionToy: importance length',
    () => superpositionToy(z(2, 5), z(2, 5), tf.zeros([5]) as tf.Tensor1D, tf.ones([4]) as tf.Tensor1D),
    'SHAPE_MISMATCH',
    /importance: expected shape \[5\]/,
  ],
  [
    'decodeNpy: not an npy file',
    () => decodeNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])),
    'MALFORMED_FILE',
    /missing the \\x93NUMPY magic/,
  ],
];

describe('bad input', () => {
  it.each(cases)('%s', (_name, call, code, message) => {
    expect(call).toThrow(message);
    try {
      call();
    } catch (err) {
      expect((err as { code?: string }).code).toBe(code);
    }
  });

  const asyncCases: [string, () => Promise<unknown>, string, RegExp][] = [
    [
      'pretrain: image size mismatch',
      () => pretrain({ x: z(8, 100) }),
      'SHAPE_MISMATCH',
      /data.x: expected shape \[N, 784\]/,
    ],
    [
      'pretrain: unknown method',
      () => pretrain({ x: z(8, 784) }, { method: 'byol' as never }),
      'INVALID_ARGUMENT',
      /method: expected one of 'cl', 'ncl'/,
    ],
    [
      'pretrain: batch larger than the data',
      () => pretrain({ x: z(8, 784) }, { batchSize: 16 }),
      'OUT_OF_RANGE',
      /batchSize: expected an integer >= 2 and <= 8, got 16/,
    ],
    [
      'pretrain: labels length ≠ rows',
      () => pretrain({ x: z(8, 784), labels: [0, 1] }, { batchSize: 4 }),
      'SHAPE_MISMATCH',
      /data.labels: expected 8 labels/,
    ],
    [
      'pretrain: unknown augment key',
      () =>
        pretrain(
          { x: z(8, 784) },
          { augment: { shift: 1, cutout: 0, brightness: [1, 1], noiseStd: 0, flip: true } as never },
        ),
      'INVALID_ARGUMENT',
      /unknown option 'flip'/,
    ],
    [
      'TopKSAE.fit: NaN features',
      () => new TopKSAE(2).fit(tf.tensor2d([[NaN, 1]])),
      'NON_FINITE',
      /x: expected finite values/,
    ],
    [
      'TopKSAE.fit: changing k',
      () => new TopKSAE(16, { steps: 1 }).fit(ones(2, 16), { k: 1 }),
      'INVALID_ARGUMENT',
      /'latents' and 'k' are fixed at construction/,
    ],
    [
      'linearProbe: unknown protocol',
      () => linearProbe(ones(2, 2), [0, 1], ones(2, 2), [0, 1], { protocol: 'lbfgs' as never }),
      'INVALID_ARGUMENT',
      /protocol: expected one of 'rawSgd'/,
    ],
    [
      'replicate: unknown preset',
      () => replicate({ preset: 'huge' as never }),
      'INVALID_ARGUMENT',
      /preset: expected one of quick, standard, full/,
    ],
    [
      'replicate: unknown override',
      () => replicate({ preset: 'quick', overrides: { widht: 3 } as never }),
      'INVALID_ARGUMENT',
      /overrides: unknown key 'widht'/,
    ],
  ];
  it.each(asyncCases)('%s', async (_name, call, code, message) => {
    const err = await call().then(
      () => null,
      (e: unknown) => e,
    );
    expect(String((err as Error | null)?.message)).toMatch(message);
    expect((err as { code?: string }).code).toBe(code);
  });
});
