import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReport, criterion, initBackend, replicateCommand, runCliCaptured, type CliSpec } from '@lab/core';

beforeAll(async () => {
  await initBackend('cpu');
});

const calls: Record<string, unknown>[] = [];
const replicate = async (options: Record<string, unknown>) => {
  calls.push(options);
  (options.onProgress as (e: unknown) => void)({ stage: 'seed 0', done: 1, total: 1 });
  const seeds = (options.seeds as number[] | undefined) ?? [0, 1];
  return buildReport({
    package: '@lab/demo',
    paper: 'A paper',
    claim: 'B beats A',
    metric: 'acc',
    preset: options.preset as 'quick',
    config: { width: options.width },
    seeds,
    rows: seeds.flatMap((seed) => [
      { method: 'A', setting: '', seed, metrics: { acc: 0.5 } },
      { method: 'B', setting: '', seed, metrics: { acc: 0.6 } },
    ]),
    comparisons: [],
    criteria: [criterion('gain', 0.1, { atLeast: 0.05 })],
    notes: ['a note'],
    command: 'lab-demo replicate',
    seconds: 1,
    backend: 'cpu',
  });
};
const spec: CliSpec = {
  name: 'lab-demo',
  description: 'demo',
  commands: {
    replicate: replicateCommand({
      presets: ['quick', 'standard', 'full'],
      defaultPreset: 'standard',
      replicate,
      options: { width: { type: 'number', integer: true, min: 1, default: 4, description: 'width' } },
      extra: (values) => ({ width: values.width }),
    }),
  },
};

const run = (argv: string[]) => runCliCaptured(spec, argv);

describe('replicateCommand', () => {
  it('runs the default preset and prints the report', async () => {
    const r = await run(['replicate', '--quiet']);
    expect(r.code).toBe(0);
    expect(calls.at(-1)).toMatchObject({ preset: 'standard', width: 4 });
    expect(r.stdout).toMatch(/\*\*Verdict: reproduced\*\* · preset `standard` · seeds 0, 1/);
    expect(r.stdout).toMatch(/\| gain \| 0.1000 \| >= 0.05 \| yes \|/);
  });

  it('checks --preset against the package presets and parses --seeds', async () => {
    const bad = await run(['replicate', '--preset', 'huge']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--preset: expected one of 'quick', 'standard', 'full', got 'huge'/);
    const n = calls.length;
    for (const [arg, seeds] of [
      ['3', [0, 1, 2]],
      ['4,7', [4, 7]],
      ['2..4', [2, 3, 4]],
    ] as const) {
      expect((await run(['replicate', '--quiet', '--seeds', arg, '--json'])).code).toBe(0);
      expect(calls.at(-1)!.seeds).toEqual(seeds);
    }
    expect(calls.length).toBe(n + 3);
    for (const arg of ['0', '-1', 'x', '3..1', '1,1'])
      expect((await run(['replicate', '--seeds', arg])).stderr).toMatch(/--seeds: /);
    expect(calls.length).toBe(n + 3);
  });

  it('writes --out and --json files, and --json alone puts only JSON on stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-rep-'));
    const r = await run(['replicate', '--quiet', '--out', join(dir, 'o'), '--json', join(dir, 'r.json')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'o', 'report.json'), 'utf8')).verdict).toBe('reproduced');
    expect(readFileSync(join(dir, 'o', 'report.md'), 'utf8')).toMatch(/\*\*Claim\.\*\* B beats A/);
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).package).toBe('@lab/demo');
    expect(readFileSync(join(dir, 'o', 'chart.svg'), 'utf8')).toMatch(/^<svg[\s\S]*@lab\/demo: acc/);
    expect(JSON.parse((await run(['replicate', '--quiet', '--json'])).stdout).package).toBe('@lab/demo');
    rmSync(dir, { recursive: true });
  });
});
