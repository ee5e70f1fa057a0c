import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, initBackend, tf } from '@lab/core';
import { ContrastiveEncoder, evaluate, loadCheckpoint, trainContrastive, type TrainOptions } from '../src/index.js';

// Tiny synthetic 8×8 "images": 4 classes, each a bright blob at its own place plus noise.
function blobs(n: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 64);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    labels[i] = c;
    const [r0, c0] = [
      [1, 1],
      [1, 5],
      [5, 1],
      [5, 5],
    ][c]!;
    for (let p = 0; p < 64; p++) x[i * 64 + p] = 0.1 * rng.next();
    for (let dr = 0; dr < 2; dr++) for (let dc = 0; dc < 2; dc++) x[i * 64 + (r0! + dr) * 8 + c0! + dc] = 1;
  }
  return { x, labels };
}

const encoderConfig = { inputDim: 64, hidden: [32], featureDim: 16, headHidden: 16, projDim: 8 };
const base: Partial<TrainOptions> = {
  epochs: 2,
  batchSize: 16,
  lr: 1e-2,
  encoder: encoderConfig,
  augment: { maxShift: 1 },
};
const weights = (e: ContrastiveEncoder) => e.parameters().map((v) => Array.from(v.dataSync()));

describe('trainContrastive / evaluate', () => {
  const data = blobs(48, 1);
  const dir = mkdtempSync(join(tmpdir(), 'lab-symnce-train-'));
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains deterministically from the seed and leaks only the returned encoder', async () => {
    const before = tf.memory().numTensors;
    const a = await trainContrastive(data, { ...base, loss: 'symnce', warmupEpochs: 1, seed: 3 });
    const b = await trainContrastive(data, { ...base, loss: 'symnce', warmupEpochs: 1, seed: 3 });
    expect(a.history).toHaveLength(2);
    expect(a.history.every(Number.isFinite)).toBe(true);
    expect(a.log.map((l) => l.lossUsed)).toEqual(['supcon', 'symnce']); // SupCon-only warm-up
    expect(b.history).toEqual(a.history);
    expect(weights(b.encoder)).toEqual(weights(a.encoder));
    const params = a.encoder.parameters().length;
    expect(tf.memory().numTensors).toBe(before + 2 * params);
    a.encoder.dispose();
    b.encoder.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('pairs losses within a seed: SymNCE during its warm-up equals SupCon exactly', async () => {
    const sup = await trainContrastive(data, { ...base, loss: 'supcon', seed: 5 });
    const sym = await trainContrastive(data, { ...base, loss: 'symnce', warmupEpochs: 2, seed: 5 });
    expect(sym.history).toEqual(sup.history);
    expect(weights(sym.encoder)).toEqual(weights(sup.encoder));
    const other = await trainContrastive(data, { ...base, loss: 'supcon', seed: 6 });
    expect(other.history).not.toEqual(sup.history);
    [sup, sym, other].forEach((r) => r.encoder.dispose());
  });

  it('resumes an interrupted run from its checkpoint exactly', async () => {
    const path = join(dir, 'ckpt.safetensors');
    const opts: Partial<TrainOptions> = { ...base, epochs: 3, loss: 'symnce', warmupEpochs: 1, seed: 2 };
    const full = await trainContrastive(data, opts);
    await expect(
      trainContrastive(data, {
        ...opts,
        checkpoint: { path, metadata: { note: 'test' } },
        onEpoch: (log) => {
          if (log.epoch === 1) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    const saved = loadCheckpoint(path);
    expect(saved.epoch).toBe(0); // the callback stopped epoch 1 before its checkpoint
    expect(saved.metadata).toEqual({ note: 'test' });
    saved.encoder.dispose();
    const resumed = await trainContrastive(data, { ...opts, resumeFrom: path, checkpoint: { path } });
    expect(resumed.history).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(resumed.history[i]).toBeCloseTo(full.history[i]!, 5);
    const [w1, w2] = [weights(full.encoder).flat(), weights(resumed.encoder).flat()];
    expect(Math.max(...w1.map((v, i) => Math.abs(v - w2[i]!)))).toBeLessThan(1e-5);
    await expect(trainContrastive(data, { ...opts, lr: 0.5, resumeFrom: path })).rejects.toThrow(
      /resumeFrom: checkpoint .* different run/,
    );
    full.encoder.dispose();
    resumed.encoder.dispose();
  });

  it('learns the blobs: kNN and probe on the representation beat chance, without leaks', async () => {
    const { encoder } = await trainContrastive(data, { ...base, epochs: 8, loss: 'supcon', seed: 0 });
    const test = blobs(32, 9);
    const before = tf.memory().numTensors;
    const { knnAcc, probeAcc } = await evaluate(encoder, data, test, { knnK: 5, probeEpochs: 50 });
    expect(tf.memory().numTensors).toBe(before);
    expect(knnAcc).toBeGreaterThan(0.5); // chance is 0.25
    expect(probeAcc).toBeGreaterThan(0.5);
    encoder.dispose();
  });

  it('checks the checkpoint path before training: never replaces one silently, fails early when unwritable', async () => {
    const path = join(dir, 'kept.safetensors');
    const first = await trainContrastive(data, { ...base, epochs: 1, seed: 1, checkpoint: { path } });
    first.encoder.dispose();
    const epochs: number[] = [];
    await expect(
      trainContrastive(data, { ...base, seed: 1, checkpoint: { path }, onEpoch: (l) => void epochs.push(l.epoch) }),
    ).rejects.toThrow(/checkpoint.path: '.*kept.safetensors' already exists and would be overwritten/);
    expect(epochs).toEqual([]);
    const again = await trainContrastive(data, { ...base, epochs: 1, seed: 1, checkpoint: { path, overwrite: true } });
    again.encoder.dispose();
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    await expect(
      trainContrastive(data, {
        ...base,
        checkpoint: { path: join(blocker, 'ckpt.safetensors') },
        onEpoch: () => epochs.push(0),
      }),
    ).rejects.toThrow(/checkpoint.path: cannot create the folder/);
    expect(epochs).toEqual([]);
  });

  it('trains every loss without non-finite values', async () => {
    for (const loss of ['revnce', 'rince', 'ntxent'] as const) {
      const { encoder, history } = await trainContrastive(data, { ...base, epochs: 1, loss, seed: 1 });
      expect(history.every(Number.isFinite), loss).toBe(true);
      encoder.dispose();
    }
  });
});
