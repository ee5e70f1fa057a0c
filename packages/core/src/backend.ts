import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { LabError } from './errors.js';
import { registerWasmCompletions } from './wasm/register.js';
import { configureWasmThreads, defaultWasmThreads, parseWasmThreads, threadedWasmAvailable } from './wasm/threads.js';

/** A backend name accepted by {@link initBackend}; `auto` picks the fastest one available. */
export type BackendName = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface InitBackendOptions {
  /**
   * Folder (ending in '/') that holds `tfjs-backend-wasm*.wasm`. Only needed when a bundler moved
   * @tensorflow/tfjs-backend-wasm away from its `dist/` folder; see the README's bundling notes.
   */
  wasmPaths?: string;
  /**
   * Threads for matrix products and convolutions on the `wasm` backend (1 to 4). Default:
   * `LAB_WASM_THREADS`, else the cores this process may use, at most 4. More than 1 loads tfjs's threaded
   * SIMD build for its shared heap and starts core's worker pool (Node `worker_threads`); 1 keeps the
   * single-threaded SIMD build. Fixed when the backend first starts. Ignored with
   * `wasmPaths`, where the threaded build's loader may not have been bundled.
   */
  threads?: number;
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

async function tryImportNative(): Promise<boolean> {
  for (const pkg of NATIVE_PACKAGES) {
    try {
      // Opaque specifier: bundlers and tsc must not try to resolve the optional native packages.
      await import(/* @vite-ignore */ pkg);
      if (tf.findBackendFactory('tensorflow')) return true;
    } catch {
      // not installed (or failed to load): try the next one
    }
  }
  return false;
}

/**
 * WebGPU in Node: Dawn from the npm package `webgpu` plus `@tensorflow/tfjs-backend-webgpu`, both installed by
 * the user (optional; never dependencies of ours). Returns false when either is missing or no GPU adapter exists.
 */
async function tryRegisterWebgpu(): Promise<boolean> {
  try {
    const g = globalThis as { navigator?: { gpu?: { requestAdapter: () => Promise<unknown> } } };
    if (!g.navigator?.gpu) {
      const dawnPkg = 'webgpu';
      const dawn = (await import(/* @vite-ignore */ dawnPkg)) as {
        create: (flags: string[]) => unknown;
        globals: object;
      };
      Object.assign(globalThis, dawn.globals);
      if (g.navigator === undefined) g.navigator = {};
      Object.defineProperty(g.navigator, 'gpu', { value: dawn.create([]), configurable: true });
    }
    if (!(await g.navigator!.gpu!.requestAdapter())) return false;
    if (!tf.findBackendFactory('webgpu')) {
      const backendPkg = '@tensorflow/tfjs-backend-webgpu';
      await import(/* @vite-ignore */ backendPkg);
    }
    return tf.findBackendFactory('webgpu') !== null;
  } catch {
    return false;
  }
}

/** The backend the last successful {@link initBackend} chose (null before the first). */
let initialised: Exclude<BackendName, 'auto'> | null = null;

/** The backend chosen by {@link initBackend}, or null when it has not run (the CLI driver starts one then). */
export function initialisedBackend(): Exclude<BackendName, 'auto'> | null {
  return initialised;
}

async function activate(name: Exclude<BackendName, 'auto'>): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return false;
    await tf.ready();
    if (tf.getBackend() !== name) return false;
    initialised = name;
    return true;
  } catch {
    return false;
  }
}

/**
 * Selects and initialises the TensorFlow.js backend and returns the name chosen.
 *
 * `auto` (the default) tries `tensorflow` (when the user installed `@tensorflow/tfjs-node-gpu` or
 * `@tensorflow/tfjs-node`; never a dependency of ours), then `wasm`, then `cpu`. `webgpu` is opt-in
 * (it needs the user-installed packages `webgpu` and `@tensorflow/tfjs-backend-webgpu` and a GPU). The environment variable
 * `LAB_BACKEND` overrides the argument. Requesting a specific backend that cannot start throws a
 * {@link LabError} with code `BACKEND_UNAVAILABLE`.
 *
 * On `wasm`, the kernels and gradients stock tfjs lacks (and the fast paths) are registered first, and
 * matrix products run on up to 4 threads (see {@link InitBackendOptions.threads}).
 *
 * @example
 * const name = await initBackend();        // 'wasm' on a machine without tfjs-node
 * await initBackend('cpu');                // force the pure-JS backend
 */
