import { afterEach, describe, expect, it } from 'vitest';
import { LabError, ProgressReporter, progressModeFromEnv } from '@lab/core';

const sink = (isTTY = false) => {
  const chunks: string[] = [];
  return { chunks, stream: Object.assign({ write: (c: string) => (chunks.push(c), true), isTTY }) as never };
};

afterEach(() => {
  delete process.env.LAB_PROGRESS;
});

describe('ProgressReporter', () => {
  it('writes stage events as JSON lines off a TTY: on a new stage, at the end, and at most once a second', () => {
    const { chunks, stream } = sink();
    const seen: unknown[] = [];
    const p = new ProgressReporter({ stream, onProgress: (e) => seen.push(e) });
    expect(p.resolvedMode).toBe('jsonl');
    for (let i = 1; i <= 50; i++) p.update({ stage: 'seed 0', done: i, total: 50 });
    p.update({ stage: 'seed 1', done: 1, total: 50 });
    const lines = chunks.map((c) => JSON.parse(c));
    expect(lines.map((l) => [l.stage, l.done])).toEqual([
      ['seed 0', 1],
      ['seed 0', 50],
      ['seed 1', 1],
    ]);
    expect(seen).toHaveLength(51);
  });

  it('draws one bar on a TTY and honours LAB_PROGRESS', () => {
    const tty = sink(true);
    const bar = new ProgressReporter({ stream: tty.stream });
    expect(bar.resolvedMode).toBe('bar');
    bar.update({ stage: 'seed 0', done: 1, total: 2 });
    bar.update({ stage: 'seed 1', done: 2, total: 2 });
    bar.stop();
    expect(tty.chunks.join('')).toMatch(/seed 1/);
    process.env.LAB_PROGRESS = '0';
    const quiet = sink(true);
    const none = new ProgressReporter({ stream: quiet.stream });
    expect(none.resolvedMode).toBe('none');
    none.update({ stage: 's', done: 1, total: 1 });
    expect(quiet.chunks).toEqual([]);
    process.env.LAB_PROGRESS = 'jsonl';
    expect(new ProgressReporter({ stream: sink(true).stream }).resolvedMode).toBe('jsonl');
    expect(new ProgressReporter({ stream: sink(true).stream, mode: 'none' }).resolvedMode).toBe('none');
    process.env.LAB_PROGRESS = 'loud';
    expect(() => progressModeFromEnv()).toThrow(LabError);
  });
});
