// Device probe: W1 (contrastive step: batch 512, MLP 784→512→128, InfoNCE on normalised features, Adam)
// on tfjs WebGPU (Dawn) vs tfjs WASM, same script. Backend from argv[2].
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
const backend = process.argv[2] ?? 'wasm';
if (backend === 'webgpu') {
  const dawn = await import('webgpu');
  Object.assign(globalThis, dawn.globals);
  if (globalThis.navigator === undefined) globalThis.navigator = {};
  Object.defineProperty(globalThis.navigator, 'gpu', { value: dawn.create([]), configurable: true });
  const adapter = await globalThis.navigator.gpu.requestAdapter();
  console.log(
    'adapter:',
    adapter
      ? JSON.stringify({
          vendor: adapter.info?.vendor,
          architecture: adapter.info?.architecture,
          description: adapter.info?.description,
        })
      : null,
  );
  await import('@tensorflow/tfjs-backend-webgpu');
}
if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed`);
await tf.ready();
console.log('backend:', tf.getBackend());
const B = 512;
const w1 = tf.variable(tf.randomNormal([784, 512], 0, Math.sqrt(2 / 784), 'float32', 1));
const b1 = tf.variable(tf.zeros([512]));
const w2 = tf.variable(tf.randomNormal([512, 128], 0, Math.sqrt(2 / 512), 'float32', 2));
const b2 = tf.variable(tf.zeros([128]));
const opt = tf.train.adam(1e-3);
const x = tf.randomUniform([B, 784], 0, 1, 'float32', 3);
const enc = (v) => tf.matMul(tf.relu(tf.matMul(v, w1).add(b1)), w2).add(b2);
const labels = tf.oneHot(tf.range(0, B, 1, 'int32'), B);
async function step(i) {
  const costT = tf.tidy(() => {
    const v1 = x.add(tf.randomNormal([B, 784], 0, 0.1, 'float32', 10 + i));
    const v2 = x.add(tf.randomNormal([B, 784], 0, 0.1, 'float32', 20 + i));
    const cost = opt.minimize(() => {
      const z1 = tf.div(enc(v1), tf.norm(enc(v1), 'euclidean', 1, true));
      const z2 = tf.div(enc(v2), tf.norm(enc(v2), 'euclidean', 1, true));
      const logits = tf.matMul(z1, z2, false, true).div(0.5);
      return tf.losses.softmaxCrossEntropy(labels, logits);
    }, true);
    return cost;
  });
  const v = (await costT.data())[0];
  costT.dispose();
  return v;
}
for (let i = 0; i < 3; i++) await step(i);
const times = [];
let loss = 0;
for (let i = 0; i < 10; i++) {
  const t0 = performance.now();
  loss = await step(i + 3);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    workload: 'W1',
    backend: tf.getBackend(),
    medianMs: +times[5].toFixed(1),
    minMs: +times[0].toFixed(1),
    loss,
    numTensors: tf.memory().numTensors,
  }),
);
const a = tf.randomNormal([2048, 2048]);
const b = tf.randomNormal([2048, 2048]);
for (let i = 0; i < 4; i++) {
  const t0 = performance.now();
  const c = tf.matMul(a, b);
  await c.data();
  const ms = performance.now() - t0;
  c.dispose();
  if (i === 3)
    console.log(
      JSON.stringify({ op: 'matMul 2048', ms: +ms.toFixed(1), gflops: +((2 * 2048 ** 3) / ms / 1e6).toFixed(1) }),
    );
}
process.exit(0);
