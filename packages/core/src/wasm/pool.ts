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
 *   [2] 1 when a worker's call failed, [3] workers ready, [4] kernel index, [5] argument count,
 *   [6…] arguments.
 * Workers never return to their event loop and are unref'd, so they do not keep the process alive.
 */

const JOB = 0;
const RUNNING = 1;
const FAILED = 2;
const READY = 3;
const KERNEL = 4;
const ARGC = 5;
const ARGS = 6;
const MAX_ARGS = 16;

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
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = names.map((name) => exports[name]);
const ctl = new Int32Array(control);
let seen = 0;
Atomics.add(ctl, ${READY}, 1);
Atomics.notify(ctl, ${READY});
for (;;) {
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
    this.control = new Int32Array(new SharedArrayBuffer(4 * (ARGS + MAX_ARGS)));
    const parts = workers + 1;
    this.workers = Array.from({ length: workers }, (_, i) => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        execArgv: [],
        workerData: { module, memory, control: this.control.buffer, names, part: i + 1, parts },
      });
      // A worker that fails to start is reported once by run() (it never becomes ready); the event itself must not crash the process.
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
    if (index < 0 || args.length > MAX_ARGS) throw new Error(`@lab/core: kernel pool cannot run ${kernel} with ${args.length} arguments`);
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
      for (let left = Atomics.load(ctl, RUNNING); left !== 0; left = Atomics.load(ctl, RUNNING)) Atomics.wait(ctl, RUNNING, left);
    }
    if (ctl[FAILED] !== 0) throw new Error(`@lab/core: a worker failed while running ${kernel}`);
  }

  /** Blocks until every worker has reported ready (or the start timed out: then the pool runs on this thread alone). */
  private awaitWorkers(): void {
    const ctl = this.control;
    const deadline = performance.now() + this.startTimeoutMs;
    for (let ready = Atomics.load(ctl, READY); ready < this.workers.length; ready = Atomics.load(ctl, READY)) {
      const left = deadline - performance.now();
      if (left <= 0) {
        process.emitWarning(`@lab/core: ${this.workers.length - ready} of ${this.workers.length} kernel worker threads did not start; running on one thread`);
        this.close();
        break;
      }
      Atomics.wait(ctl, READY, ready, left);
    }
    this.started = true;
  }

  /** Stops the workers; later jobs run on the calling thread alone. */
  close(): void {
    for (const worker of this.workers) void worker.terminate();
    this.workers = [];
  }
}
