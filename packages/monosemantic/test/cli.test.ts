import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, runCliCaptured, saveSafetensors, tf } from '@lab/core';
import { cliSpec } from '../src/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lab-monosemantic-cli-'));

/** A little-endian float32 C-order .npy file of `rows` (format 1.0). */
function npy(rows: number[][]): Uint8Array {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows.length}, ${rows[0]!.length}), }`;
  const padded = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ') + '\n';
  const head = new Uint8Array(10 + padded.length);
  head.set([0x93, ...Buffer.from('NUMPY'), 1, 0], 0);
  new DataView(head.buffer).setUint16(8, padded.length, true);
  head.set(Buffer.from(padded), 10);
  const body = new Uint8Array(Float32Array.from(rows.flat()).buffer);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

// Dim 0 fires for class 0 only, dim 1 for class 1 only, dim 2 for both: consistency (1 + 1 + 0.5)/3.
const rows = [
  [1, 0, 1],
  [2, 0, 1],
  [0, 1, 1],
  [0, 3, 1],
];
const labels = [0, 0, 1, 1];

beforeAll(async () => {
  await initBackend('wasm');
  writeFileSync(join(dir, 'f.npy'), npy(rows));
  writeFileSync(join(dir, 'y.json'), JSON.stringify(labels));
  saveSafetensors(join(dir, 'f.safetensors'), { feats: tf.tensor2d(rows), other: tf.zeros([2]) });
});

/** `lab-monosemantic metrics --features <file> --labels y.json …extra`. */
const metrics = (file: string, ...extra: string[]) =>
  runCliCaptured(cliSpec, ['metrics', '--features', join(dir, file), '--labels', join(dir, 'y.json'), ...extra]);

describe('lab-monosemantic', () => {
  it('metrics scores a .npy feature file', async () => {
    const run = await metrics('f.npy', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.semanticConsistency).toBeCloseTo(2.5 / 3, 5);
    expect(result.activeDims).toBe(3);
    expect(result.rows).toBe(4);
  });

  it('metrics reads a named tensor from safetensors, and asks for a name when there are several', async () => {
    const ok = await metrics('f.safetensors', '--key', 'feats', '--json', join(dir, 'm.json'));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/semanticConsistency\s+0\.8333/);
    expect(JSON.parse(readFileSync(join(dir, 'm.json'), 'utf8')).sparsity).toBeCloseTo(4 / 12, 5);
    const ambiguous = await metrics('f.safetensors');
    expect(ambiguous.code).not.toBe(0);
    expect(ambiguous.stderr).toMatch(/several tensors, name one/);
  });

  it('metrics refuses a missing features file before any work', async () => {
    const run = await metrics('none.npy');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--features/);
  });

  it('runs the quick replication and prints its report', async () => {
    const run = await runCliCaptured(cliSpec, ['replicate', '--preset', 'quick', '--width', '16', '--quiet']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\*\*Verdict: (inconclusive|reproduced|not-reproduced)\*\* · preset `quick` · seeds 0/);
    expect(run.stdout).toMatch(/positive control: CL clean probe accuracy/);
  });
});
