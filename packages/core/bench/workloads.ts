import { tf } from '@lab/core';

/**
 * Reference workloads W1–W4 of issue #3, written with plain tfjs ops (no @lab/nn) so that they measure
 * the engine. Each has a PyTorch twin with the same shapes and maths in tools/reference/workloads.py.
 * A workload is `{ step, dispose }`: `step()` runs one full training step (forward, backward, Adam)
 * and blocks until the result is on the host.
 */
export interface Workload {
  name: string;
  step: () => number;
  dispose: () => void;
}

const seeded = (shape: number[], seed: number, std = 1) => tf.randomNormal(shape, 0, std, 'float32', seed);
/** He-style init so activations stay O(1). */
const weight = (fanIn: number, fanOut: number, seed: number) =>
  tf.variable(seeded([fanIn, fanOut], seed, Math.sqrt(2 / fanIn)));
const bias = (n: number) => tf.variable(tf.zeros([n]));

function finish(name: string, vars: tf.Variable[], data: tf.Tensor[], loss: () => tf.Scalar): Workload {
  const optimizer = tf.train.adam(1e-3);
  return {
    name,
    step: () => {
      const value = optimizer.minimize(loss, true, vars);
      const out = value!.dataSync()[0]!;
      value!.dispose();
      return out;
    },
    dispose: () => {
      optimizer.dispose();
      tf.dispose([...vars, ...data]);
    },
  };
}

/** W1: contrastive step. Batch 512, MLP 784→512→128 (ReLU), two views, InfoNCE (τ = 0.1) on L2-normalised features, Adam. */
export function w1Contrastive(): Workload {
  const [b, din, dh, dout] = [512, 784, 512, 128];
  const view1 = seeded([b, din], 1);
  const view2 = seeded([b, din], 2);
  const labels = tf.oneHot(tf.range(0, b, 1, 'int32'), b);
  const w1 = weight(din, dh, 3);
  const b1 = bias(dh);
  const w2 = weight(dh, dout, 4);
  const b2 = bias(dout);
  const encode = (x: tf.Tensor) => {
    const z = tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2); // [B, 128]
    return tf.div(z, tf.norm(z, 'euclidean', -1, true)); // unit rows
  };
  const loss = () =>
    tf.tidy(() => {
      const logits = tf.div(tf.matMul(encode(view1), encode(view2), false, true), 0.1); // [B, B]
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    });
  return finish(
    'W1 contrastive (B=512, MLP 784-512-128, InfoNCE, Adam)',
    [w1, b1, w2, b2],
    [view1, view2, labels],
    loss,
  );
}

/** W2: small CNN on 28×28. conv 3×3×32 → ReLU → conv 3×3×64 → ReLU → max-pool 2 → fc 128 → ReLU → fc 10, batch 256, cross-entropy, Adam. */
export function w2Cnn(): Workload {
  const b = 256;
  const x = seeded([b, 28, 28, 1], 5);
  const y = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: b }, (_, i) => (i * 7) % 10),
      'int32',
    ),
    10,
  );
  const c1 = tf.variable(seeded([3, 3, 1, 32], 6, Math.sqrt(2 / 9)));
  const c1b = bias(32);
  const c2 = tf.variable(seeded([3, 3, 32, 64], 7, Math.sqrt(2 / 288)));
  const c2b = bias(64);
  const f1 = weight(12 * 12 * 64, 128, 8);
  const f1b = bias(128);
  const f2 = weight(128, 10, 9);
  const f2b = bias(10);
  const loss = () =>
    tf.tidy(() => {
      let h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, c1 as tf.Tensor4D, 1, 'valid'), c1b)); // [B, 26, 26, 32]
      h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, c2 as tf.Tensor4D, 1, 'valid'), c2b)); // [B, 24, 24, 64]
      h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid').reshape([b, -1]); // [B, 9216]
      h = tf.relu(tf.add(tf.matMul(h, f1), f1b)); // [B, 128]
      const logits = tf.add(tf.matMul(h, f2), f2b); // [B, 10]
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    });
  return finish(
    'W2 CNN 28x28 (conv32, conv64, pool, fc128, B=256, Adam)',
    [c1, c1b, c2, c2b, f1, f1b, f2, f2b],
    [x, y],
    loss,
  );
}

/** W3: message passing. 10k nodes, 50k random edges, hidden 64; two rounds h ← ReLU(segmentSum(gather(h, src), dst) W + b); loss mean(h²); Adam. */
export function w3MessagePassing(): Workload {
  const [n, e, d] = [10_000, 50_000, 64];
  const x = seeded([n, d], 10);
  // Deterministic pseudo-random edges (same LCG as the PyTorch twin).
  const src = new Int32Array(e);
  const dst = new Int32Array(e);
  let s = 12345;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
  for (let i = 0; i < e; i++) {
    src[i] = next();
    dst[i] = next();
  }
  const srcT = tf.tensor1d(src, 'int32');
  const dstT = tf.tensor1d(dst, 'int32');
  const w1 = weight(d, d, 11);
  const b1 = bias(d);
  const w2 = weight(d, d, 12);
  const b2 = bias(d);
  const round = (h: tf.Tensor, w: tf.Variable, bb: tf.Variable) =>
    tf.relu(tf.add(tf.matMul(tf.unsortedSegmentSum(tf.gather(h, srcT), dstT, n), w), bb)); // [N, 64]
  const loss = () => tf.tidy(() => tf.mean(tf.square(round(round(x, w1, b1), w2, b2))) as tf.Scalar);
  return finish(
    'W3 message passing (10k nodes, 50k edges, hidden 64, 2 rounds, Adam)',
    [w1, b1, w2, b2],
    [x, srcT, dstT],
    loss,
  );
}

