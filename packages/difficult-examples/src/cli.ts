#!/usr/bin/env node
// The `lab-difficult-examples` command line: the option tables and the commands in one place, on core's
// shared driver (--help, --version, --backend, --quiet, the --json [path|-] rule, checked numbers, paths
// checked before any work, one progress printer, one report printer).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LabError,
  Rng,
  defineCommand,
  knnAccuracy,
  linearProbe,
  loadMnist,
  replicateCommand,
  runCliIfMain,
  tf,
  type CliOption,
  type CliSpec,
  type ProgressEvent,
  type ReplicationReport,
} from '@lab/core';
import pkg from '../package.json';
import {
  LOSS_MODES,
  PRESETS,
  PRESET_CONFIGS,
  REPLICATION_VARIANTS,
  type DEPreset,
  type ReplicationVariant,
  defaultDifficultLossOptions,
  defaultSelectionOptions,
  defaultTrainOptions,
} from './config.js';
import { mnistRows, readImageFile, type ImageSet } from './data.js';
import { encode, trainSimCLR } from './model.js';
import { mergeReplicationReports, replicate, seedsFlag } from './replicate.js';
import { lowestMarginPerClass, mixDifficult, outOfFoldMargins } from './scoring.js';
import { numericLambda, spectralBounds } from './theory.js';

// ── shared flags ─────────────────────────────────────────────────────────────────────────

const rate = (description: string, fallback: number) =>
  ({ type: 'number', min: 0, max: 1, default: fallback, description }) as const;

const dataFlags = {
  n: {
    type: 'number',
    integer: true,
    min: 2,
    default: 3000,
    description: 'MNIST images drawn (ignored with --input)',
  },
  seed: { type: 'number', integer: true, min: 0, default: 0, description: 'random seed' },
} as const satisfies Record<string, CliOption>;

/** Images for `train` / `score`: the `--input` JSON file, or `n` MNIST digits drawn with the seed's split. */
async function loadImages(input: string | undefined, n: number, seed: number): Promise<ImageSet> {
  if (input !== undefined) return readImageFile(input, '--input');
  const mnist = await loadMnist();
  if (n > mnist.count) throw new LabError('OUT_OF_RANGE', `--n: expected an integer <= ${mnist.count}, got ${n}`);
  const { x, labels } = mnistRows(mnist, new Rng(seed).fork('split').permutation(mnist.count).slice(0, n));
  return { x, labels, dim: 784, count: n };
}

// ── train ────────────────────────────────────────────────────────────────────────────────

