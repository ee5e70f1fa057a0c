import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LabError, defineCommand, initBackend, runCliCaptured, withFlagNames, type CliSpec } from '@lab/core';

beforeAll(async () => {
  await initBackend('cpu');
});

const run = (spec: CliSpec, argv: string[]) => runCliCaptured(spec, argv);

let ran: Record<string, unknown> | null = null;
const work = vi.fn();
const spec: CliSpec = {
  name: 'lab-demo',
  version: '1.2.3',
  description: 'demo',
  commands: {
    add: defineCommand({
      description: 'adds',
      options: {
        a: { type: 'number', description: 'first', required: true },
        beta: { type: 'number', default: 1, description: 'β' },
        'batch-size': { type: 'number', integer: true, min: 1, default: 8, description: 'rows', param: 'batchSize' },
        noise: { type: 'number', min: 0, max: 1, default: 0.5, description: 'η', param: 'rate' },
        mode: { type: 'choice', choices: ['x', 'y'], default: 'x', description: 'mode' },
        json: { type: 'json', description: 'json' },
      },
      run: ({ values, output }) => {
        ran = values;
        work();
        if (values.a < 0) throw new LabError('OUT_OF_RANGE', 'rate: expected >= 0 (options.batchSize too)');
        output({ sum: values.a + values.beta }, `sum ${values.a + values.beta}`);
      },
    }),
    write: defineCommand({
      description: 'writes',
      options: {
        out: { type: 'output', description: 'file', required: true },
        input: { type: 'input', description: 'file' },
        checkpoint: { type: 'output', description: 'ckpt' },
        overwrite: { type: 'boolean', description: 'replace the checkpoint' },
        resume: { type: 'boolean', description: 'continue from the checkpoint' },
      },
      keepExisting: { checkpoint: ['--resume', '--overwrite'] },
      needsBackend: false,
      run: ({ values }) => {
        work();
        writeFileSync(values.out, 'done');
      },
    }),
  },
};

afterEach(() => {
  ran = null;
  work.mockClear();
});

describe('runCli conventions', () => {
  it('answers --help, --version and unknown commands', async () => {
    const help = await run(spec, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: lab-demo <command>/);
    expect((await run(spec, ['--version'])).stdout).toBe('1.2.3');
    const sub = await run(spec, ['add', '--help']);
    expect(sub.stdout).toMatch(/--batch-size <int>\s+rows \(>= 1; default: 8\)/);
    expect(sub.stdout).toMatch(/--backend <name>/);
    expect(sub.stdout).toMatch(/--quiet/);
    expect(sub.stdout).toMatch(/--json \[path\|-\]/);
    const unknown = await run(spec, ['nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'nope'; expected one of add, write/);
    expect((await run(spec, [])).code).toBe(2);
  });

  it('parses numbers (negative ones too), defaults and choices', async () => {
    expect((await run(spec, ['add', '--a', '2', '--beta', '-3'])).stdout).toBe('sum -1');
    expect(ran).toMatchObject({ a: 2, beta: -3, 'batch-size': 8, noise: 0.5, mode: 'x', quiet: false });
    expect((await run(spec, ['add', '--a=-1.5', '--beta=2'])).code).toBe(1);
  });

  it.each([
    [['add'], /--a: required/],
    [['add', '--a', 'x'], /--a: expected a number, got 'x'/],
    [['add', '--a', ''], /--a: expected a number, got ''/],
    [['add', '--a'], /--a: expected a value/],
    [['add', '--a', '1', '--batch-size', '0'], /--batch-size: expected an integer >= 1, got 0/],
    [['add', '--a', '1', '--batch-size', '2.5'], /--batch-size: expected an integer >= 1, got 2.5/],
    [['add', '--a', '1', '--noise', '1.5'], /--noise: expected a number >= 0 and <= 1, got 1.5/],
    [['add', '--a', '1', '--mode', 'z'], /--mode: expected one of 'x', 'y', got 'z'/],
    [['add', '--a', '1', '--backend', 'gpu'], /--backend: expected one of 'auto'/],
    [['add', '--a', '1', '--bogus'], /unknown option '--bogus'; expected one of --a, --beta/],
    [['add', '--a', '1', '--a', '2'], /--a: given more than once/],
    [['add', '--a', '1', 'extra'], /unexpected argument 'extra'/],
    [['add', '--a', '1', '--quiet=yes'], /--quiet: takes no value/],
  ])('%j is a usage error before any work', async (argv, message) => {
    const r = await run(spec, argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(work).not.toHaveBeenCalled();
  });

  it('names the flag, not the API option, in errors thrown by the command', async () => {
    const r = await run(spec, ['add', '--a', '-1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/OUT_OF_RANGE: --noise: expected >= 0 \(--batch-size too\)/);
  });

  it('follows one --json rule: stdout alone, or a file plus the text', async () => {
    const bare = await run(spec, ['add', '--a', '1', '--json']);
    expect(JSON.parse(bare.stdout)).toEqual({ sum: 2 });
    const dash = await run(spec, ['add', '--a', '1', '--json', '-', '--quiet']);
    expect(JSON.parse(dash.stdout)).toEqual({ sum: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'lab-cli-'));
    const file = join(dir, 'sub', 'r.json');
    const toFile = await run(spec, ['add', '--a', '1', '--json', file]);
    expect(toFile.stdout).toBe('sum 2');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ sum: 2 });
    rmSync(dir, { recursive: true });
  });

  it('checks paths before the work starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-cli-'));
    const blocker = join(dir, 'file');
    writeFileSync(blocker, 'x');
    const under = await run(spec, ['write', '--out', join(blocker, 'x.json')]);
    expect(under.code).toBe(2);
    expect(under.stderr).toMatch(/--out: cannot create the folder/);
    const missing = await run(spec, ['write', '--out', join(dir, 'o'), '--input', join(dir, 'nope.txt')]);
    expect(missing.stderr).toMatch(/NOT_FOUND: --input: cannot read '.*nope.txt' \(ENOENT\)/);
    const existing = await run(spec, ['write', '--out', join(dir, 'o'), '--checkpoint', blocker]);
    expect(existing.stderr).toMatch(
      /--checkpoint: '.*file' already exists and would be overwritten; pass --resume or --overwrite/,
    );
    expect(work).not.toHaveBeenCalled();
    expect((await run(spec, ['write', '--out', join(dir, 'o'), '--checkpoint', blocker, '--overwrite'])).code).toBe(0);
    expect((await run(spec, ['write', '--out', join(dir, 'o'), '--checkpoint', blocker, '--resume'])).code).toBe(0);
    expect(readFileSync(join(dir, 'o'), 'utf8')).toBe('done');
    if (process.getuid?.() !== 0) {
      const ro = join(dir, 'ro');
      mkdirSync(ro);
      chmodSync(ro, 0o500);
      expect((await run(spec, ['write', '--out', join(ro, 'x')])).stderr).toMatch(/cannot write in/);
    }
    expect(existsSync(join(dir, 'sub'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('withFlagNames', () => {
  it('rewrites API names as message subjects only', () => {
    const options = {
      'batch-size': { type: 'number', description: '' },
      seed: { type: 'number', description: '' },
    } as const;
    expect(withFlagNames('batchSize: expected >= 1, got 0', options)).toBe('--batch-size: expected >= 1, got 0');
    expect(withFlagNames('the seed 3 failed; seed: bad', options)).toBe('the seed 3 failed; --seed: bad');
    expect(withFlagNames('--seed: bad', options)).toBe('--seed: bad');
    expect(withFlagNames('alpha, seed: must sum to 1', options)).toBe('alpha, seed: must sum to 1');
  });
});
