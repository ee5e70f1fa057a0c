import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@lab/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cliSpec } from '../src/cli.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  return { out, err };
}

describe('lab-difficult-examples CLI', () => {
  afterEach(() => vi.restoreAllMocks());

  it('--help lists every command, --version the package version', async () => {
    const { out } = capture();
    expect(await runCli(cliSpec, ['--help'])).toBe(0);
    for (const cmd of ['train', 'score', 'replicate', 'theory']) expect(out.join('\n')).toContain(cmd);
    out.length = 0;
    expect(await runCli(cliSpec, ['replicate', '--help'])).toBe(0);
    const help = out.join('\n');
    for (const flag of [
      '--preset <name>',
      '--seeds',
      '--out <path>',
      '--json [path|-]',
      '--parallel <int>',
      '--variants',
    ])
      expect(help).toContain(flag);
    expect(help).toMatch(/--preset <name>.*one of: quick, standard, full; default: standard/);
    out.length = 0;
    expect(await runCli(cliSpec, ['--version'])).toBe(0);
    expect(out.join('').trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('theory --json - prints the closed forms as JSON', async () => {
    const { out } = capture();
    expect(
      await runCli(cliSpec, [
        'theory',
        '--n',
        '6',
        '--r',
        '2',
        '--nd',
        '2',
        '--alpha',
        '.5',
        '--beta',
        '.1',
        '--gamma',
        '.3',
        '--json',
        '-',
      ]),
    ).toBe(0);
    const json = JSON.parse(out.join(''));
    expect(json.withDifficult).toBeCloseTo(0.176471, 6);
    expect(json.clean).toBeCloseTo(0.106383, 6);
    expect(json.numericWithDifficult).toBeCloseTo(json.withDifficult, 9);
  });

  it('reports invalid input as a one-line LabError naming the flag: exit 1 while running, 2 for usage', async () => {
    const { err } = capture();
    expect(await runCli(cliSpec, ['theory', '--beta', '0.4', '--gamma', '0.3'])).toBe(1);
    expect(err.join('\n')).toMatch(/OUT_OF_RANGE: --gamma: expected 0 <= beta <= gamma < alpha < 1/);
    expect(await runCli(cliSpec, ['theory', '--bogus'])).toBe(2);
    expect(await runCli(cliSpec, ['train', '--epochs', 'ten'])).toBe(2);
    expect(err.join('\n')).toMatch(/--epochs: expected an integer >= 1, got 'ten'/);
    expect(await runCli(cliSpec, ['replicate', '--preset', 'bogus'])).toBe(2);
    expect(err.join('\n')).toMatch(/--preset: expected one of 'quick', 'standard', 'full', got 'bogus'/);
  });

  it('train and score run end to end on a tiny --input file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'de-cli-'));
    const images = Array.from({ length: 24 }, (_, i) =>
      Array.from({ length: 16 }, (_, p) => ((i * 7 + p * 3) % 11) / 11),
    );
    const labels = Array.from({ length: 24 }, (_, i) => i % 2);
    const input = join(dir, 'data.json');
    writeFileSync(input, JSON.stringify({ images, labels }));
    capture();
    const trainOut = join(dir, 'train.json');
    expect(
      await runCli(cliSpec, [
        'train',
        '--input',
        input,
        '--epochs',
        '2',
        '--batch',
        '8',
        '--backend',
        'wasm',
        '--quiet',
        '--json',
        trainOut,
      ]),
    ).toBe(0);
    const log = JSON.parse(readFileSync(trainOut, 'utf8')).log;
    expect(log.length).toBe(2);
    expect(log[0].selectedFraction).toBeGreaterThan(0);
    const scoreOut = join(dir, 'score.json');
    expect(
      await runCli(cliSpec, [
        'score',
        '--input',
        input,
        '--frac',
        '0.25',
        '--folds',
        '2',
        '--epochs',
        '1',
        '--omega',
        '0.25',
        '--backend',
        'wasm',
        '--quiet',
        '--json',
        scoreOut,
      ]),
    ).toBe(0);
    const score = JSON.parse(readFileSync(scoreOut, 'utf8'));
    expect(score.margins.length).toBe(24);
    expect(score.removed.length).toBe(6);
    expect(score.mixed.length).toBe(6);
  }, 60_000);
});
