#!/usr/bin/env node
// `pnpm replicate [package ...] [--preset quick|standard|full] [--seeds N] [--out reports]`
// Finds every workspace package whose build exports `replicate`, runs each (one process per package) with a
// live progress display, and writes <out>/replication.md, <out>/replication.json and <out>/<package>.svg.
// Exit code is non-zero only when a package failed to run, never because a claim was not reproduced.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ProgressReporter, writeFileAtomic as writeAtomic } from '@lab/core';
import { renderChart, renderMarkdown } from './replication-report.mjs';

const root = resolve(new URL('../..', import.meta.url).pathname);
const usage = `Usage: pnpm replicate [package ...] [--preset quick|standard|full] [--seeds N] [--out DIR]

Runs the miniature replication of every @lab package that exports replicate() (or only those named,
e.g. 'symnce' or '@lab/symnce') and writes DIR/replication.md, DIR/replication.json and one SVG per package.
  --preset   standard (default: the smallest run whose verdict is conclusive; an estimated 15–25 minutes for all
             packages on 2 cores), quick (CI-sized smoke runs) or full (the spec's size; hours)
  --seeds    number of seeds (default: the preset's)
  --out      output folder (default: reports)`;

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      preset: { type: 'string', default: 'standard' },
      seeds: { type: 'string' },
      out: { type: 'string', default: 'reports' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (err) {
  console.error(`replicate: ${err.message}\n\n${usage}`);
  process.exit(2);
}
if (args.values.help) {
  console.log(usage);
  process.exit(0);
}
const { preset, seeds } = args.values;
const outDir = resolve(args.values.out); // relative to the working directory (the repository root under `pnpm replicate`)
if (!['quick', 'standard', 'full'].includes(preset)) {
  console.error(`replicate: --preset: expected 'quick', 'standard' or 'full', got '${preset}'`);
  process.exit(2);
}
if (seeds !== undefined && !(Number.isInteger(Number(seeds)) && Number(seeds) > 0)) {
  console.error(`replicate: --seeds: expected a positive integer, got '${seeds}'`);
  process.exit(2);
}

async function discover() {
  const found = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const pkgDir = join(root, 'packages', dir);
    const pkgFile = join(pkgDir, 'package.json');
    if (!existsSync(pkgFile) || dir === 'core') continue;
    const { name } = JSON.parse(readFileSync(pkgFile, 'utf8'));
    const dist = join(pkgDir, 'dist', 'index.js');
    let exportsReplicate = false;
    if (existsSync(dist)) {
      try {
        exportsReplicate = typeof (await import(pathToFileURL(dist).href)).replicate === 'function';
      } catch {
        exportsReplicate = true; // let its own run report why it cannot load
      }
    }
    found.push({ dir, name, pkgDir, exportsReplicate, built: existsSync(dist) });
  }
  return found;
}

const all = await discover();
const wanted = args.positionals.map((p) => p.replace(/^@lab\//, ''));
for (const w of wanted) {
  if (!all.some((p) => p.dir === w)) {
    console.error(`replicate: unknown package '${w}'. Packages: ${all.map((p) => p.dir).join(', ')}`);
    process.exit(2);
  }
}
const selected = all.filter((p) => (wanted.length ? wanted.includes(p.dir) : p.exportsReplicate));
if (selected.length === 0) {
  console.error('replicate: no built package exports replicate() (run `pnpm build` first)');
  process.exit(1);
}

const tty = process.stderr.isTTY;

function runOne(pkg) {
  return new Promise((resolveRun) => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [join(root, 'tools/scripts/replicate-one.mjs'), pkg.pkgDir, preset, seeds ?? ''],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let report = null;
    let error = null;
    let stderrTail = '';
    let buffer = '';
    // Core's progress printer: a bar on a TTY, JSON lines otherwise, off with LAB_PROGRESS=none.
    const progress = new ProgressReporter();
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.progress) progress.update({ ...msg.progress, stage: `${pkg.dir} · ${msg.progress.stage}` });
        if (msg.report) report = msg.report;
        if (msg.error) error = msg.error;
      }
    });
    child.stderr.on('data', (chunk) => {
      stderrTail = (stderrTail + chunk).slice(-4000);
    });
    child.on('close', (code, signal) => {
      progress.stop();
      const secondsTaken = (Date.now() - started) / 1000;
      if (!report && !error) error = `process exited with ${signal ?? `code ${code}`} before reporting\n${stderrTail}`;
      resolveRun({ name: pkg.name, dir: pkg.dir, report: error ? null : report, error, seconds: secondsTaken });
    });
  });
}

const startedAt = new Date().toISOString();
const t0 = Date.now();
const entries = [];
for (const pkg of selected) {
  if (!pkg.built) {
    entries.push({
      name: pkg.name,
      dir: pkg.dir,
      report: null,
      error: `${pkg.name} is not built (run pnpm build)`,
      seconds: 0,
    });
    continue;
  }
  process.stderr.write(`▶ ${pkg.name} (${preset})${tty ? '' : '\n'}`);
  if (tty) process.stderr.write('\n');
  const entry = { ...(await runOne(pkg)), seedsArg: seeds };
  const status = entry.error ? 'FAILED to run' : entry.report.verdict;
  process.stderr.write(`${entry.error ? '✗' : '✓'} ${pkg.name}: ${status} (${entry.seconds.toFixed(1)} s)\n`);
  if (entry.error) process.stderr.write(`${entry.error.split('\n').slice(0, 6).join('\n')}\n`);
  if (entry.report) {
    try {
      const svg = await renderChart(entry.report);
      if (svg) {
        writeAtomic(join(outDir, `${pkg.dir}.svg`), svg);
        entry.chart = `${pkg.dir}.svg`;
      }
    } catch (err) {
      entry.report.notes.push(`chart could not be rendered: ${err.message}`);
    }
  }
  entries.push(entry);
}

const command = `pnpm replicate ${process.argv.slice(2).join(' ')}`.trim();
const seconds = (Date.now() - t0) / 1000;
writeAtomic(
  join(outDir, 'replication.json'),
  JSON.stringify({ generatedAt: startedAt, command, seconds, packages: entries }, null, 2),
);
writeAtomic(join(outDir, 'replication.md'), renderMarkdown(entries, { command, startedAt, seconds }));
console.log(
  `\nWrote ${join(outDir, 'replication.md')}, ${join(outDir, 'replication.json')} and ${entries.filter((e) => e.chart).length} chart(s) in ${seconds.toFixed(1)} s.`,
);
for (const e of entries) console.log(`  ${e.name.padEnd(28)} ${e.error ? 'failed to run' : e.report.verdict}`);
process.exit(entries.some((e) => e.error) ? 1 : 0);