/** W4: decoder-only transformer step. 4 pre-LN layers, d = 128, 4 heads, MLP 4d (tanh-GELU), seq 128, batch 16, vocab 256, causal mask, next-token cross-entropy, Adam. */
export function w4Transformer(): Workload {
  const [b, t, d, heads, layers, vocab] = [16, 128, 128, 4, 4, 256];
  const dh = d / heads;
  const tokens = tf.tensor2d(
    Array.from({ length: b * t }, (_, i) => (i * 31 + 7) % vocab),
    [b, t],
    'int32',
  );
  const targets = tf.oneHot(
    tf.tensor1d(
      Array.from({ length: b * t }, (_, i) => (i * 31 + 38) % vocab),
      'int32',
    ),
    vocab,
  );
  const mask = tf.tensor2d(
    Array.from({ length: t * t }, (_, i) => (i % t <= Math.floor(i / t) ? 0 : -1e9)),
    [t, t],
  ); // [T, T]
  let seed = 20;
  const vars: tf.Variable[] = [];
  const v = (x: tf.Tensor) => {
    const variable = tf.variable(x);
    vars.push(variable);
    return variable;
  };
  const tokEmb = v(seeded([vocab, d], seed++, 0.02));
  const posEmb = v(seeded([t, d], seed++, 0.02));
  const blocks = Array.from({ length: layers }, () => ({
    ln1g: v(tf.ones([d])),
    ln1b: v(tf.zeros([d])),
    qkv: v(seeded([d, 3 * d], seed++, 0.02)),
    qkvb: v(tf.zeros([3 * d])),
    proj: v(seeded([d, d], seed++, 0.02)),
    projb: v(tf.zeros([d])),
    ln2g: v(tf.ones([d])),
    ln2b: v(tf.zeros([d])),
    fc: v(seeded([d, 4 * d], seed++, 0.02)),
    fcb: v(tf.zeros([4 * d])),
    out: v(seeded([4 * d, d], seed++, 0.02)),
    outb: v(tf.zeros([d])),
  }));
  const lnfg = v(tf.ones([d]));
  const lnfb = v(tf.zeros([d]));
  const head = v(seeded([d, vocab], seed++, 0.02));
  const layerNorm = (x: tf.Tensor, g: tf.Tensor, bb: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), bb);
  };
  const gelu = (x: tf.Tensor) =>
    tf.mul(
      tf.mul(x, 0.5),
      tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))),
    );
  const loss = () =>
    tf.tidy(() => {
      let h = tf.add(tf.gather(tokEmb, tokens.reshape([-1])), tf.tile(posEmb, [b, 1])); // [B·T, d]
      for (const blk of blocks) {
        const qkv = tf.add(tf.matMul(layerNorm(h, blk.ln1g, blk.ln1b), blk.qkv), blk.qkvb); // [B·T, 3d]
        const split = tf.transpose(qkv.reshape([b, t, 3, heads, dh]), [2, 0, 3, 1, 4]); // [3, B, H, T, dh]
        const [q, k, vv] = tf.unstack(split);
        const scores = tf.add(tf.div(tf.matMul(q!, k!, false, true), Math.sqrt(dh)), mask); // [B, H, T, T]
        const att = tf.matMul(tf.softmax(scores), vv!); // [B, H, T, dh]
        const merged = tf.transpose(att, [0, 2, 1, 3]).reshape([b * t, d]); // [B·T, d]
        h = tf.add(h, tf.add(tf.matMul(merged, blk.proj), blk.projb));
        const mlp = tf.add(
          tf.matMul(gelu(tf.add(tf.matMul(layerNorm(h, blk.ln2g, blk.ln2b), blk.fc), blk.fcb)), blk.out),
          blk.outb,
        );
        h = tf.add(h, mlp);
      }
      const logits = tf.matMul(layerNorm(h, lnfg, lnfb), head); // [B·T, vocab]
      return tf.losses.softmaxCrossEntropy(targets, logits) as tf.Scalar;
    });
  return finish('W4 transformer (4 layers, d=128, 4 heads, T=128, B=16, Adam)', vars, [tokens, targets, mask], loss);
}

export const workloads = { W1: w1Contrastive, W2: w2Cnn, W3: w3MessagePassing, W4: w4Transformer } as const;
export type WorkloadId = keyof typeof workloads;

/** Backward kernels each workload needs beyond the common ones (stock WASM lacks these). */
export const requiredKernels: Record<WorkloadId, string[]> = {
  W1: [],
  W2: ['Conv2DBackpropFilter'],
  W3: ['UnsortedSegmentSum'],
  W4: ['UnsortedSegmentSum'],
};

/** The kernels `id` needs that the active backend lacks (empty when it can train). */
export function missingKernels(id: WorkloadId): string[] {
  return requiredKernels[id].filter((k) => !tf.getKernel(k, tf.getBackend()));
}

/** Median wall and CPU (user + system) milliseconds per step over `steps` steps after `warmup` steps. */
export function measure(w: Workload, steps: number, warmup = 1): { wallMs: number; cpuMs: number; loss: number } {
  let loss = NaN;
  for (let i = 0; i < warmup; i++) loss = w.step();
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    loss = w.step();
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { wallMs: median(walls), cpuMs: median(cpus), loss };
}