const train = defineCommand({
  description:
    'Train SimCLR with in-loss difficult-pair selection on MNIST (or --input images) and report probe/kNN accuracy.',
  options: {
    mode: {
      type: 'choice',
      choices: LOSS_MODES,
      default: defaultTrainOptions.mode,
      description: "loss: 'ntxent', 'remove' (Eq. 13), 'margin' (14), 'temperature' (15), 'combined' (16)",
    },
    epochs: {
      type: 'number',
      integer: true,
      min: 1,
      default: defaultTrainOptions.epochs,
      description: 'training epochs',
    },
    batch: {
      type: 'number',
      integer: true,
      min: 2,
      default: defaultTrainOptions.batchSize,
      description: 'items per batch B (2B rows)',
      param: 'batchSize',
    },
    lr: {
      type: 'number',
      min: 0,
      minExclusive: true,
      default: defaultTrainOptions.lr,
      description: 'Adam learning rate',
    },
    ...dataFlags,
    omega: rate('fraction of training images replaced by cross-class mixtures (needs labels)', 0),
    'pos-high': {
      type: 'number',
      min: 0,
      max: 1,
      minExclusive: true,
      maxExclusive: true,
      default: defaultSelectionOptions.posHigh,
      description: 'upper band edge, descending percentile',
    },
    'pos-low': {
      type: 'number',
      min: 0,
      max: 1,
      minExclusive: true,
      default: defaultSelectionOptions.posLow,
      description: 'lower band edge, descending percentile',
    },
    sigma: {
      type: 'number',
      min: 0,
      default: defaultDifficultLossOptions.sigma,
      description: 'margin σ on difficult pairs',
    },
    rho: {
      type: 'number',
      min: 0,
      minExclusive: true,
      default: defaultDifficultLossOptions.rho,
      description: 'temperature factor ρ on difficult pairs',
    },
    temperature: {
      type: 'number',
      min: 0,
      minExclusive: true,
      default: defaultDifficultLossOptions.temperature,
      description: 'NT-Xent temperature τ',
    },
    input: {
      type: 'input',
      description:
        'JSON file { "images": number[][], "labels"?: number[] } of flattened square images instead of MNIST',
    },
    json: { type: 'json', description: 'the epoch log and metrics as JSON: on stdout alone, or to a file' },
  },
  async run({ values, progress, output }) {
    const { seed, epochs, omega } = values;
    if (values.input === undefined && values.n > 8000)
      throw new LabError(
        'OUT_OF_RANGE',
        `--n: expected at most 8000 (1,000 probe and 1,000 test digits are held out), got ${values.n}`,
      );
    const data = await loadImages(values.input, values.n, seed);
    let x = data.x;
    if (omega > 0) {
      if (!data.labels)
        throw new LabError(
          'INVALID_ARGUMENT',
          '--omega: mixing needs labels; pass MNIST (no --input) or "labels" in the input file',
        );
      x = mixDifficult(data.x, data.labels, omega, new Rng(seed).fork('mix'), { dim: data.dim }).x;
    }
    const side = Math.round(Math.sqrt(data.dim));
    const xt = tf.tensor2d(x, [data.count, data.dim]);
    try {
      const { model, log } = await trainSimCLR(
        { x: xt },
        {
          mode: values.mode,
          epochs,
          batchSize: values.batch,
          lr: values.lr,
          seed,
          imageSide: side,
          selection: { posHigh: values['pos-high'], posLow: values['pos-low'] },
          loss: { sigma: values.sigma, rho: values.rho, temperature: values.temperature },
        },
        { onProgress: progress.onProgress },
      );
      const result: { log: typeof log; probeAcc?: number; knnAcc?: number } = { log };
      const last = log[log.length - 1]!;
      let text = `${epochs} epochs: loss ${last.loss.toFixed(4)}, ${(100 * last.selectedFraction).toFixed(1)} % of pairs selected`;
      try {
        if (values.input === undefined) {
          // Evaluate on 1,000 clean probe and up to 2,000 clean test digits disjoint from the training images.
          const mnist = await loadMnist();
          const perm = new Rng(seed).fork('split').permutation(mnist.count);
          const pick = (from: number, count: number) => {
            const rows = mnistRows(mnist, perm.slice(from, from + count));
            return { t: tf.tensor2d(rows.x, [count, 784]), y: rows.labels };
          };
          const probe = pick(data.count, 1000);
          const test = pick(data.count + 1000, Math.min(2000, mnist.count - data.count - 1000));
          const hP = encode(model, probe.t);
          const hT = encode(model, test.t);
          try {
            result.probeAcc = 100 * (await linearProbe(hP, probe.y, hT, test.y, { seed })).accuracy;
            result.knnAcc = 100 * knnAccuracy(hP, probe.y, hT, test.y, { k: 20 });
          } finally {
            tf.dispose([hP, hT, probe.t, test.t]);
          }
          text += `\nlinear probe ${result.probeAcc.toFixed(2)} %, kNN (k = 20) ${result.knnAcc.toFixed(2)} %`;
        }
      } finally {
        model.dispose();
      }
      output(result, text);
    } finally {
      xt.dispose();
    }
  },
});

// ── score ────────────────────────────────────────────────────────────────────────────────

const score = defineCommand({
  description:
    'Score examples by supervised top-2 margin (5-fold out-of-fold MLP) and list the lowest-margin fraction per class.',
  options: {
    frac: {
      type: 'number',
      min: 0,
      max: 1,
      maxExclusive: true,
      default: 0.08,
      description: 'fraction removed per class (the paper removes 8 %)',
    },
    ...dataFlags,
    omega: rate('mix this fraction first and report how many mixtures were caught', 0),
    folds: { type: 'number', integer: true, min: 2, default: 5, description: 'out-of-fold splits' },
    epochs: { type: 'number', integer: true, min: 1, default: 10, description: 'scorer epochs per fold' },
    input: {
      type: 'input',
      description: 'JSON file { "images": number[][], "labels": number[] } instead of MNIST',
    },
    json: { type: 'json', description: 'margins and removed indices as JSON: on stdout alone, or to a file' },
  },
  async run({ values, progress, output }) {
    const { seed, omega } = values;
    const data = await loadImages(values.input, values.n, seed);
    if (!data.labels) throw new LabError('INVALID_ARGUMENT', '--input: scoring needs "labels" in the input file');
    const mixed = mixDifficult(data.x, data.labels, omega, new Rng(seed).fork('mix'), { dim: data.dim });
    const xt = tf.tensor2d(mixed.x, [data.count, data.dim]);
    try {
      const margins = await outOfFoldMargins(xt, data.labels, {
        folds: values.folds,
        epochs: values.epochs,
        seed,
        onProgress: progress.onProgress,
      });
      const removed = lowestMarginPerClass(margins, data.labels, values.frac);
      const isMixed = new Set(mixed.mixedIdx);
      const caught = Array.from(removed).filter((i) => isMixed.has(i)).length;
      output(
        { margins: Array.from(margins), removed: Array.from(removed), mixed: Array.from(mixed.mixedIdx), caught },
        `removed ${removed.length} of ${data.count} examples${omega > 0 ? `; ${caught} of ${mixed.mixedIdx.length} mixtures among them` : ''}`,
      );
    } finally {
      xt.dispose();
    }
  },
});

