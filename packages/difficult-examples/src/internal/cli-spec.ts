import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LabError,
  Rng,
  initBackend,
  resolveSeeds,
  knnAccuracy,
  linearProbe,
  loadMnist,
  numberOption,
  tf,
  writeFileAtomic,
  type CliSpec,
  type ProgressEvent,
  type ReplicationReport,
} from '@lab/core';
import type { DifficultLossMode } from '../config.js';
import { encode, trainSimCLR } from '../model.js';
import { REPLICATION_VARIANTS, mergeReplicationReports, replicate, type ReplicationVariant } from '../replicate.js';
import { lowestMarginPerClass, mixDifficult, outOfFoldMargins } from '../scoring.js';
import { numericLambda, spectralBounds } from '../theory.js';

/** Writes `value` as JSON to a file, or to stdout for `-`. */
function emitJson(target: string | undefined, value: unknown): void {
  if (target === undefined) return;
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (target === '-') process.stdout.write(text);
  else {
    writeFileAtomic(target, text);
    console.error(`wrote ${target}`);
  }
}

/** Human-readable output: stdout, unless stdout carries the JSON (`--json -`). */
function say(json: unknown, message: string): void {
  if (json === '-') console.error(message);
  else console.log(message);
}

/** One-line progress on stderr (stdout stays clean for `--json -`). */
function progress(event: ProgressEvent): void {
  const pct = event.total > 0 ? Math.round((100 * event.done) / event.total) : 0;
  process.stderr.write(
    `\r[${String(pct).padStart(3)}%] ${event.stage.padEnd(48).slice(0, 48)} ${event.done}/${event.total}`,
  );
  if (event.done === event.total) process.stderr.write('\n');
}

/**
 * Runs seed groups of `replicate` in child processes of this CLI (the WASM backend uses one core each), sums
 * their progress, and merges their reports. `args` are the flags forwarded to every child.
 */
async function replicateInParallel(groups: number[][], args: string[]): Promise<ReplicationReport> {
  const dir = mkdtempSync(join(tmpdir(), 'lab-difficult-examples-'));
  const done = new Array<number>(groups.length).fill(0);
  const totals = new Array<number>(groups.length).fill(0);
  try {
    const runs = groups.map(
      (group, g) =>
        new Promise<ReplicationReport>((resolve, reject) => {
          const out = join(dir, `seeds-${g}.json`);
          const child = spawn(
            process.execPath,
            [process.argv[1]!, 'replicate', ...args, '--seed-list', group.join(','), '--json', out, '--progress-json'],
            {
              stdio: ['ignore', 'ignore', 'pipe'],
              // The workers share the cores: each gets its share of WASM threads unless the user chose a count.
              env: {
                ...process.env,
                LAB_WASM_THREADS:
                  process.env.LAB_WASM_THREADS ??
                  String(Math.max(1, Math.min(4, Math.floor(availableParallelism() / groups.length)))),
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
              if (line.startsWith('{"progress"')) {
                const p = (JSON.parse(line) as { progress: ProgressEvent }).progress;
                done[g] = p.done;
                totals[g] = p.total;
                const total = totals.reduce((a, b) => a + b, 0);
                progress({
                  stage: `${groups.length} workers · ${p.stage}`,
                  done: Math.min(
                    done.reduce((a, b) => a + b, 0),
                    total - 1,
                  ),
                  total,
                });
              } else errText += `${line}\n`;
            }
          });
          child.on('error', reject);
          child.on('close', (code) => {
            if (code !== 0)
              reject(
                new LabError(
                  'INVALID_ARGUMENT',
                  `replicate worker for seeds [${group.join(', ')}] exited with code ${code}: ${errText.trim().slice(-2000)}`,
                ),
              );
            else resolve(JSON.parse(readFileSync(out, 'utf8')) as ReplicationReport);
          });
        }),
    );
    const merged = mergeReplicationReports(await Promise.all(runs));
    progress({ stage: 'merged', done: 1, total: 1 });
    return merged;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Images (and labels) for `train` / `score`: a JSON file `{ "images": number[][], "labels"?: number[] }` or MNIST digits. */
async function loadImages(
  input: string | undefined,
  n: number,
  seed: number,
): Promise<{ x: Float32Array; labels: Int32Array | null; dim: number; count: number }> {
  if (input !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(input, 'utf8'));
    } catch (cause) {
      throw new LabError('MALFORMED_FILE', `--input: cannot read '${input}' as JSON`, { cause });
    }
    const images = (parsed as { images?: unknown })?.images;
    if (!Array.isArray(images) || images.length === 0 || !Array.isArray(images[0])) {
      throw new LabError('MALFORMED_FILE', `--input: expected { "images": number[][] } in '${input}'`);
    }
    const dim = (images[0] as unknown[]).length;
    if (images.some((row) => !Array.isArray(row) || row.length !== dim))
      throw new LabError('MALFORMED_FILE', `--input: every image must have ${dim} values`);
    const labels = (parsed as { labels?: unknown }).labels;
    if (labels !== undefined && (!Array.isArray(labels) || labels.length !== images.length)) {
      throw new LabError('MALFORMED_FILE', `--input: expected "labels" to be an array of ${images.length} class ids`);
    }
    return {
      x: Float32Array.from((images as number[][]).flat()),
      labels: labels ? Int32Array.from(labels as number[]) : null,
      dim,
      count: images.length,
    };
  }
  const mnist = await loadMnist();
  if (!(Number.isInteger(n) && n >= 2 && n <= mnist.count))
    throw new LabError('OUT_OF_RANGE', `--n: expected an integer in [2, ${mnist.count}], got ${n}`);
  const idx = new Rng(seed).fork('split').permutation(mnist.count).slice(0, n);
  const x = new Float32Array(n * 784);
  idx.forEach((r, k) => x.set(mnist.images.subarray(r * 784, (r + 1) * 784), k * 784));
  return { x, labels: Int32Array.from(idx, (r) => mnist.labels[r]!), dim: 784, count: n };
}

