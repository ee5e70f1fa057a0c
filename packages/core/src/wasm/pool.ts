import { Worker } from 'node:worker_threads';

/**
 * Worker threads that run shares of @lab/core's SIMD kernels on the threaded build's shared heap.
 *
 * XNNPACK's own threads only help inside XNNPACK, and its matrix product packs the weights on one thread
 * first. Our kernels instead take a share (`part` of `parts`) of their work as two extra arguments:
 * the calling thread runs share 0, and each worker instantiates the same compiled module on the same
 * shared memory and runs one other share. Jobs travel through a small control block of shared int32s:
 *   [0] job number (workers wait on it), [1] shares still running (the caller waits on it),
 *   [2] 1 when a share failed, [3] kernel index, [4] argument count, [5…] arguments.
 * Workers never return to their event loop and are unref'd, so they do not keep the process alive.
 */

const JOB = 0;
const RUNNING = 1;
const FAILED = 2;
const KERNEL = 3;
const ARGC = 4;
const ARGS = 5;
const MAX_ARGS = 16;

/** Runs in each worker: instantiate, then loop over jobs (see the control block above). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, names, part, parts } = workerData;
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = names.map((name) => exports[name]);
const ctl = new Int32Array(control);
let seen = 0;
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
  private readonly workers: Worker[];

  /** Starts `workers` threads, each with its own instance of `module` over `memory`; `names` are the kernels it may run. */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, private readonly names: readonly string[], workers: number) {
    this.control = new Int32Array(new SharedArrayBuffer(4 * (ARGS + MAX_ARGS)));
    const parts = workers + 1;
    this.workers = Array.from({ length: workers }, (_, i) => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, control: this.control.buffer, names, part: i + 1, parts },
      });
      worker.unref();
      return worker;
    });
  }

  /** Shares per job: the workers and the calling thread. */
  get parts(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs `kernel(...args, part, parts)` for every share: share 0 on this thread through `local`, the
   * others on the workers; returns when all are done. Throws if a worker's share failed.
   */
  run(kernel: string, args: readonly number[], local: (...args: number[]) => void): void {
    const ctl = this.control;
    const index = this.names.indexOf(kernel);
    if (index < 0 || args.length > MAX_ARGS) throw new Error(`@lab/core: kernel pool cannot run ${kernel} with ${args.length} arguments`);
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

  /** Stops the workers. */
  close(): void {
    for (const worker of this.workers) void worker.terminate();
  }
}