// ── replicate ────────────────────────────────────────────────────────────────────────────

/** The options the replicate command hands to `replicate()` (and to its worker processes). */
interface ReplicateRun {
  preset: string;
  seeds?: number[];
  onProgress: (event: ProgressEvent) => void;
  omega: number;
  epochs?: number;
  variants?: string[];
  parallel: number;
  backend?: string;
}

/**
 * Runs seed groups of `replicate` in child processes of this CLI (the WASM backend uses few cores each), each
 * with `--json <file>` and the driver's JSON-lines progress on stderr (LAB_PROGRESS=jsonl); sums their progress
 * into `onProgress` and merges their reports.
 */
async function replicateInParallel(run: ReplicateRun, seeds: number[]): Promise<ReplicationReport> {
  const workers = Math.min(run.parallel, seeds.length);
  const groups = Array.from({ length: workers }, (_, g) => seeds.filter((_, i) => i % workers === g));
  const forward = ['--preset', run.preset, '--omega', String(run.omega)];
  if (run.epochs !== undefined) forward.push('--epochs', String(run.epochs));
  if (run.variants !== undefined) forward.push('--variants', run.variants.join(','));
  if (run.backend !== undefined) forward.push('--backend', run.backend);
  const dir = mkdtempSync(join(tmpdir(), 'lab-difficult-examples-'));
  const done = new Array<number>(workers).fill(0);
  const totals = new Array<number>(workers).fill(0);
  try {
    const runs = groups.map(
      (group, g) =>
        new Promise<ReplicationReport>((resolve, reject) => {
          const out = join(dir, `seeds-${g}.json`);
          const child = spawn(
            process.execPath,
            [process.argv[1]!, 'replicate', ...forward, '--seeds', seedsFlag(group), '--json', out],
            {
              stdio: ['ignore', 'ignore', 'pipe'],
              env: {
                ...process.env,
                LAB_PROGRESS: 'jsonl',
                // The workers share the cores: each gets its share of WASM threads unless the user chose a count.
                LAB_WASM_THREADS:
                  process.env.LAB_WASM_THREADS ??
                  String(Math.max(1, Math.min(4, Math.floor(availableParallelism() / workers)))),
              },
            },
          );
          let errText = '';
          let buffer = '';
          child.stderr.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            const lines = buffer.split('\n');
            buffer = lines.pop() ?? '';
            for (const line of lines) {
              let event: Partial<ProgressEvent> | null = null;
              try {
                event = line.startsWith('{') ? (JSON.parse(line) as Partial<ProgressEvent>) : null;
              } catch {
                event = null;
              }
              if (!event || typeof event.done !== 'number' || typeof event.total !== 'number') {
                errText += `${line}\n`;
                continue;
              }
              done[g] = event.done;
              totals[g] = event.total;
              const total = totals.reduce((a, b) => a + b, 0);
              run.onProgress({
                stage: `${workers} workers · ${event.stage ?? ''}`,
                done: Math.min(
                  done.reduce((a, b) => a + b, 0),
                  total - 1,
                ),
                total,
              });
            }
          });
          child.on('error', reject);
          child.on('close', (code) => {
            if (code !== 0)
              reject(
                new LabError(
                  'INVALID_ARGUMENT',
                  `replicate worker for seeds [${group.join(', ')}] exited with code ${code}: ${(errText + buffer).trim().slice(-2000)}`,
                ),
              );
            else resolve(JSON.parse(readFileSync(out, 'utf8')) as ReplicationReport);
          });
        }),
    );
    const merged = mergeReplicationReports(await Promise.all(runs));
    run.onProgress({ stage: 'merged', done: 1, total: 1 });
    return merged;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `replicate()` in this process, or in `--parallel` worker processes when more than one is asked for. */
