import { LabError } from '../errors.js';
import { Worker } from 'node:worker_threads';

/**
 * Worker threads that run @lab/core's SIMD kernels on the threaded build's shared heap.
 *
 * Each worker instantiates the same compiled kernel module on the same shared memory. A job is one
 * kernel call made on every thread at once, with two extra arguments, `part` and `parts`: the calling
 * thread runs part 0 and worker i part i. (The matrix product ignores them and takes chunks of work
 * from a counter in the heap instead, so that a worker that wakes late takes fewer.) Jobs travel
 * through a small control block of shared int32s:
 *   [0] job number (workers wait on it), [1] workers still running (the caller waits on it),
 *   [2] 1 when a worker's call failed, [3] workers ready, [4] workers that failed to start,
 *   [5] kernel index, [6] argument count, [7…] arguments; then the first start error's message (UTF-8).
 * Workers never return to their event loop and are unref'd, so they do not keep the process alive.
 */

const JOB = 0;
const RUNNING = 1;
const FAILED = 2;
const READY = 3;
const START_FAILED = 4;
const KERNEL = 5;
const ARGC = 6;
const ARGS = 7;
const MAX_ARGS = 16;
const MESSAGE_OFFSET = 4 * (ARGS + MAX_ARGS);
const MESSAGE_BYTES = 256;

/** How long a job may make no progress before the pool gives up on its workers (LAB_WASM_POOL_STALL_MS overrides). */
const STALL_TIMEOUT_MS = 300_000;

/** How long the first job waits for the workers to start before the pool gives up on them (default). */
const START_TIMEOUT_MS = 10_000;

/**
 * Runs in each worker: instantiate, report ready, then loop over jobs (see the control block above).
 * Written to run as CommonJS or as an ES module (a parent started with --input-type=module or
 * --experimental-default-type=module evaluates it as one).
 */
const WORKER_SOURCE = `
const { workerData } = typeof require === 'function' ? require('node:worker_threads') : process.getBuiltinModule('node:worker_threads');
const { module, memory, control, names, part, parts } = workerData;
const ctl = new Int32Array(control);
let kernels;
try {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  kernels = names.map((name) => exports[name]);
  Atomics.add(ctl, ${READY}, 1);
} catch (err) {
  const message = new TextEncoder().encode(String((err && err.message) || err)).slice(0, ${MESSAGE_BYTES} - 1);
  if (Atomics.add(ctl, ${START_FAILED}, 1) === 0) new Uint8Array(control, ${MESSAGE_OFFSET}, ${MESSAGE_BYTES}).set(message);
}
Atomics.notify(ctl, ${READY});
let seen = 0;
while (kernels) {
  Atomics.wait(ctl, ${JOB}, seen);
  seen = Atomics.load(ctl, ${JOB});
  try {
    const args = Array.from(ctl.subarray(${ARGS}, ${ARGS} + ctl[${ARGC}]));
    kernels[ctl[${KERNEL}]](...args, part, parts);
  } catch {
    Atomics.store(ctl, ${FAILED}, 1);
  }
  if (Atomics.sub(ctl, ${RUNNING}, 1) === 1) Atomics.notify(ctl, ${RUNNING});
}
`;

export class KernelPool {
  private readonly control: Int32Array;
  private workers: Worker[];
  private started = false;

