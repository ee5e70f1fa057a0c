#!/usr/bin/env node
// Sums the vitest JSON reports of every package into CI's closing line: "N passed, N failed, N skipped".
// Exits 1 when a test failed, a report is missing, or nothing passed at all.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
let passed = 0,
  failed = 0,
  skipped = 0;
const missing = [];
const projects = [
  ...readdirSync(join(root, 'packages'))
    .sort()
    .map((d) => join('packages', d)),
  'tools',
];
for (const dir of projects) {
  const pkgJson = join(root, dir, 'package.json');
  if (!existsSync(pkgJson) || !JSON.parse(readFileSync(pkgJson, 'utf8')).scripts?.test) continue;
  const report = join(root, dir, '.vitest-report.json');
  if (!existsSync(report)) {
    missing.push(dir);
    continue;
  }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
for (const dir of missing) console.error(`${dir}: no .vitest-report.json (its tests did not run)`);
failed += missing.length;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