async function runReplicate(run: ReplicateRun): Promise<ReplicationReport> {
  const { parallel, backend: _backend, variants, ...options } = run;
  const preset = run.preset as DEPreset;
  const seeds = run.seeds ?? Array.from({ length: PRESET_CONFIGS[preset].seeds }, (_, i) => i);
  if (parallel > 1 && seeds.length > 1) return replicateInParallel(run, seeds);
  return replicate({
    ...options,
    preset,
    ...(variants === undefined ? {} : { variants: variants as ReplicationVariant[] }),
  });
}

const replicateCmd = replicateCommand({
  presets: PRESETS,
  defaultPreset: 'standard',
  description:
    "Run the ω-mixed MNIST miniature (spec §5) and print the paired report; 'quick' is 1 seed, 3 variants, 10 epochs; 'standard' (default) 5 seeds, the criterion's 6 arms, 10 epochs, the positive control first; 'full' 5 seeds, 7 variants, 20 epochs.",
  replicate: (options) => runReplicate(options as unknown as ReplicateRun),
  options: {
    omega: rate('fraction of training images replaced by mixtures', 0.5),
    epochs: { type: 'number', integer: true, min: 1, description: "SimCLR epochs per run (default: the preset's)" },
    variants: {
      type: 'choices',
      choices: REPLICATION_VARIANTS,
      description: "comma-separated subset of the variants (default: the preset's; baseline always runs)",
    },
    parallel: {
      type: 'number',
      integer: true,
      min: 1,
      default: 1,
      description: 'run the seeds in this many worker processes and merge their reports',
    },
  },
  extra: (values) => ({
    omega: values.omega,
    parallel: values.parallel,
    ...(values.epochs === undefined ? {} : { epochs: values.epochs }),
    ...(values.variants === undefined ? {} : { variants: values.variants }),
    // The driver's --backend, forwarded to worker processes when given.
    ...((values as { backend?: string }).backend === undefined
      ? {}
      : { backend: (values as { backend?: string }).backend }),
  }),
});

// ── theory ───────────────────────────────────────────────────────────────────────────────

const similarity = (description: string, fallback: number) =>
  ({ type: 'number', min: 0, max: 1, maxExclusive: true, default: fallback, description }) as const;

const theory = defineCommand({
  description: 'Closed-form λ_{k+1} of the similarity graph (Thms 3.3, 3.4, Cor 4.1) next to the numeric eigenvalue.',
  needsBackend: false,
  options: {
    n: { type: 'number', integer: true, min: 1, default: 6, description: 'samples per class' },
    r: { type: 'number', integer: true, min: 1, default: 2, description: 'r (r + 1 classes)' },
    nd: { type: 'number', integer: true, min: 0, default: 2, description: 'difficult samples per class (<= n)' },
    alpha: similarity('same-class similarity α', 0.5),
    beta: similarity('different-class similarity β', 0.1),
    gamma: similarity('difficult cross-class similarity γ (β <= γ < α)', 0.3),
    json: { type: 'json', description: 'the bounds as JSON: on stdout alone, or to a file' },
  },
  run({ values, output }) {
    const p = {
      n: values.n,
      r: values.r,
      nd: values.nd,
      alpha: values.alpha,
      beta: values.beta,
      gamma: values.gamma,
    };
    const bounds = spectralBounds(p);
    const numeric = p.gamma > p.beta ? numericLambda(p) : Number.NaN;
    const text = [
      `λ_{k+1}, k = r + 1 = ${p.r + 1}:`,
      `  with difficult examples (Thm 3.4): ${bounds.withDifficult.toFixed(6)}   numeric: ${numeric.toFixed(6)}`,
      `  without (Thm 3.3):                 ${bounds.clean.toFixed(6)}`,
      `  difficult removed (Cor 4.1):       ${bounds.removed.toFixed(6)}`,
      `  removal helps iff γ − β > ${bounds.removalThreshold.toFixed(6)} (here γ − β = ${(p.gamma - p.beta).toFixed(6)})`,
    ].join('\n');
    output({ params: p, ...bounds, numericWithDifficult: numeric }, text);
  },
});

/** The `lab-difficult-examples` CLI (exported for tests; runs when this file is the program). */
export const cliSpec: CliSpec = {
  name: 'lab-difficult-examples',
  version: pkg.version,
  description:
    'Difficult examples in unsupervised contrastive learning (Zhang, Cui, Li, Wang; ICLR 2026): SimCLR with label-free difficult-pair removal / margin / temperature edits, supervised-margin data pruning, the similarity-graph theory and the ω-mixed MNIST miniature.',
  commands: { train, score, replicate: replicateCmd, theory },
};

runCliIfMain(cliSpec, import.meta.url);
