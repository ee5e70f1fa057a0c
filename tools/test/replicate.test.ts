import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderChart, renderMarkdown } from '../scripts/replication-report.mjs';

const repo = join(import.meta.dirname, '..', '..');

function fakeReport(pkg: string, verdict: string) {
  return {
    package: pkg,
    paper: 'A Paper',
    claim: 'method beats baseline',
    metric: 'acc',
    preset: 'quick',
    config: {},
    seeds: [0, 1],
    rows: [
      { method: 'base', setting: 'eta=0.6', seed: 0, metrics: { acc: 0.5 } },
      { method: 'ours', setting: 'eta=0.6', seed: 0, metrics: { acc: 0.6 } },
      { method: 'base', setting: 'eta=0.6', seed: 1, metrics: { acc: 0.52 } },
      { method: 'ours', setting: 'eta=0.6', seed: 1, metrics: { acc: 0.5 } },
    ],
    summaries: [{ method: 'ours', setting: 'eta=0.6', metric: 'acc', mean: 0.55, std: 0.07, n: 2 }],
    comparisons: [
      {
        setting: 'eta=0.6',
        metric: 'acc',
        method: 'ours',
        baseline: 'base',
        seeds: [0, 1],
        differences: [0.1, -0.02],
        mean: 0.04,
        std: 0.08,
        positive: 1,
      },
    ],
    criteria: [{ name: 'mean gain', value: 0.04, threshold: '>= 0.015', passed: true }],
    verdict,
    notes: ['a note'],
    command: `pnpm replicate ${pkg.replace('@lab/', '')}`,
    seconds: 1.5,
    backend: 'wasm',
  };
}

describe('replication report rendering', () => {
  it('renders per-seed rows, summaries, paired differences, criteria, verdict and the rerun command', () => {
    const md: string = renderMarkdown([{ name: '@lab/x', report: fakeReport('@lab/x', 'reproduced'), seconds: 1.5 }], {
      command: 'pnpm replicate',
      startedAt: 'now',
      seconds: 2,
    });
    expect(md).toMatch(/\| eta=0.6 \| ours \| 1 \| 0.5000 \|/);
    expect(md).toMatch(/0.5500 ± 0.0700/);
    expect(md).toMatch(/0.1000, -0.0200/);
    expect(md).toMatch(/\*\*Verdict: reproduced\*\*/);
    expect(md).toMatch(/Rerun: `pnpm replicate x`/);
    // One-screen summary: claim, verdict, the first comparison's mean with its t interval, seeds, time.
    expect(md).toMatch(
      /\| @lab\/x \| method beats baseline \| \*\*reproduced\*\* \| ours − base, acc \(eta=0.6\): 0\.040 \[-0\.722, 0\.802\], 1\/2 seeds > 0 \| 2 \| 1\.5 \|/,
    );
  });

  it('reports a failed package with its error', () => {
    const md: string = renderMarkdown([{ name: '@lab/y', report: null, error: 'Error: boom', seconds: 0.1 }], {
      command: 'c',
      startedAt: 'now',
      seconds: 1,
    });
    expect(md).toMatch(/failed to run/);
    expect(md).toMatch(/Error: boom/);
  });

  it('draws an SVG chart with vega-lite', async () => {
    const svg = (await renderChart(fakeReport('@lab/x', 'reproduced'))) as string;
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toMatch(/ours/);
  });
});

describe('pnpm replicate runner', () => {
  let scratch = '';
  beforeAll(() => {
    // A workspace with the real core build and two fake method packages: one works, one throws.
    scratch = mkdtempSync(join(tmpdir(), 'lab-replicate-'));
    cpSync(join(repo, 'tools', 'scripts'), join(scratch, 'tools', 'scripts'), { recursive: true });
    symlinkSync(join(repo, 'node_modules'), join(scratch, 'node_modules'));
    // The scripts import core's progress and report printers as the workspace's tools package does.
    symlinkSync(join(repo, 'tools', 'node_modules'), join(scratch, 'tools', 'node_modules'));
    mkdirSync(join(scratch, 'packages', 'core'), { recursive: true });
    cpSync(join(repo, 'packages', 'core', 'dist'), join(scratch, 'packages', 'core', 'dist'), { recursive: true });
    cpSync(join(repo, 'packages', 'core', 'package.json'), join(scratch, 'packages', 'core', 'package.json'));
    symlinkSync(join(repo, 'packages', 'core', 'node_modules'), join(scratch, 'packages', 'core', 'node_modules'));
    const fake = (dir: string, body: string) => {
      mkdirSync(join(scratch, 'packages', dir, 'dist'), { recursive: true });
      writeFileSync(
        join(scratch, 'packages', dir, 'package.json'),
        JSON.stringify({ name: `@lab/${dir}`, type: 'module' }),
      );
      writeFileSync(join(scratch, 'packages', dir, 'dist', 'index.js'), body);
    };
    fake(
      'good',
      `export async function replicate(o) { o.onProgress?.({ stage: 'seed 0', done: 1, total: 1 }); return ${JSON.stringify(fakeReport('@lab/good', 'not-reproduced'))}; }`,
    );
    fake('bad', `export async function replicate() { throw new Error('exploded on purpose'); }`);
    fake('other', `export const notAReplication = 1;`);
  });
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('runs every package that exports replicate, reports failures, and exits non-zero only for failures to run', () => {
    const r = spawnSync(process.execPath, [join(scratch, 'tools/scripts/replicate.mjs'), '--out', 'out'], {
      cwd: scratch,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(1);
    const json = JSON.parse(readFileSync(join(scratch, 'out', 'replication.json'), 'utf8'));
    const byName = Object.fromEntries(json.packages.map((p: { name: string }) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(['@lab/bad', '@lab/good']);
    expect(byName['@lab/good'].report.verdict).toBe('not-reproduced');
    expect(byName['@lab/bad'].error).toMatch(/exploded on purpose/);
    const md = readFileSync(join(scratch, 'out', 'replication.md'), 'utf8');
    expect(md).toMatch(/@lab\/bad \| \| failed to run/);
    expect(existsSync(join(scratch, 'out', 'good.svg'))).toBe(true);
  });

  it('exits 0 when every package ran, whatever the verdicts', () => {
    const r = spawnSync(process.execPath, [join(scratch, 'tools/scripts/replicate.mjs'), 'good', '--out', 'out2'], {
      cwd: scratch,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
  });

  it('rejects bad options and unknown packages', () => {
    const bad = (args: string[]) =>
      spawnSync(process.execPath, [join(scratch, 'tools/scripts/replicate.mjs'), ...args], {
        cwd: scratch,
        encoding: 'utf8',
      });
    expect(bad(['--preset', 'huge']).stderr).toMatch(/--preset: expected 'quick', 'standard' or 'full'/);
    expect(bad(['--seeds', '0']).stderr).toMatch(/--seeds: expected a positive integer/);
    expect(bad(['nosuch']).stderr).toMatch(/unknown package 'nosuch'/);
  });
});
