import { beforeAll } from 'vitest';
import { initBackend } from '@lab/core';
import { describeReadmeExamples } from '../../../tools/config/readme-examples.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describeReadmeExamples(new URL('../README.md', import.meta.url));
