import { bench, describe } from 'vitest';
import { Rng, initBackend, tf } from '@lab/core';
import { C4Cnn, MlpEncoder, applyTask, pretrain } from '../src/index.js';

await initBackend('wasm');
// The hot path of the replication: one pre-training step on a batch of 128 14×14 images (shift, draw r, T_r,
// encoder, head, CE, backward, Adam), as `pretrain` runs it (with its per-call head set-up).
const x = tf.tensor4d(new Rng(0).uniformArray(128 * 196), [128, 14, 14, 1]);
const y = Int32Array.from({ length: 128 }, (_, i) => i % 10);
const mlp = new MlpEncoder({ width: 256 });
const c4 = new C4Cnn();

describe('essl', () => {
  bench('applyTask rotation, batch 128 (14×14)', () => {
    tf.dispose(Object.values(applyTask('rotation', x, new Rng(1))));
  });
  bench('pretrain step, MLP 196-256-256, rot4, batch 128', async () => {
    const { head } = await pretrain({ x }, mlp, { epochs: 1 });
    head.dispose();
  });
  bench('pretrain step, MLP, eliminate (gradient reversal), batch 128', async () => {
    const { head } = await pretrain({ x, y }, mlp, { epochs: 1, mode: 'eliminate' });
    head.dispose();
  });
  bench(
    'pretrain step, C4-CNN 8→16 fields, rot4, batch 128',
    async () => {
      const { head } = await pretrain({ x }, c4, { epochs: 1 });
      head.dispose();
    },
    { iterations: 5, time: 0 },
  );
});
