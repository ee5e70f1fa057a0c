// Test helpers: the smallest GOOD export, and `lab-cia-lra` run in-process through core's driver.
import { vi } from 'vitest';
import { runCli } from '@lab/core';
import { cliSpec } from '../src/cli.js';

export async function runCiaCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  try {
    const code = await runCli(cliSpec, [...argv, '--quiet']);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

/** The smallest GOOD export the trainer accepts: a 4-node path, two classes, one node per OOD split. */
export const tinyGood = {
  x: [
    [1, 0],
    [0, 1],
    [1, 1],
    [0, 0],
  ],
  edge_index: [
    [0, 1, 1, 2, 2, 3],
    [1, 0, 2, 1, 3, 2],
  ],
  y: [0, 1, 1, 0],
  train_mask: [true, true, false, false],
  val_mask: [false, false, true, false],
  test_mask: [0, 0, 0, 1],
  env_id: [0, 1, 5, 7],
};
