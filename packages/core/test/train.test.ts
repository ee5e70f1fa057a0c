import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Adam,
  BatchNorm1d,
  Dropout,
  LabError,
  Linear,
  MLP,
  Module,
  Rng,
  SGD,
  cosineLr,
  fit,
  initBackend,
  loadCheckpoint,
  readCheckpointMeta,
  saveCheckpoint,
  tf,
  writeFileAtomic,
  type ProgressEvent,
} from '@lab/core';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'lab-train-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small classifier with every kind of state: Linear, BatchNorm buffers, Dropout. */
class Net extends Module {
  readonly fc1: Linear;
  readonly bn: BatchNorm1d;
  readonly drop: Dropout;
  readonly fc2: Linear;
  constructor(seed: number) {
    super();
    const rng = new Rng(seed);
    this.fc1 = this.addModule('fc1', new Linear(4, 16, { rng }));
    this.bn = this.addModule('bn', new BatchNorm1d(16));
    this.drop = this.addModule('drop', new Dropout(0.1, { rng: rng.fork('dropout') }));
    this.fc2 = this.addModule('fc2', new Linear(16, 3, { rng }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc2.forward(this.drop.forward(tf.relu(this.bn.forward(this.fc1.forward(x))))));
  }
}

/** Deterministic toy data: 3 Gaussian blobs in 4-D, 96 points, batches of 16 reshuffled per epoch. */
function makeData(seed: number) {
  const rng = new Rng(seed);
  const n = 96;
  const xs = new Float32Array(n * 4);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    ys[i] = i % 3;
    for (let d = 0; d < 4; d++) xs[i * 4 + d] = rng.normal() * 0.5 + (d === ys[i] ? 2 : 0);
  }
  return (epoch: number) => {
    const order = rng.fork(epoch).permutation(n);
    const batches: { x: Float32Array; y: Int32Array }[] = [];
    for (let b = 0; b < n; b += 16) {
      const x = new Float32Array(16 * 4);
      const y = new Int32Array(16);
      for (let k = 0; k < 16; k++) {
        const i = order[b + k]!;
        x.set(xs.subarray(i * 4, i * 4 + 4), k * 4);
        y[k] = ys[i]!;
      }
      batches.push({ x, y });
    }
    return batches;
  };
}

const ce = (net: Net) => (batch: { x: Float32Array; y: Int32Array }) =>
  tf.tidy(
    () =>
      tf.losses.softmaxCrossEntropy(
        tf.oneHot(tf.tensor1d(batch.y, 'int32'), 3),
        net.forward(tf.tensor2d(batch.x, [16, 4])),
      ) as tf.Scalar,
  );

