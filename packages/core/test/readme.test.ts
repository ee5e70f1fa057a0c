import { beforeAll } from 'vitest';
import { initBackend, tf } from '@lab/core';
import { describeReadmeExamples } from '../../../tools/config/readme-examples.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describeReadmeExamples(new URL('../README.md', import.meta.url), {
  leakFree: ['Data, linear algebra and metrics'],
  numTensors: () => tf.memory().numTensors,
});
