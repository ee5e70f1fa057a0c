// Every package's `lab-<name>` bin, built, run as a user runs it, through the same conventions of core's
// shared CLI driver: one table of cases, one row per (bin, case).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const bins = readdirSync(join(repo, 'packages'))
  .sort()
  .map((dir) => join(repo, 'packages', dir))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .flatMap(({ dir, pkg }) =>
    Object.entries((pkg.bin ?? {}) as Record<string, string>).map(([bin, file]) => ({
      bin,
      file: join(dir, file),
      version: pkg.version as string,
    })),
  );

const scratch = mkdtempSync(join(tmpdir(), 'lab-cli-conventions-'));
const aFile = join(scratch, 'a-file');
writeFileSync(aFile, 'not a folder');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(file: string, args: string[]) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [file, ...args], {
    cwd: scratch,
    encoding: 'utf8',
    env: { ...process.env, LAB_PROGRESS: 'none', LAB_BACKEND: '' },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

type Case = [string, string[], number, (r: ReturnType<typeof run>, bin: (typeof bins)[number]) => void];
const cases: Case[] = [
  [
    '--help lists the commands',
    ['--help'],
    0,
    (r, b) => expect(r.stdout).toMatch(new RegExp(`Usage: ${b.bin} <command>[\\s\\S]*replicate`)),
  ],
  ['--version prints the package version', ['--version'], 0, (r, b) => expect(r.stdout.trim()).toBe(b.version)],
  ['no command is a usage error', [], 2, (r) => expect(r.stderr).toMatch(/Usage:/)],
  [
    'an unknown command lists the commands',
    ['frobnicate'],
    2,
    (r) => expect(r.stderr).toMatch(/unknown command 'frobnicate'; expected one of .*replicate/),
  ],
  [
    'replicate --help shows the shared flags',
    ['replicate', '--help'],
    0,
    (r) => {
      for (const flag of [
        '--preset <name>',
        '--seeds <n|a,b|a..b>',
        '--out <path>',
        '--json [path|-]',
        '--backend <name>',
        '--quiet',
      ])
        expect(r.stdout).toContain(flag);
    },
  ],
  [
    'an unknown preset lists the presets',
    ['replicate', '--preset', 'bogus'],
    2,
    (r) => expect(r.stderr).toMatch(/--preset: expected one of 'quick'.*got 'bogus'/),
  ],
  [
    '--seeds is checked',
    ['replicate', '--seeds', '0'],
    2,
    (r) => expect(r.stderr).toMatch(/--seeds: expected an integer >= 1/),
  ],
  [
    'an unknown flag is named',
    ['replicate', '--frobnicate'],
    2,
    (r) => expect(r.stderr).toMatch(/unknown option '--frobnicate'/),
  ],
  [
    '--backend is checked',
    ['replicate', '--backend', 'abacus'],
    2,
    (r) => expect(r.stderr).toMatch(/--backend: expected one of/),
  ],
  [
    'an unwritable --json path fails before any work',
    ['replicate', '--json', join(aFile, 'report.json')],
    2,
    (r) => expect(r.stderr).toMatch(/--json: cannot create the folder/),
  ],
  [
    'an unwritable --out folder fails before any work',
    ['replicate', '--out', join(aFile, 'reports')],
    2,
    (r) => expect(r.stderr).toMatch(/--out: /),
  ],
];

describe.each(bins.map((b) => [b.bin, b] as const))('%s', (_name, b) => {
  it('is built', () => expect(existsSync(b.file), `${b.file}: run pnpm build first`).toBe(true));
  it.each(cases)('%s', (_label, args, status, check) => {
    const r = run(b.file, args);
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(status);
    check(r, b);
  });
  it('every command answers --help with the driver flags', () => {
    const help = run(b.file, ['--help']).stdout;
    const commands = [...help.matchAll(/^ {2}([a-z][a-z0-9-]*) {2,}/gm)].map((m) => m[1]!);
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      const r = run(b.file, [command, '--help']);
      expect(r.status, `${command}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('--backend <name>');
      expect(r.stdout).toContain('--quiet');
    }
  });
});

it('finds every bin of the workspace', () => {
  expect(bins.map((b) => b.bin)).toEqual(
    expect.arrayContaining(['lab-symnce', 'lab-made', 'lab-longppl', 'lab-cia-lra', 'lab-difficult-examples']),
  );
});
