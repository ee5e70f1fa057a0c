#!/usr/bin/env node
// Packs every publishable package with `pnpm pack` (which rewrites workspace:^ ranges), installs all the
// tarballs into a scratch npm project OUTSIDE the workspace, and checks each one imports in ESM and CJS
// and that its CLI answers --help. Also runs publint and @arethetypeswrong/cli on each package.
// Prints one line per check and exits 1 if any failed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const packages = readdirSync(join(root, 'packages'))
  .sort()
  .map((dir) => ({ dir, path: join(root, 'packages', dir), json: join(root, 'packages', dir, 'package.json') }))
  .filter((p) => existsSync(p.json))
  .map((p) => ({ ...p, pkg: JSON.parse(readFileSync(p.json, 'utf8')) }))
  .filter((p) => !p.pkg.private);

let failures = 0;
const check = (label, fn) => {
  try {
    fn();
    console.log(`ok    ${label}`);
  } catch (err) {
    failures++;
    console.log(`FAIL  ${label}\n${String(err.stdout ?? '')}${String(err.stderr ?? '')}${err.message}`.trimEnd());
  }
};
const bin = (name) => join(root, 'node_modules', '.bin', name);

const scratch = mkdtempSync(join(tmpdir(), 'lab-packs-'));
const tarballs = [];
for (const p of packages) {
  check(`${p.pkg.name}: publint`, () => execFileSync(bin('publint'), ['--strict'], { cwd: p.path, stdio: 'pipe' }));
  // esm-only: the bin is an ESM entry by design; attw checks the library entry points.
  check(`${p.pkg.name}: attw`, () =>
    execFileSync(bin('attw'), ['--pack', '.', '--format', 'ascii', '--profile', 'node16'], {
      cwd: p.path,
      stdio: 'pipe',
    }),
  );
  check(`${p.pkg.name}: pnpm pack`, () => {
    const out = execFileSync('pnpm', ['pack', '--pack-destination', scratch], {
      cwd: p.path,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const file = out.trim().split('\n').pop().trim();
    tarballs.push(file.startsWith('/') ? file : join(scratch, file));
  });
}

writeFileSync(
  join(scratch, 'package.json'),
  JSON.stringify({ name: 'lab-pack-check', private: true, version: '0.0.0' }),
);
check(`npm install of ${tarballs.length} tarballs outside the workspace`, () =>
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], {
    cwd: scratch,
    stdio: 'pipe',
  }),
);
for (const p of packages) {
  const name = p.pkg.name;
  check(`${name}: import (ESM)`, () => {
    const code = `const m = await import('${name}'); if (Object.keys(m).length === 0) throw new Error('no exports');`;
    execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: scratch, stdio: 'pipe' });
  });
  check(`${name}: require (CJS)`, () => {
    const code = `const m = require('${name}'); if (Object.keys(m).length === 0) throw new Error('no exports');`;
    execFileSync(process.execPath, ['-e', code], { cwd: scratch, stdio: 'pipe' });
  });
  if (name === '@lab/core') {
    // Installed from its tarball, the engine must start on WASM (its .wasm files found next to the backend)
    // and compute, on two threads: the product is large enough for core's worker pool, whose workers are
    // evaluated in a parent that runs as an ES module (--input-type=module).
    check(`${name}: initBackend() + matMul on 2 threads + loadMnist() from the installed tarball`, () => {
      const code = `const { initBackend, tf, loadMnist, wasmThreads } = await import('@lab/core');
        const backend = await initBackend('auto', { threads: 2 });
        if (backend !== 'wasm' || wasmThreads() !== 2) throw new Error('backend ' + backend + ' threads ' + wasmThreads());
        const y = tf.matMul(tf.ones([200, 100]), tf.ones([100, 200])).dataSync();
        if (y[0] !== 100 || y[y.length - 1] !== 100) throw new Error('matMul gave ' + y[0]);
        const mnist = await loadMnist();
        if (mnist.count !== 10000) throw new Error('mnist count ' + mnist.count);`;
      execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: scratch, stdio: 'pipe' });
    });
  }
  if (name === '@lab/core') {
    // An uncaught error in user code after initBackend (threaded build) prints as Node prints it, exit 1,
    // not the emscripten runtime's 55 KB of minified script with exit code 7.
    check(`${name}: an uncaught error after initBackend exits 1 with the error alone`, () => {
      const code = `const { initBackend } = await import('@lab/core');
        await initBackend('wasm', { threads: 2 });
        throw new Error('user error on purpose');`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: scratch, encoding: 'utf8' });
      const out = `${r.stdout}${r.stderr}`;
      if (r.status !== 1 || !out.includes('user error on purpose') || out.length > 2000)
        throw new Error(`exit ${r.status}, ${out.length} characters of output: ${out.slice(0, 300)}`);
    });
  }
  for (const binName of Object.keys(p.pkg.bin ?? {})) {
    check(`${name}: ${binName} --help`, () => {
      const r = spawnSync(join(scratch, 'node_modules', '.bin', binName), ['--help'], {
        cwd: scratch,
        encoding: 'utf8',
      });
      if (r.status !== 0 || !r.stdout.includes(binName)) throw new Error(`exit ${r.status}: ${r.stdout}${r.stderr}`);
    });
  }
}
// A user installs one method package and gets only the stacks it needs: @lab/made brings no tokenizer and no
// MNIST, @lab/longppl no MNIST (tarballs of its @lab dependencies given explicitly: they are not on a registry).
const tarballOf = (name) => tarballs.find((t) => t.includes(`lab-${name.slice('@lab/'.length)}-`));
const lonelyInstall = (name, deps, absent) =>
  check(`${name} installed alone has no ${absent.join(', ')} in its tree`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-lonely-'));
    try {
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'lab-lonely', private: true, version: '0.0.0' }));
      const files = [name, ...deps].map(tarballOf);
      if (files.some((f) => !f)) throw new Error(`missing tarball among ${[name, ...deps].join(', ')}`);
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], {
        cwd: dir,
        stdio: 'pipe',
      });
      const present = absent.filter((dep) => existsSync(join(dir, 'node_modules', dep)));
      if (present.length > 0) throw new Error(`found ${present.join(', ')} in node_modules`);
      const code = `const m = await import('${name}'); if (Object.keys(m).length === 0) throw new Error('no exports');`;
      execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: dir, stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
lonelyInstall('@lab/made', ['@lab/core', '@lab/graph'], ['@huggingface/tokenizers', 'mnist']);
lonelyInstall('@lab/longppl', ['@lab/core', '@lab/lm'], ['mnist']);

rmSync(scratch, { recursive: true, force: true });
console.log(`package checks: ${failures === 0 ? 'all passed' : `${failures} failed`}`);
process.exit(failures === 0 ? 0 : 1);