describe('fit', () => {
  it('keeps tf.memory().numTensors flat over 100 steps (with schedule, clipping, validation)', async () => {
    const net = new Net(0);
    const opt = new Adam(net, { lr: 0.01 });
    const data = makeData(1);
    // one warm-up epoch creates the optimizer slots, which legitimately persist
    await fit({ model: net, optimizer: opt, data, loss: ce(net), epochs: 1, progress: 'none' });
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const result = await fit({
      model: net,
      optimizer: opt,
      data,
      loss: ce(net),
      epochs: 100,
      steps: 100,
      schedule: cosineLr({ lr: 0.01, totalSteps: 100 }),
      clipNorm: 1,
      validate: () => 0.5,
      progress: 'none',
      callbacks: { onStepEnd: () => void counts.push(tf.memory().numTensors) },
    });
    expect(result.steps).toBe(100);
    expect(counts).toHaveLength(100);
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    net.dispose();
  });

  it('learns the toy task and reports progress', async () => {
    const net = new Net(1);
    const opt = new Adam(net, { lr: 0.02 });
    const events: ProgressEvent[] = [];
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, cb) => void (lines.push(String(chunk)), cb()) });
    const result = await fit({
      model: net,
      optimizer: opt,
      data: makeData(2),
      loss: ce(net),
      epochs: 8,
      stepsPerEpoch: 6,
      progress: 'jsonl',
      progressStream: stream,
      onProgress: (e) => events.push(e),
    });
    expect(result.history[7]!.loss).toBeLessThan(0.5 * result.history[0]!.loss);
    expect(events).toHaveLength(48 + 8);
    expect(events.at(-1)).toEqual({ stage: 'train', done: 48, total: 48 });
    const records = lines
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(8);
    expect(records[0]).toMatchObject({ event: 'epoch', epoch: 0, step: 6, totalSteps: 48 });
    opt.dispose();
    net.dispose();
  });

  it('draws a cli-progress bar on a TTY stream and is reproducible for a seed', async () => {
    const run = async (stream?: Writable & { isTTY?: boolean }) => {
      const net = new Net(11);
      const opt = new Adam(net, { lr: 0.01 });
      await fit({
        model: net,
        optimizer: opt,
        data: makeData(12),
        loss: ce(net),
        epochs: 2,
        ...(stream ? { progress: 'auto' as const, progressStream: stream } : { progress: 'none' as const }),
      });
      const w = Object.values(net.stateDict()).map((t) => Array.from(t.dataSync()));
      opt.dispose();
      net.dispose();
      return w;
    };
    let out = '';
    const tty = Object.assign(new Writable({ write: (chunk, _enc, cb) => void ((out += String(chunk)), cb()) }), {
      isTTY: true,
      columns: 120,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    });
    const first = await run(tty);
    expect(out).toMatch(/train \[.*\] \d+% \| \d+\/2 \| epoch 1/);
    expect(out).not.toMatch(/"event"/);
    // same seeds (weights, dropout, data order) → identical weights on the same backend
    expect(await run()).toEqual(first);
  });

  it('stops early when the monitored metric stops improving and restores the best weights', async () => {
    const net = new Net(2);
    const opt = new SGD(net, { lr: 0.01 });
    const scores = [0.5, 0.7, 0.6, 0.65, 0.66, 0.9];
    let snapshotAtBest: number[] = [];
    const result = await fit({
      model: net,
      optimizer: opt,
      data: makeData(3),
      loss: ce(net),
      epochs: 6,
      validate: (epoch) => ({ accuracy: scores[epoch]! }),
      earlyStopping: { monitor: 'accuracy', mode: 'max', patience: 2, restoreBest: true },
      callbacks: {
        onEpochEnd: (r) => {
          if (r.epoch === 1) snapshotAtBest = Array.from(net.fc2.weight.dataSync());
        },
      },
      progress: 'none',
    });
    expect(result.stoppedEarly).toBe(true);
    expect(result.history.map((r) => r.epoch)).toEqual([0, 1, 2, 3, 4]);
    expect(result.bestEpoch).toBe(1);
    expect(result.bestValue).toBe(0.7);
    expect(Array.from(net.fc2.weight.dataSync())).toEqual(snapshotAtBest);
    opt.dispose();
    net.dispose();
  });

  it('resuming from a checkpoint continues the run (counters, schedule, optimizer state, history)', async () => {
    const run = async (ckptDir: string | null, epochs: number, seed = 5) => {
      const net = new Net(seed);
      const opt = new Adam(net, { lr: 0.01 });
      const result = await fit({
        model: net,
        optimizer: opt,
        data: makeData(4),
        loss: ce(net),
        epochs,
        schedule: cosineLr({ lr: 0.01, totalSteps: 24 }),
        progress: 'none',
        ...(ckptDir ? { checkpoint: { dir: ckptDir } } : {}),
      });
      const weights = Object.fromEntries(
        Object.entries(net.stateDict()).map(([k, t]) => [k, Array.from(t.dataSync())]),
      );
      opt.dispose();
      net.dispose();
      return { result, weights };
    };
    const straight = await run(null, 4);
    const ckpt = join(dir, 'resume');
    const first = await run(ckpt, 2);
    expect(first.result.steps).toBe(12);
    expect(readCheckpointMeta(ckpt)).toMatchObject({ epoch: 1, step: 12, optimizerKind: 'adam' });
    // a different init seed proves the weights come from the checkpoint, not the constructor
    const resumed = await run(ckpt, 4, 99);
    expect(resumed.result.resumedFrom).toBe(1);
    expect(resumed.result.steps).toBe(24);
    expect(resumed.result.history).toHaveLength(4);
    // Dropout masks come from the module's own Rng stream, which is not part of a checkpoint (as in
    // PyTorch state dicts) and restarts on resume, so this run only tracks the straight one closely.
    expect(Object.keys(resumed.weights)).toEqual(Object.keys(straight.weights));
    expect(Math.abs(resumed.result.history[3]!.loss - straight.result.history[3]!.loss)).toBeLessThan(0.1);
    const files = readdirSync(ckpt).sort();
    expect(files.filter((f) => f.endsWith('.safetensors'))).toHaveLength(2);
    expect(files).toContain('checkpoint.json');
  });

  it('resume is bit-exact for a deterministic model', async () => {
    const run = async (ckptDir: string | null, epochs: number, seed = 7) => {
      const net = new MLP([4, 8, 3], { rng: new Rng(seed) });
      const opt = new Adam(net, { lr: 0.01 });
      await fit({
        model: net,
        optimizer: opt,
        data: makeData(6),
        loss: (b) =>
          tf.tidy(
            () =>
              tf.losses.softmaxCrossEntropy(
                tf.oneHot(tf.tensor1d(b.y, 'int32'), 3),
                net.forward(tf.tensor2d(b.x, [16, 4])),
              ) as tf.Scalar,
          ),
        epochs,
        progress: 'none',
        ...(ckptDir ? { checkpoint: { dir: ckptDir } } : {}),
      });
      const w = Object.values(net.stateDict()).map((t) => Array.from(t.dataSync()));
      opt.dispose();
      net.dispose();
      return w;
    };
    const straight = await run(null, 3);
    const ckpt = join(dir, 'exact');
    await run(ckpt, 1);
    expect(await run(ckpt, 3, 123)).toEqual(straight);
  });

  it('checkpoint files are written atomically and validated on load', () => {
    const net = new MLP([2, 2], { rng: new Rng(0) });
    const ckpt = join(dir, 'atomic');
    saveCheckpoint(ckpt, { model: net, epoch: 0, step: 3 });
    saveCheckpoint(ckpt, { model: net, epoch: 1, step: 6 });
    expect(readdirSync(ckpt).filter((f) => f.startsWith('.') || f.endsWith('.tmp'))).toEqual([]);
    // An optimizer-state write killed half-way (its process gone) left a temporary file: the next save removes it.
    const stale = join(ckpt, '.optimizer-00000003-abc.safetensors.999999999.1.tmp');
    writeFileSync(stale, 'partial');
    saveCheckpoint(ckpt, { model: net, epoch: 2, step: 9 });
    expect(existsSync(stale)).toBe(false);
    expect(readdirSync(ckpt).filter((f) => f.startsWith('model-'))).toHaveLength(1);
    expect(loadCheckpoint(join(dir, 'none'), { model: net })).toBeNull();
    writeFileSync(join(ckpt, 'checkpoint.json'), '{"version": 2}');
    expect(() => loadCheckpoint(ckpt, { model: net })).toThrow(/checkpoint metadata version 1/);
    expect(existsSync(ckpt)).toBe(true);
    net.dispose();
  });

  it('checks the checkpoint folder before any step and never replaces a checkpoint unasked', async () => {
    const net = new MLP([4, 3], { rng: new Rng(0) });
    const opt = new SGD(net, { lr: 0.1 });
    let steps = 0;
    const loss = (b: { x: Float32Array; y: Int32Array }) => {
      steps++;
      return tf.tidy(
        () =>
          tf.losses.softmaxCrossEntropy(
            tf.oneHot(tf.tensor1d(b.y, 'int32'), 3),
            net.forward(tf.tensor2d(b.x, [16, 4])),
          ) as tf.Scalar,
      );
    };
    const base = { model: net, optimizer: opt, data: makeData(0), loss, epochs: 1, progress: 'none' as const };
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    await expect(fit({ ...base, checkpoint: { dir: join(blocker, 'ckpt') } })).rejects.toThrow(
      /checkpoint.dir: cannot create the folder/,
    );
    expect(steps).toBe(0);
    const ckpt = join(dir, 'keep');
    await fit({ ...base, checkpoint: { dir: ckpt } });
    const taken = steps;
    await expect(fit({ ...base, checkpoint: { dir: ckpt, resume: false } })).rejects.toThrow(
      /already holds a checkpoint; resume from it .* or pass overwrite: true/,
    );
    expect(steps).toBe(taken);
    await fit({ ...base, checkpoint: { dir: ckpt, resume: false, overwrite: true } });
    expect(steps).toBe(2 * taken);
    opt.dispose();
    net.dispose();
  });

  it('writeFileAtomic removes temporary files of interrupted writes and names the path on failure', () => {
    const target = join(dir, 'atomic-io', 'state.safetensors');
    writeFileAtomic(target, 'one');
    // A write killed half-way (its process gone) left a temporary file behind; the next write removes it.
    const stale = join(dir, 'atomic-io', '.state.safetensors.999999999.123.tmp');
    const other = join(dir, 'atomic-io', '.other.bin.999999999.123.tmp');
    writeFileSync(stale, 'partial');
    writeFileSync(other, 'partial');
    writeFileAtomic(target, 'two');
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(other)).toBe(true);
    const blocker = join(dir, 'atomic-io', 'a-file');
    writeFileSync(blocker, 'x');
    expect(() => writeFileAtomic(join(blocker, 'x.json'), '{}')).toThrow(LabError);
    expect(() => writeFileAtomic(join(blocker, 'x.json'), '{}')).toThrow(/IO_ERROR|cannot write '.*a-file\/x.json'/);
  });

  it('stops on request, honours the step budget and rejects bad input', async () => {
    const net = new MLP([4, 3], { rng: new Rng(0) });
    const opt = new SGD(net, { lr: 0.1 });
    const base = { model: net, optimizer: opt, data: makeData(0), progress: 'none' as const };
    const loss = (b: { x: Float32Array; y: Int32Array }) =>
      tf.tidy(
        () =>
          net
            .forward(tf.tensor2d(b.x, [16, 4]))
            .square()
            .mean() as tf.Scalar,
      );
    expect(
      (await fit({ ...base, loss, epochs: 5, callbacks: { onStepEnd: (s) => (s.step === 3 ? 'stop' : undefined) } }))
        .steps,
    ).toBe(3);
    expect((await fit({ ...base, loss, epochs: 5, steps: 8 })).steps).toBe(8);
    await expect(fit({ ...base, loss: (b) => loss(b).mul(NaN), epochs: 1 })).rejects.toThrow(
      /loss: expected a finite value/,
    );
    await expect(fit({ ...base, loss: () => tf.scalar(1), epochs: 1 })).rejects.toThrow(/loss: does not depend on/);
    await expect(fit({ ...base, loss, data: () => [], epochs: 1 })).rejects.toThrow(LabError);
    await expect(fit({ ...base, loss, epochs: 0 })).rejects.toThrow(/epochs/);
    await expect(
      fit({ ...base, loss, epochs: 1, validate: () => ({ acc: 1 }), earlyStopping: { patience: 1, monitor: 'f1' } }),
    ).rejects.toThrow(/'f1'/);
    opt.dispose();
    net.dispose();
  });
});