const backendOption = {
  type: 'string',
  default: 'auto',
  description: "tfjs backend: 'auto', 'wasm', 'cpu' or 'tensorflow'",
} as const;

/** The `lab-difficult-examples` command line (run by src/cli.ts; tests call it through core's runCli). */
export const cliSpec: CliSpec = {
  name: 'lab-difficult-examples',
  description:
    'Difficult examples in unsupervised contrastive learning (Zhang, Cui, Li, Wang; ICLR 2026): SimCLR with label-free difficult-pair removal / margin / temperature edits, supervised-margin data pruning, the similarity-graph theory and the ω-mixed MNIST miniature.',
  commands: {
    train: {
      description:
        'Train SimCLR with in-loss difficult-pair selection on MNIST (or --input images) and report probe/kNN accuracy.',
      options: {
        mode: {
          type: 'string',
          default: 'combined',
          description: "loss: 'ntxent', 'remove' (Eq. 13), 'margin' (14), 'temperature' (15), 'combined' (16)",
        },
        epochs: { type: 'string', default: '20', description: 'training epochs' },
        batch: { type: 'string', default: '128', description: 'items per batch B (2B rows)' },
        lr: { type: 'string', default: '0.001', description: 'Adam learning rate' },
        n: { type: 'string', default: '3000', description: 'MNIST training images (ignored with --input)' },
        omega: {
          type: 'string',
          default: '0',
          description: 'fraction of training images replaced by cross-class mixtures (needs labels)',
        },
        'pos-high': { type: 'string', default: '0.1', description: 'upper band edge, descending percentile' },
        'pos-low': { type: 'string', default: '0.95', description: 'lower band edge, descending percentile' },
        sigma: { type: 'string', default: '0.1', description: 'margin σ on difficult pairs' },
        rho: { type: 'string', default: '0.7', description: 'temperature factor ρ on difficult pairs' },
        temperature: { type: 'string', default: '0.5', description: 'NT-Xent temperature τ' },
        seed: { type: 'string', default: '0', description: 'random seed' },
        input: {
          type: 'string',
          description: 'JSON file { "images": number[][] } of flattened square images instead of MNIST',
        },
        json: { type: 'string', description: "write the epoch log and metrics as JSON to this file ('-' for stdout)" },
        backend: backendOption,
      },
      async run({ values }) {
        await initBackend(values.backend as 'auto');
        const seed = numberOption(values.seed, 'seed');
        const epochs = numberOption(values.epochs, 'epochs');
        const data = await loadImages(values.input as string | undefined, numberOption(values.n, 'n'), seed);
        const omega = numberOption(values.omega, 'omega');
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
              mode: values.mode as DifficultLossMode,
              epochs,
              batchSize: numberOption(values.batch, 'batch'),
              lr: numberOption(values.lr, 'lr'),
              seed,
              imageSide: side,
              selection: {
                posHigh: numberOption(values['pos-high'], 'pos-high'),
                posLow: numberOption(values['pos-low'], 'pos-low'),
              },
              loss: {
                sigma: numberOption(values.sigma, 'sigma'),
                rho: numberOption(values.rho, 'rho'),
                temperature: numberOption(values.temperature, 'temperature'),
              },
            },
            {
              onEpoch: (e) => {
                progress({
                  stage: `epoch ${e.epoch + 1} · loss ${e.loss.toFixed(4)} · selected ${(100 * e.selectedFraction).toFixed(1)}%`,
                  done: e.epoch + 1,
                  total: epochs,
                });
              },
            },
          );
          const result: Record<string, unknown> = { log };
          try {
            if (values.input === undefined) {
              // Evaluate on 1,000 clean probe and 2,000 clean test digits disjoint from the training images.
              const mnist = await loadMnist();
              const perm = new Rng(seed).fork('split').permutation(mnist.count);
              const pick = (from: number, count: number) => {
                const idx = perm.slice(from, from + count);
                const images = new Float32Array(count * 784);
                idx.forEach((r, k) => images.set(mnist.images.subarray(r * 784, (r + 1) * 784), k * 784));
                return { t: tf.tensor2d(images, [count, 784]), y: Int32Array.from(idx, (r) => mnist.labels[r]!) };
              };
              const probe = pick(data.count, 1000);
              const test = pick(data.count + 1000, Math.min(2000, mnist.count - data.count - 1000));
              const hP = encode(model, probe.t);
              const hT = encode(model, test.t);
              result.probeAcc = 100 * (await linearProbe(hP, probe.y, hT, test.y, { seed })).accuracy;
              result.knnAcc = 100 * knnAccuracy(hP, probe.y, hT, test.y, { k: 20 });
              tf.dispose([hP, hT, probe.t, test.t]);
              say(
                values.json,
                `linear probe ${(result.probeAcc as number).toFixed(2)} %, kNN (k = 20) ${(result.knnAcc as number).toFixed(2)} %`,
              );
            }
          } finally {
            model.dispose();
          }
          emitJson(values.json as string | undefined, result);
        } finally {
          xt.dispose();
        }
      },
    },
    score: {
      description:
        'Score examples by supervised top-2 margin (5-fold out-of-fold MLP) and list the lowest-margin fraction per class.',
      options: {
        frac: { type: 'string', default: '0.08', description: 'fraction removed per class (the paper removes 8 %)' },
        n: { type: 'string', default: '3000', description: 'MNIST images (ignored with --input)' },
        omega: {
          type: 'string',
          default: '0',
          description: 'mix this fraction first and report how many mixtures were caught',
        },
        folds: { type: 'string', default: '5', description: 'out-of-fold splits' },
        epochs: { type: 'string', default: '10', description: 'scorer epochs per fold' },
        seed: { type: 'string', default: '0', description: 'random seed' },
        input: {
          type: 'string',
          description: 'JSON file { "images": number[][], "labels": number[] } instead of MNIST',
        },
        json: {
          type: 'string',
          description: "write margins and removed indices as JSON to this file ('-' for stdout)",
        },
        backend: backendOption,
      },
      async run({ values }) {
        await initBackend(values.backend as 'auto');
        const seed = numberOption(values.seed, 'seed');
        const frac = numberOption(values.frac, 'frac');
        const data = await loadImages(values.input as string | undefined, numberOption(values.n, 'n'), seed);
        if (!data.labels) throw new LabError('INVALID_ARGUMENT', '--input: scoring needs "labels" in the input file');
        const omega = numberOption(values.omega, 'omega');
        const mixed = mixDifficult(data.x, data.labels, omega, new Rng(seed).fork('mix'), { dim: data.dim });
        const xt = tf.tensor2d(mixed.x, [data.count, data.dim]);
        try {
          progress({ stage: 'training the out-of-fold scorer', done: 0, total: 1 });
          const margins = await outOfFoldMargins(xt, data.labels, {
            folds: numberOption(values.folds, 'folds'),
            epochs: numberOption(values.epochs, 'epochs'),
            seed,
          });
          progress({ stage: 'training the out-of-fold scorer', done: 1, total: 1 });
          const removed = lowestMarginPerClass(margins, data.labels, frac);
          const isMixed = new Set(mixed.mixedIdx);
          const caught = Array.from(removed).filter((i) => isMixed.has(i)).length;
          say(
            values.json,
            `removed ${removed.length} of ${data.count} examples${omega > 0 ? `; ${caught} of ${mixed.mixedIdx.length} mixtures among them` : ''}`,
          );
          emitJson(values.json as string | undefined, {
            margins: Array.from(margins),
            removed: Array.from(removed),
            mixed: Array.from(mixed.mixedIdx),
            caught,
          });
        } finally {
          xt.dispose();
        }
      },
    },
    replicate: {
      description: 'Run the ω-mixed MNIST miniature (spec §5) and print the paired results and the verdict.',
      options: {
        quick: {
          type: 'boolean',
          default: false,
          description: 'CI-sized run: 1 seed; baseline, oracle_remove, inloss_combined; 10 epochs',
        },
        seeds: { type: 'string', description: 'number of paired seeds (default: 5, or 1 with --quick)' },
        omega: { type: 'string', default: '0.5', description: 'fraction of training images replaced by mixtures' },
        epochs: { type: 'string', description: 'SimCLR epochs per run (default 20, or 10 with --quick)' },
        variants: { type: 'string', description: `comma-separated subset of ${REPLICATION_VARIANTS.join(',')}` },
        'seed-list': { type: 'string', description: 'explicit comma-separated seeds (overrides --seeds)' },
        parallel: {
          type: 'string',
          default: '1',
          description: 'run the seeds in this many worker processes (one core each) and merge the reports',
        },
        'progress-json': {
          type: 'boolean',
          default: false,
          description: 'report progress as JSON lines on stderr (used by --parallel)',
        },
        json: { type: 'string', description: "write the ReplicationReport as JSON to this file ('-' for stdout)" },
        backend: backendOption,
      },
      async run({ values }) {
        const preset = values.quick ? 'quick' : 'full';
        const seeds =
          values['seed-list'] !== undefined
            ? String(values['seed-list'])
                .split(',')
                .map((v) => numberOption(v.trim(), 'seed-list'))
            : resolveSeeds(
                values.seeds === undefined ? undefined : numberOption(values.seeds, 'seeds'),
                preset === 'quick' ? 1 : 5,
              );
        const parallel = Math.min(numberOption(values.parallel, 'parallel'), seeds.length);
        if (!(Number.isInteger(parallel) && parallel >= 1))
          throw new LabError('OUT_OF_RANGE', `--parallel: expected a positive integer, got ${String(values.parallel)}`);
        const onProgress = values['progress-json']
          ? (p: ProgressEvent) => process.stderr.write(`${JSON.stringify({ progress: p })}\n`)
          : progress;
        let report: ReplicationReport;
        if (parallel > 1) {
          const forward = ['--omega', String(values.omega), '--backend', String(values.backend)];
          if (values.quick) forward.push('--quick');
          if (values.epochs !== undefined) forward.push('--epochs', String(values.epochs));
          if (values.variants !== undefined) forward.push('--variants', String(values.variants));
          const groups = Array.from({ length: parallel }, (_, g) => seeds.filter((_, i) => i % parallel === g));
          say(values.json, `running seeds [${seeds.join(', ')}] in ${parallel} worker processes`);
          report = await replicateInParallel(groups, forward);
        } else {
          const backend = await initBackend(values.backend as 'auto');
          if (!values['progress-json']) say(values.json, `backend: ${backend}`);
          report = await replicate({
            preset,
            seeds,
            ...(values.epochs === undefined ? {} : { epochs: numberOption(values.epochs, 'epochs') }),
            ...(values.variants === undefined
              ? {}
              : {
                  variants: String(values.variants)
                    .split(',')
                    .map((v) => v.trim()) as ReplicationVariant[],
                }),
            omega: numberOption(values.omega, 'omega'),
            onProgress,
          });
        }
        if (values['progress-json']) {
          emitJson(values.json as string | undefined, report);
          return;
        }
        const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
        say(values.json, `\n${report.claim}\n`);
        for (const s of report.summaries.filter((s) => s.metric === 'probeAcc' || s.metric === 'knnAcc')) {
          say(
            values.json,
            `  ${s.method.padEnd(16)} ${s.metric.padEnd(8)} ${fmt(s.mean)} ± ${fmt(s.std)} (n = ${s.n})`,
          );
        }
        for (const c of report.criteria)
          say(values.json, `  [${c.passed ? 'pass' : 'FAIL'}] ${c.name}: ${fmt(c.value)} (${c.threshold})`);
        say(values.json, `verdict: ${report.verdict} (${report.seconds.toFixed(0)} s)`);
        for (const note of report.notes) say(values.json, `  note: ${note}`);
        emitJson(values.json as string | undefined, report);
      },
    },
    theory: {
      description:
        'Closed-form λ_{k+1} of the similarity graph (Thms 3.3, 3.4, Cor 4.1) next to the numeric eigenvalue.',
      options: {
        n: { type: 'string', default: '6', description: 'samples per class' },
        r: { type: 'string', default: '2', description: 'r (r + 1 classes)' },
        nd: { type: 'string', default: '2', description: 'difficult samples per class' },
        alpha: { type: 'string', default: '0.5', description: 'same-class similarity α' },
        beta: { type: 'string', default: '0.1', description: 'different-class similarity β' },
        gamma: { type: 'string', default: '0.3', description: 'difficult cross-class similarity γ' },
        json: { type: 'string', description: "write the bounds as JSON to this file ('-' for stdout)" },
      },
      run({ values }) {
        const p = {
          n: numberOption(values.n, 'n'),
          r: numberOption(values.r, 'r'),
          nd: numberOption(values.nd, 'nd'),
          alpha: numberOption(values.alpha, 'alpha'),
          beta: numberOption(values.beta, 'beta'),
          gamma: numberOption(values.gamma, 'gamma'),
        };
        const bounds = spectralBounds(p);
        const numeric = p.gamma > p.beta ? numericLambda(p) : Number.NaN;
        say(values.json, `λ_{k+1}, k = r + 1 = ${p.r + 1}:`);
        say(
          values.json,
          `  with difficult examples (Thm 3.4): ${bounds.withDifficult.toFixed(6)}   numeric: ${numeric.toFixed(6)}`,
        );
        say(values.json, `  without (Thm 3.3):                 ${bounds.clean.toFixed(6)}`);
        say(values.json, `  difficult removed (Cor 4.1):       ${bounds.removed.toFixed(6)}`);
        say(
          values.json,
          `  removal helps iff γ − β > ${bounds.removalThreshold.toFixed(6)} (here γ − β = ${(p.gamma - p.beta).toFixed(6)})`,
        );
        emitJson(values.json as string | undefined, { params: p, ...bounds, numericWithDifficult: numeric });
      },
    },
  },
};
