import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@lab/core';
import pkg from '../package.json';
import { runCiaCli, tinyGood } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'cia-lra-cli-'));
const goodFile = join(dir, 'graph.json');
writeFileSync(goodFile, JSON.stringify(tinyGood));

beforeAll(async () => {
  await initBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lab-cia-lra', () => {
  it('answers --version and --help with both commands', async () => {
    expect((await runCiaCli(['--version'])).stdout.trim()).toBe(pkg.version);
    const help = await runCiaCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/replicate[\s\S]*train/);
  });

  it('replicate refuses an unknown preset and lists the presets', async () => {
    const r = await runCiaCli(['replicate', '--preset', 'bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--preset: expected one of 'quick', 'standard', 'full', got 'bogus'/);
  });

  it('train on a GOOD file prints JSON alone with --json', async () => {
    const r = await runCiaCli(['train', '--good', goodFile, '--method', 'erm', '--epochs', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ method: 'erm', numNodes: 4 });
    expect(result.history.loss).toHaveLength(3);
  });

  it('train --json FILE writes the result and prints the summary', async () => {
    const out = join(dir, 'out', 'result.json');
    const r = await runCiaCli(['train', '--good', goodFile, '--method', 'cia-lra', '--epochs', '2', '--json', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cia-lra on 4 nodes: OOD test/);
    expect(JSON.parse(readFileSync(out, 'utf8')).method).toBe('cia-lra');
  });

  it('train checks its numbers and choices with the flag name', async () => {
    for (const [argv, message] of [
      [['--epochs', '0'], /--epochs: expected an integer >= 1, got 0/],
      [['--epochs', ''], /--epochs: expected an integer >= 1, got ''/],
      [['--lambda', '-1'], /--lambda: expected a number >= 0, got -1/],
      [['--t', '255'], /--t: expected an integer >= 1 and <= 254, got 255/],
      [['--label-scope', 'everything'], /--label-scope: expected one of 'train', 'trainPairs', 'all'/],
      [['--method', 'dro'], /--method: expected one of 'erm'/],
    ] as const) {
      const r = await runCiaCli(['train', ...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('replicate runs the quick preset (1 epoch) and prints the report as JSON', async () => {
    const r = await runCiaCli(['replicate', '--preset', 'quick', '--epochs', '1', '--json', '-']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ package: '@lab/cia-lra', preset: 'quick', seeds: [0] });
    expect(report.command).toBe('npx lab-cia-lra replicate --preset quick --epochs 1');
  }, 60_000);
});
