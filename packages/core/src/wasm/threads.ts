import * as tf from '@tensorflow/tfjs';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LabError } from '../errors.js';

/**
 * Multi-threaded WASM in Node.
 *
 * What core needs from tfjs-backend-wasm's threaded SIMD build is its shared memory: core's worker pool
 * (pool.ts) runs core's SIMD kernels — matrix products, convolutions — on that heap from several
 * threads. XNNPACK's own thread pool stays at one thread: its idle threads spin after every operation
 * they took part in, which on a 2-core machine took a core away from core's pool (W1 ≈ 91 → 75 ms/step
 * and W4 ≈ 608 → 537 with XNNPACK on one thread instead of two, alternating runs on the build machine).
 *
 * The loader never uses the threaded build in Node: the `WASM_HAS_MULTITHREAD_SUPPORT` flag is
 * hard-wired to false there, and the loader would start the pthread workers from `blob:` URLs, which
 * Node's `worker_threads` refuses. The build also sizes XNNPACK's pool in a static constructor as
 * `clamp(emscripten_num_logical_cores() / 2, 1, 4)`, whatever `setThreadsCount` says, and pre-spawns
 * 8 workers. So we load it ourselves: the worker script goes to a private temporary file, the main
 * script is imported by path, the module is instantiated with a `emscripten_num_logical_cores` import
 * that yields a pool of one, and the pre-spawned workers are terminated once the module is up.
 */

/** Most threads core's worker pool runs with (more were never measured). */
export const MAX_WASM_THREADS = 4;

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...args: number[]) => number;
  PThread?: { unusedWorkers: Array<{ terminate(): Promise<number> }>; runningWorkers: Array<{ unref(): void }> };
  [key: string]: unknown;
}

type Imports = WebAssembly.Imports & { env: Record<string, unknown> };

interface FactoryConfig {
  locateFile(path: string, prefix: string): string;
  mainScriptUrlOrBlob: string;
  instantiateWasm(
    imports: Imports,
    receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  ): object;
}

/** The thread count to use when the caller gives none: `LAB_WASM_THREADS`, else the cores this process may use (at most 4). */
export function defaultWasmThreads(): number {
  const fromEnv = process.env.LAB_WASM_THREADS?.trim();
  if (fromEnv) return parseWasmThreads(Number(fromEnv), 'LAB_WASM_THREADS');
  return Math.min(availableParallelism(), MAX_WASM_THREADS);
}

/** Validates a thread count (an integer in 1..4). */
export function parseWasmThreads(value: number, name = 'threads'): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_WASM_THREADS) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `${name}: expected an integer from 1 to ${MAX_WASM_THREADS}, got ${String(value)}`,
    );
  }
  return value;
}

function wasmPackageDir(): string | undefined {
  // import.meta.url in ESM (and vitest); the CJS build has an empty import.meta and uses __filename.
  const here = (import.meta as { url?: string }).url ?? (typeof __filename === 'string' ? __filename : undefined);
  try {
    return dirname(
      createRequire(here ?? join(process.cwd(), 'index.js')).resolve('@tensorflow/tfjs-backend-wasm/package.json'),
    );
  } catch {
    return undefined;
  }
}

