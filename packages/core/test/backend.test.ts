import { afterEach, describe, expect, it } from 'vitest';
import { LabError, initBackend, tf } from '@lab/core';

describe('initBackend', () => {
  afterEach(() => {
    delete process.env.LAB_BACKEND;
  });

  it('auto picks wasm when no native tfjs is installed', async () => {
    expect(await initBackend()).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('leaves no emscripten process handlers behind (errors print as Node prints them)', async () => {
    await initBackend('wasm');
    await initBackend('cpu');
    await initBackend('wasm');
    // emscripten's handlers rethrow from inside its minified script: `if(!(ex instanceof ExitStatus)){throw ex}`.
    const rethrowers = ['uncaughtException', 'unhandledRejection']
      .flatMap((event) => process.listeners(event as 'uncaughtException'))
      .filter((listener) => /ExitStatus|throw reason/.test(String(listener)));
    expect(rethrowers).toEqual([]);
  });

  it('switches to cpu on request and back', async () => {
    expect(await initBackend('cpu')).toBe('cpu');
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it('LAB_BACKEND overrides the argument', async () => {
    process.env.LAB_BACKEND = 'cpu';
    expect(await initBackend('wasm')).toBe('cpu');
  });

  it('explains an unavailable or unknown backend', async () => {
    await expect(initBackend('tensorflow')).rejects.toThrow(/tfjs-node/);
    await expect(initBackend('tensorflow')).rejects.toBeInstanceOf(LabError);
    await expect(initBackend('gpu' as never)).rejects.toThrow(/name: expected one of/);
    await expect(initBackend('webgpu')).rejects.toThrow(/tfjs-backend-webgpu/);
    await expect(initBackend('wasm', { wasmPaths: '/no/slash' })).rejects.toThrow(/wasmPaths/);
  });
});
