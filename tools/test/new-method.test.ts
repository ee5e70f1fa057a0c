import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
let scratch = '';

/** A scratch copy of the workspace with only @lab/core, as a contributor's clone would look. */
function copyWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lab-new-method-'));
  for (const f of ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml', 'tsconfig.base.json', 'nx.json'])
    cpSync(join(repo, f), join(dir, f));
  cpSync(join(repo, '.changeset'), join(dir, '.changeset'), { recursive: true });
  const skip = (src: string) => !/node_modules|\.vitest-report|[\\/]\.nx/.test(src);
  cpSync(join(repo, 'tools'), join(dir, 'tools'), { recursive: true, filter: skip });
  cpSync(join(repo, 'packages', 'core'), join(dir, 'packages', 'core'), { recursive: true, filter: skip });
  // The workspace's tools package depends on every package (for the CLI conventions test); this clone has core only.
  const tools = JSON.parse(readFileSync(join(dir, 'tools', 'package.json'), 'utf8'));
  tools.devDependencies = { '@lab/core': 'workspace:*' };
  writeFileSync(join(dir, 'tools', 'package.json'), JSON.stringify(tools, null, 2));
  return dir;
}

const run = (cmd: string, args: string[], cwd: string) =>
  spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
const scaffold = (args: string[]) =>
  run(process.execPath, [join(scratch, 'tools/scripts/new-method.mjs'), ...args], scratch);

describe('pnpm new-method', () => {
  beforeAll(() => {
    scratch = copyWorkspace();
  });
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('refuses invalid npm names and existing packages with a clear message', () => {
    for (const bad of ['Bad_Name', 'trailing-', 'a--b', '@lab/x', 'x'.repeat(51), 'has space']) {
      const r = scaffold([bad]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/not a valid package name/);
    }
    const existing = scaffold(['core']);
    expect(existing.status).toBe(1);
    expect(existing.stderr).toMatch(/packages\/core already exists/);
    expect(scaffold([]).status).toBe(1);
  });

  it('scaffolds a package that installs, builds, typechecks, tests and benches green', () => {
    const r = scaffold(['demo-method', '--description', 'A demo method']);
    expect(r.status, r.stderr).toBe(0);
    const pkgDir = join(scratch, 'packages', 'demo-method');
    for (const f of [
      'package.json',
      'README.md',
      'src/index.ts',
      'src/config.ts',
      'src/demo-method.ts',
      'src/cli.ts',
      'src/replicate.ts',
      'test/demo-method.test.ts',
      'bench/demo-method.bench.ts',
    ]) {
      expect(existsSync(join(pkgDir, f)), f).toBe(true);
    }
    expect(readFileSync(join(scratch, '.changeset', 'new-demo-method.md'), 'utf8')).toMatch(
      /"@lab\/demo-method": minor/,
    );
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: '@lab/demo-method',
      bin: { 'lab-demo-method': './dist/cli.js' },
      publishConfig: { access: 'public' },
    });
    expect(readFileSync(join(pkgDir, 'src/demo-method.ts'), 'utf8')).toMatch(/export function demoMethodLoss/);
    expect(scaffold(['demo-method']).stderr).toMatch(/already exists/);

    // Offline: the pnpm store already holds every dependency after the workspace's own install.
    const install = run('pnpm', ['install', '--offline', '--no-frozen-lockfile'], scratch);
    expect(install.status, install.stderr + install.stdout).toBe(0);
    for (const script of ['build', 'typecheck', 'test', 'bench']) {
      const step = run('pnpm', ['run', script], pkgDir);
      expect(step.status, `${script}:\n${step.stdout}\n${step.stderr}`).toBe(0);
    }
    const help = execFileSync(process.execPath, [join(pkgDir, 'dist', 'cli.js'), '--help'], { encoding: 'utf8' });
    expect(help).toMatch(/lab-demo-method <command>/);
    const cjs = execFileSync(
      process.execPath,
      ['-e', "console.log(typeof require('./dist/index.cjs').demoMethodLoss)"],
      { cwd: pkgDir, encoding: 'utf8' },
    );
    expect(cjs.trim()).toBe('function');
  });
});
