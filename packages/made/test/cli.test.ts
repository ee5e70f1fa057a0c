import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend, runCliCaptured } from '@lab/core';
import { graphClassificationDataset, undirectedPairs } from '@lab/graph';
import pkg from '../package.json';
import { cliSpec } from '../src/cli.js';
import { replicate } from '../src/replicate.js';

// The replication's scale shrunk so the command runs in a second; everything else is the real replicate().
vi.mock('../src/replicate.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/replicate.js')>();
  const tiny = { numTrain: 40, numTest: 20, epochs: 1, isoEpochs: 1, unlearnEpochs: 1, hidden: 8, layers: 1 };
  return { ...real, replicate: vi.fn((o: object) => real.replicate({ ...o, ...tiny })) };
});

/** Runs the CLI in-process (core's runCli, output captured): exit code, stdout and stderr. */
const run = (argv: string[]) => runCliCaptured(cliSpec, argv);

const dir = mkdtempSync(join(tmpdir(), 'lab-made-cli-'));
const tu = join(dir, 'MINI');

/** A TU-format folder of 40 small graphs, stored sorted by class as PROTEINS, NCI1 and DD are. */
function writeSortedTU(): void {
  const graphs = graphClassificationDataset({
    numGraphs: 40,
    families: ['ba-house', 'ba-cycle'],
    minNodes: 8,
    maxNodes: 10,
    baM: 1,
    seed: 3,
  }).sort((a, b) => a.label! - b.label!);
  const A: string[] = [];
  const indicator: string[] = [];
  let offset = 0;
  graphs.forEach((g, gi) => {
    for (const [u, v] of undirectedPairs(g))
      A.push(`${u + offset + 1}, ${v + offset + 1}`, `${v + offset + 1}, ${u + offset + 1}`);
    for (let i = 0; i < g.numNodes; i++) indicator.push(String(gi + 1));
    offset += g.numNodes;
  });
  mkdirSync(tu, { recursive: true });
  writeFileSync(join(tu, 'MINI_A.txt'), `${A.join('\n')}\n`);
  writeFileSync(join(tu, 'MINI_graph_indicator.txt'), `${indicator.join('\n')}\n`);
  writeFileSync(join(tu, 'MINI_graph_labels.txt'), `${graphs.map((g) => (g.label === 0 ? '-1' : '1')).join('\n')}\n`);
}

beforeAll(async () => {
  await initBackend('wasm');
  writeSortedTU();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lab-made', () => {
  it('answers --help and --version, lists the commands', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: lab-made <command>[\s\S]*attack[\s\S]*defend[\s\S]*replicate/);
    expect((await run(['--version'])).stdout).toBe(pkg.version);
    const attack = await run(['attack', '--help']);
    for (const flag of ['--tu <path>', '--epochs <int>', '--trigger <name>', '--json [path|-]', '--backend', '--quiet'])
      expect(attack.stdout).toContain(flag);
  });

  it.each([
    [['replicate', '--preset', 'bogus'], /--preset: expected one of 'quick', 'standard', 'full', got 'bogus'/],
    [
      ['replicate', '--settings', 'feature,colour'],
      /--settings: expected one of 'typed', 'feature', 'structure', got 'colour'/,
    ],
    [['replicate', '--arms', 'made,magic'], /--arms: expected one of 'none', 'abl', 'made'/],
    [['attack'], /--tu: required/],
    [['attack', '--tu', join(dir, 'nope')], /NOT_FOUND: --tu: cannot read/],
    [['attack', '--tu', tu, '--epochs', '-1'], /--epochs: expected an integer >= 1, got -1/],
    [['attack', '--tu', tu, '--epochs', ''], /--epochs: expected an integer >= 1, got ''/],
    [['attack', '--tu', tu, '--rate', '1.5'], /--rate: expected a number >= 0 and <= 1, got 1.5/],
    [['defend', '--tu', tu, '--trigger', 'star'], /--trigger: expected one of 'ER', 'SW', 'BA', 'fixed', got 'star'/],
    [['attack', '--tu', tu, '--test-fraction', '1'], /--test-fraction: expected a number > 0 and < 1, got 1/],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('a target class the dataset lacks fails before training, naming the flag', async () => {
    const r = await run(['attack', '--tu', tu, '--target', '7', '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/OUT_OF_RANGE: --target: expected a class of MINI \(0\.\.1\), got 7/);
  });

  it('attack: a seeded, class-stratified split of a class-sorted dataset; text, or JSON on stdout', async () => {
    const argv = ['attack', '--tu', tu, '--epochs', '1', '--rate', '0.1', '--quiet'];
    const text = await run(argv);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/MINI: 40 graphs, 32 train \/ 8 test \(per class 4\/4\), 3 poisoned/);
    expect(text.stdout).toMatch(/no defense: clean accuracy \d\.\d{3}, attack success rate \d\.\d{3}/);
    const json = await run([...argv, '--json']);
    const result = JSON.parse(json.stdout);
    expect(result.split).toEqual({ train: 32, test: 8, testPerClass: [4, 4], seed: 0 });
    expect(result.noDefense.asr).toBeGreaterThanOrEqual(0);
    expect(JSON.parse((await run([...argv, '--json', '-'])).stdout)).toEqual(result);
  });

  it('defend: MADE with isolation quality; --json FILE writes the JSON and prints the text', async () => {
    const file = join(dir, 'out', 'defend.json');
    const r = await run(['defend', '--tu', tu, '--epochs', '2', '--rate', '0.1', '--json', file, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/MADE: clean accuracy .* isolation precision \d\.\d{3}, recall \d\.\d{3}/);
    const result = JSON.parse(readFileSync(file, 'utf8'));
    expect(result.made.isolation.precision).toBeGreaterThanOrEqual(0);
  });

  it('replicate: the shared command (standard by default), with --settings and --arms, prints core report', async () => {
    const r = await run(['replicate', '--seeds', '1', '--arms', 'none,made', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(replicate).toHaveBeenLastCalledWith(
      expect.objectContaining({ preset: 'standard', seeds: [0], arms: ['none', 'made'] }),
    );
    expect(r.stdout).toMatch(/\*\*Verdict: \w[\w-]*\*\* · preset `standard` · seeds 0/);
    expect(r.stdout).toMatch(
      /Rerun: `pnpm --filter @lab\/made exec lab-made replicate --preset standard --seeds 1 --arms none,made`/,
    );
    const json = await run(['replicate', '--seeds', '1', '--arms', 'none', '--settings', 'structure', '--json']);
    expect(JSON.parse(json.stdout).config.settings).toEqual(['structure']);
    const quick = await run(['replicate', '--quick', '--preset', 'full', '--seeds', '1', '--quiet']);
    expect(quick.code).toBe(1);
    expect(quick.stderr).toMatch(/--quick: means --preset quick/);
  });
});