  /** Starts `workers` threads, each with its own instance of `module` over `memory`; `names` are the kernels it may run. */
  constructor(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    private readonly names: readonly string[],
    workers: number,
    private readonly startTimeoutMs = START_TIMEOUT_MS,
  ) {
    this.control = new Int32Array(new SharedArrayBuffer(MESSAGE_OFFSET + MESSAGE_BYTES));
    const parts = workers + 1;
    this.workers = Array.from({ length: workers }, (_, i) => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        execArgv: [],
        workerData: { module, memory, control: this.control.buffer, names, part: i + 1, parts },
      });
      // A worker that fails to start is reported once by run(); an 'error' event must not crash the process.
      worker.on('error', () => {});
      worker.unref();
      return worker;
    });
  }

  /** Parts per job: the workers and the calling thread (1 once the workers failed to start). */
  get parts(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs `kernel(...args, part, parts)` on every thread: part 0 here through `local`, the others on the
   * workers; returns when all are done. Throws if a worker's call failed. The first job waits for the
   * workers to start; if they do not within `startTimeoutMs`, the pool closes them with a warning and
   * runs this and every later job as `local(...args, 0, 1)`.
   */
  run(kernel: string, args: readonly number[], local: (...args: number[]) => void): void {
    const ctl = this.control;
    const index = this.names.indexOf(kernel);
    if (index < 0 || args.length > MAX_ARGS)
      throw new Error(`@lab/core: kernel pool cannot run ${kernel} with ${args.length} arguments`);
    if (!this.started) this.awaitWorkers();
    if (this.workers.length === 0) {
      local(...args, 0, 1);
      return;
    }
    ctl[KERNEL] = index;
    ctl[ARGC] = args.length;
    ctl.set(args, ARGS);
    ctl[FAILED] = 0;
    Atomics.store(ctl, RUNNING, this.workers.length);
    Atomics.add(ctl, JOB, 1);
    Atomics.notify(ctl, JOB);
    try {
      local(...args, 0, this.parts);
    } finally {
      this.awaitJob(kernel);
    }
    if (ctl[FAILED] !== 0) throw new Error(`@lab/core: a worker failed while running ${kernel}`);
  }

  /**
   * Blocks until every worker has finished the current job. A worker that never reports back (it died, or
   * the job stalled) would block this thread forever: after `LAB_WASM_POOL_STALL_MS` (default 5 minutes)
   * without progress the pool closes and the call fails with a LabError that says how to run on one thread.
   */
  private awaitJob(kernel: string): void {
    const ctl = this.control;
    const stallMs = Number(process.env.LAB_WASM_POOL_STALL_MS ?? '') || STALL_TIMEOUT_MS;
    let since = performance.now();
    let last = Atomics.load(ctl, RUNNING);
    for (let left = last; left !== 0; left = Atomics.load(ctl, RUNNING)) {
      if (left !== last) {
        last = left;
        since = performance.now();
      }
      if (Atomics.wait(ctl, RUNNING, left, 1000) === 'timed-out' && performance.now() - since > stallMs) {
        this.close();
        throw new LabError(
          'BACKEND_UNAVAILABLE',
          `@lab/core: ${left} kernel worker thread(s) did not finish ${kernel} within ${Math.round(stallMs / 1000)} s; the worker pool is closed — rerun with LAB_WASM_THREADS=1 (one thread) and report this`,
        );
      }
    }
  }

  /**
   * Blocks until every worker has reported (ready or failed to start). If any failed, or the start took
   * longer than `startTimeoutMs`, the pool warns once and closes: jobs then run on this thread alone.
   */
  private awaitWorkers(): void {
    const ctl = this.control;
    const total = this.workers.length;
    const deadline = performance.now() + this.startTimeoutMs;
    let reported = Atomics.load(ctl, READY) + Atomics.load(ctl, START_FAILED);
    for (let left = this.startTimeoutMs; reported < total && left > 0; left = deadline - performance.now()) {
      Atomics.wait(ctl, READY, Atomics.load(ctl, READY), Math.min(left, 50));
      reported = Atomics.load(ctl, READY) + Atomics.load(ctl, START_FAILED);
    }
    const ready = Atomics.load(ctl, READY);
    if (ready < total) {
      const bytes = new Uint8Array(ctl.buffer, MESSAGE_OFFSET, MESSAGE_BYTES);
      const end = bytes.indexOf(0);
      const message = new TextDecoder().decode(bytes.slice(0, end < 0 ? MESSAGE_BYTES : end));
      const why = message === '' ? `not ready after ${this.startTimeoutMs} ms` : message;
      process.emitWarning(
        `@lab/core: ${total - ready} of ${total} kernel worker threads did not start (${why}); running on one thread`,
      );
      this.close();
    }
    this.started = true;
  }

  /** Stops the workers; later jobs run on the calling thread alone. */
  close(): void {
    for (const worker of this.workers) void worker.terminate();
    this.workers = [];
  }
}
