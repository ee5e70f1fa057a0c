import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, runCli } from '@lab/core';
import { vi } from 'vitest';
import { cliSpec } from '../src/cli.js';

beforeAll(async () => {
  await initBackend('wasm');
});

async function capture(args: string[]) {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => void lines.push(a.join(' ')));
  const err = vi.spyOn(console, 'error').mockImplementation((...a) => void lines.push(a.join(' ')));
  try {
    return { code: await runCli(cliSpec, args), text: lines.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe('lab-essl', () => {
  it('--help lists the replicate command and its flags', async () => {
    const { code, text } = await capture(['replicate', '--help']);
    expect(code).toBe(0);
    expect(text).toMatch(/--experiments/);
    expect(text).toMatch(/--preset/);
  });

  it('runs the quick replication (G2 only) and prints its report', { timeout: 120_000 }, async () => {
    const { code, text } = await capture(['replicate', '--quick', '--experiments', 'g2', '--quiet']);
    expect(code).toBe(0);
    expect(text).toMatch(/\*\*Verdict: inconclusive\*\* · preset `quick` · seeds 0/);
    expect(text).toMatch(/--experiments g2/);
  });

  it('refuses an unknown experiment', async () => {
    const { code, text } = await capture(['replicate', '--experiments', 'g9']);
    expect(code).not.toBe(0);
    expect(text).toMatch(/g9/);
  });
});