export async function initBackend(
  name: BackendName = 'auto',
  options: InitBackendOptions = {},
): Promise<Exclude<BackendName, 'auto'>> {
  // tfjs-backend-wasm's emscripten runtime installs process handlers that rethrow every uncaught error and
  // unhandled rejection from inside its minified script: Node then prints 55 KB of that script instead of
  // the user's error and exits with code 7. Drop the handlers it adds, so errors read as Node prints them.
  const events = ['uncaughtException', 'unhandledRejection'];
  const listeners = (event: string) => process.listeners(event as 'uncaughtException') as unknown[];
  const before = events.map(listeners);
  try {
    return await selectBackend(name, options);
  } finally {
    events.forEach((event, i) => {
      for (const listener of listeners(event))
        if (!before[i]!.includes(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
    });
  }
}

async function selectBackend(name: BackendName, options: InitBackendOptions): Promise<Exclude<BackendName, 'auto'>> {
  const requested = (process.env.LAB_BACKEND?.trim() || name) as BackendName;
  const valid: readonly BackendName[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];
  if (!valid.includes(requested)) {
    const source = process.env.LAB_BACKEND ? 'LAB_BACKEND' : 'name';
    throw new LabError('INVALID_ARGUMENT', `${source}: expected one of ${valid.join(', ')}, got '${requested}'`);
  }
  if (options.wasmPaths !== undefined) {
    if (!options.wasmPaths.endsWith('/')) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `wasmPaths: expected a folder path ending in '/', got '${options.wasmPaths}'`,
      );
    }
    setWasmPaths(options.wasmPaths);
  }
  registerWasmCompletions();

  if (requested === 'tensorflow' || requested === 'auto') {
    if (await tryImportNative()) {
      if (await activate('tensorflow')) return 'tensorflow';
    }
    if (requested === 'tensorflow') {
      throw new LabError(
        'BACKEND_UNAVAILABLE',
        "backend 'tensorflow' is unavailable: install @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu (4.22.x) next to @lab/core",
      );
    }
  }
  if (requested === 'webgpu') {
    if ((await tryRegisterWebgpu()) && (await activate('webgpu'))) return 'webgpu';
    throw new LabError(
      'BACKEND_UNAVAILABLE',
      "backend 'webgpu' is unavailable: it needs the npm packages 'webgpu' (Dawn for Node) and '@tensorflow/tfjs-backend-webgpu' (4.22.x) installed next to @lab/core, and a GPU with a Vulkan driver",
    );
  }
  if (requested === 'wasm' || requested === 'auto') {
    configureWasmThreads(wasmThreadCount(options), options.threads !== undefined);
    if (await activate('wasm')) return 'wasm';
    if (requested === 'wasm') {
      throw new LabError(
        'BACKEND_UNAVAILABLE',
        "backend 'wasm' failed to initialise (are the .wasm files reachable? see the wasmPaths option)",
      );
    }
  }
  if (await activate('cpu')) return 'cpu';
  throw new LabError('BACKEND_UNAVAILABLE', "backend 'cpu' failed to initialise");
}

function wasmThreadCount(options: InitBackendOptions): number {
  const threads = options.threads === undefined ? defaultWasmThreads() : parseWasmThreads(options.threads);
  if (threads === 1 || options.wasmPaths !== undefined) return 1;
  if (!threadedWasmAvailable()) {
    if (options.threads !== undefined) {
      throw new LabError(
        'BACKEND_UNAVAILABLE',
        `threads: ${threads} requested, but tfjs-backend-wasm's threaded build (wasm-out/) is not installed`,
      );
    }
    return 1;
  }
  return threads;
}

/** The name of the active backend. */
export function currentBackend(): string {
  return tf.getBackend();
}