/** True when the threaded build's files are where the package put them (a bundler may have moved them). */
export function threadedWasmAvailable(): boolean {
  const dir = wasmPackageDir();
  return dir !== undefined && existsSync(join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js'));
}

/**
 * Writes the pthread worker script into a private temporary folder (mode 0700) and returns the folder
 * and the script's path: Node starts workers from files, not from the `blob:` URLs tfjs makes.
 */
function writeWorkerScript(outDir: string): { dir: string; path: string } {
  const req = createRequire(join(outDir, 'loader.js'));
  const { wasmWorkerContents } = req('./tfjs-backend-wasm-threaded-simd.worker.js') as { wasmWorkerContents: string };
  const dir = mkdtempSync(join(tmpdir(), 'lab-core-wasm-'));
  const path = join(dir, 'worker.cjs');
  // The contents are meant for a Blob: real newlines inside string literals must stay escaped.
  writeFileSync(path, wasmWorkerContents.replace(/\n/g, '\\n'));
  return { dir, path };
}

/** Loads the threaded SIMD build (shared memory, XNNPACK on one thread) and wraps it in tfjs's BackendWasm. */
export async function createThreadedWasmBackend(): Promise<BackendWasm> {
  const dir = wasmPackageDir();
  if (dir === undefined)
    throw new LabError('BACKEND_UNAVAILABLE', 'threaded wasm: @tensorflow/tfjs-backend-wasm not found');
  const outDir = join(dir, 'wasm-out');
  const mainScript = join(outDir, 'tfjs-backend-wasm-threaded-simd.js');
  const workerScript = writeWorkerScript(outDir);
  const factory = createRequire(join(outDir, 'loader.js'))(mainScript) as (config: FactoryConfig) => {
    then(onReady: (m: EmscriptenModule) => void, onError: (e: unknown) => void): void;
  };
  const binary = readFileSync(join(outDir, 'tfjs-backend-wasm-threaded-simd.wasm'));

  // The emscripten module is itself a thenable: resolving a promise with it never settles, so it
  // travels wrapped in an object.
  // Every pre-spawned worker has run the script once the module is ready; the pool never spawns more.
  const { emModule } = await new Promise<{ emModule: EmscriptenModule }>((resolve, reject) => {
    const config: FactoryConfig = {
      locateFile: (path) => (path.endsWith('.worker.js') ? workerScript.path : join(outDir, path)),
      mainScriptUrlOrBlob: mainScript,
      instantiateWasm(imports, receive) {
        imports.env.emscripten_num_logical_cores = () => 2; // XNNPACK's pool: clamp(2 / 2, 1, 4) = 1
        WebAssembly.instantiate(binary, imports).then(({ instance, module }) => receive(instance, module), reject);
        return {};
      },
    };
    factory(config).then((m) => resolve({ emModule: m }), reject);
  }).finally(() => rmSync(workerScript.dir, { recursive: true, force: true }));

  emModule.tfjs = {
    init: emModule.cwrap('init', null, []),
    initWithThreadsCount: emModule.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: emModule.cwrap('get_threads_count', 'number', []),
    registerTensor: emModule.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: emModule.cwrap('dispose_data', null, ['number']),
    dispose: emModule.cwrap('dispose', null, []),
  };
  setThreadsCount(1);
  const backend = new BackendWasm(emModule as unknown as ConstructorParameters<typeof BackendWasm>[0]);
  const got = (emModule.tfjs as { getThreadsCount(): number }).getThreadsCount();
  if (got !== 1) {
    backend.dispose();
    throw new LabError(
      'BACKEND_UNAVAILABLE',
      `threaded wasm: XNNPACK was meant to run on one thread, the module started ${got}`,
    );
  }
  // No pthread runs; the pre-spawned workers are not needed (and must not keep the process alive).
  const pthreads = emModule.PThread;
  if (pthreads) {
    for (const worker of pthreads.runningWorkers) worker.unref();
    await Promise.all(pthreads.unusedWorkers.splice(0).map((worker) => worker.terminate()));
  }
  return backend;
}

/** Priority tfjs-backend-wasm registers 'wasm' with. */
const WASM_PRIORITY = 2;

/**
 * Kept on globalThis, like tfjs's engine: the ESM and CJS builds of @lab/core (and vitest's per-file
 * module graphs) are separate module instances that share one tfjs engine.
 */
interface ThreadState {
  stockFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | null;
  threads: number;
}
const STATE = Symbol.for('@lab/core/wasm-threads');

function threadState(): ThreadState {
  const g = globalThis as { [STATE]?: ThreadState };
  g[STATE] ??= { stockFactory: null, threads: 1 };
  return g[STATE];
}

/** Threads the 'wasm' backend runs core's matrix products and convolutions on (1 until `initBackend('wasm', { threads })` or `LAB_WASM_THREADS` asks for more). */
export function wasmThreads(): number {
  return threadState().threads;
}

/**
 * Points tfjs's 'wasm' backend at the threaded build, for core's worker pool to run `threads` threads
 * (1 = the stock single-threaded SIMD build, no pool). Kernels stay registered under 'wasm'. The count is fixed once the backend
 * has started: then an `explicit` request for another count throws, a default one keeps the running
 * backend. If the threaded build fails to start, the backend falls back to one thread with a warning.
 */
export function configureWasmThreads(threads: number, explicit: boolean): void {
  const state = threadState();
  if (threads === state.threads) return;
  if (tf.engine().registry.wasm !== undefined) {
    if (!explicit) return;
    throw new LabError(
      'INVALID_ARGUMENT',
      `threads: the wasm backend already runs with ${state.threads} thread(s); the count is fixed when it first starts (set LAB_WASM_THREADS or pass threads to the first initBackend call)`,
    );
  }
  state.stockFactory ??= tf.findBackendFactory('wasm');
  const stock = state.stockFactory;
  if (stock === null) throw new LabError('BACKEND_UNAVAILABLE', 'the wasm backend is not registered');
  tf.removeBackend('wasm');
  const factory =
    threads > 1
      ? async () => {
          try {
            return await createThreadedWasmBackend();
          } catch (err) {
            state.threads = 1;
            process.emitWarning(
              `@lab/core: multi-threaded wasm did not start (${(err as Error).message}); using one thread`,
            );
            return stock();
          }
        }
      : stock;
  tf.registerBackend('wasm', factory, WASM_PRIORITY);
  state.threads = threads;
}
