import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../report.js';

/** How training progress is shown: a bar on a TTY, JSON lines otherwise ('auto'), or nothing. */
export type ProgressMode = 'auto' | 'bar' | 'jsonl' | 'none';

/** One progress record (also the shape of each JSON line). */
export interface TrainProgress {
  stage: string;
  epoch: number;
  step: number;
  /** Total steps when known (else null). */
  totalSteps: number | null;
  loss: number;
  lr: number;
  /** Validation metrics of the epoch (epoch-end records only). */
  metrics?: Record<string, number>;
  event: 'step' | 'epoch';
}

export interface ProgressReporterOptions {
  mode?: ProgressMode;
  /** Where the bar or JSON lines go (default process.stderr, keeping stdout for results). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Also called for every record, as a core {@link ProgressEvent} (`done` / `total` in steps, or epochs when the step total is unknown). */
  onProgress?: (event: ProgressEvent) => void;
  /** JSON lines for steps every this many steps (epoch records are always written). Default 0 = epochs only. */
  jsonlEverySteps?: number;
  /** Total epochs, for onProgress when the step total is unknown. */
  totalEpochs: number;
}

/** Renders training progress as a cli-progress bar (TTY) or JSON lines (logs, CI), and forwards it to onProgress. */
export class ProgressReporter {
  private readonly mode: Exclude<ProgressMode, 'auto'>;
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private bar: cliProgress.SingleBar | null = null;

  constructor(private readonly options: ProgressReporterOptions) {
    this.stream = options.stream ?? process.stderr;
    const mode = options.mode ?? 'auto';
    this.mode = mode === 'auto' ? (this.stream.isTTY ? 'bar' : 'jsonl') : mode;
  }

  /** The mode actually used ('auto' resolved). */
  get resolvedMode(): Exclude<ProgressMode, 'auto'> {
    return this.mode;
  }

  report(p: TrainProgress): void {
    const { onProgress, jsonlEverySteps = 0, totalEpochs } = this.options;
    if (onProgress) {
      if (p.totalSteps !== null) onProgress({ stage: p.stage, done: p.step, total: p.totalSteps });
      else if (p.event === 'epoch') onProgress({ stage: p.stage, done: p.epoch + 1, total: totalEpochs });
    }
    if (this.mode === 'jsonl') {
      if (p.event === 'epoch' || (jsonlEverySteps > 0 && p.step % jsonlEverySteps === 0))
        this.stream.write(`${JSON.stringify(p)}\n`);
    } else if (this.mode === 'bar') {
      const total = p.totalSteps ?? totalEpochs;
      const value = p.totalSteps !== null ? p.step : p.epoch + (p.event === 'epoch' ? 1 : 0);
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          {
            format: `${p.stage} [{bar}] {percentage}% | {value}/{total} | epoch {epoch} | loss {loss} | eta {eta_formatted}`,
            stream: this.stream as NodeJS.WritableStream,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(total, 0, { epoch: p.epoch, loss: 'n/a' });
      }
      this.bar.update(value, { epoch: p.epoch, loss: p.loss.toFixed(4) });
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
