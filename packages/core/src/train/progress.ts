import cliProgress from 'cli-progress';
import { LabError } from '../errors.js';
import type { ProgressEvent } from '../report.js';

/**
 * How progress is shown: a bar on a TTY, JSON lines otherwise ('auto'), or nothing. The environment
 * variable `LAB_PROGRESS` (`auto` | `bar` | `jsonl` | `none`, or `0` for none) overrides 'auto' everywhere:
 * in `fit`, in every `lab-*` CLI and in `pnpm replicate`.
 */
export type ProgressMode = 'auto' | 'bar' | 'jsonl' | 'none';

const MODES: readonly ProgressMode[] = ['auto', 'bar', 'jsonl', 'none'];

/** One training progress record (also the shape of each JSON line `fit` writes). */
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
  /** Total epochs of a training run, for onProgress when the step total is unknown (default 1). */
  totalEpochs?: number;
  /** Least milliseconds between two JSON lines of {@link ProgressReporter.update} within one stage (default 1000). */
  jsonlIntervalMs?: number;
}

/** The progress mode `LAB_PROGRESS` asks for, or `fallback` when it is unset. */
export function progressModeFromEnv(fallback: ProgressMode = 'auto'): ProgressMode {
  const raw = process.env.LAB_PROGRESS;
  if (raw === undefined || raw === '') return fallback;
  if (raw === '0' || raw === 'off' || raw === 'false') return 'none';
  if (!MODES.includes(raw as ProgressMode))
    throw new LabError('INVALID_ARGUMENT', `LAB_PROGRESS: expected one of ${MODES.join(', ')} or 0, got '${raw}'`);
  return raw as ProgressMode;
}

/**
 * The one progress printer of `@lab`: training records from `fit` ({@link report}) and stage/done/total
 * events from long work such as `replicate()` ({@link update}), drawn as a cli-progress bar on a TTY or
 * written as JSON lines otherwise, on stderr so stdout keeps the results.
 */
export class ProgressReporter {
  private readonly mode: Exclude<ProgressMode, 'auto'>;
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private bar: cliProgress.SingleBar | null = null;
  private barStage: string | null = null;
  private lastLine = { stage: '', at: 0 };
  private readonly started = Date.now();

  constructor(private readonly options: ProgressReporterOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    const mode = options.mode === undefined || options.mode === 'auto' ? progressModeFromEnv() : options.mode;
    if (!MODES.includes(mode))
      throw new LabError('INVALID_ARGUMENT', `progress: expected one of ${MODES.join(', ')}, got '${String(mode)}'`);
    this.mode = mode === 'auto' ? (this.stream.isTTY ? 'bar' : 'jsonl') : mode;
  }

  /** The mode actually used ('auto' resolved). */
  get resolvedMode(): Exclude<ProgressMode, 'auto'> {
    return this.mode;
  }

  /** One training record (from `fit`). */
  report(p: TrainProgress): void {
    const { onProgress, jsonlEverySteps = 0, totalEpochs = 1 } = this.options;
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
      const payload = { epoch: p.epoch, loss: p.loss.toFixed(4) };
      this.drawBar(
        p.stage,
        `${p.stage} [{bar}] {percentage}% | {value}/{total} | epoch {epoch} | loss {loss} | eta {eta_formatted}`,
        total,
        value,
        payload,
      );
    }
  }

  /** One stage/done/total event of long-running work (e.g. a `replicate()` run's `onProgress`). */
  update(event: ProgressEvent): void {
    this.options.onProgress?.(event);
    if (this.mode === 'jsonl') {
      const now = Date.now();
      const stageChanged = event.stage !== this.lastLine.stage;
      const interval = this.options.jsonlIntervalMs ?? 1000;
      if (stageChanged || event.done >= event.total || now - this.lastLine.at >= interval) {
        this.lastLine = { stage: event.stage, at: now };
        const seconds = Math.round((now - this.started) / 100) / 10;
        this.stream.write(`${JSON.stringify({ ...event, seconds })}\n`);
      }
    } else if (this.mode === 'bar') {
      this.drawBar(
        event.stage,
        `{stage} [{bar}] {percentage}% | {value}/{total} | eta {eta_formatted}`,
        event.total,
        event.done,
        {
          stage: event.stage,
        },
      );
    }
  }

  /** A `(event) => void` for APIs that take an `onProgress` callback. */
  get onProgress(): (event: ProgressEvent) => void {
    return (event) => this.update(event);
  }

  private drawBar(stage: string, format: string, total: number, value: number, payload: Record<string, unknown>): void {
    if (this.bar && this.barStage !== stage && format.startsWith('{stage}')) {
      // A new stage of the same run: keep one bar and restart its count.
      this.bar.setTotal(total);
      this.bar.update(value, payload);
      this.barStage = stage;
      return;
    }
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        { format, stream: this.stream as NodeJS.WritableStream, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, payload);
      this.barStage = stage;
    }
    this.bar.update(value, payload);
  }

  /** Ends the bar (a no-op for JSON lines); call once the work is done or has failed. */
  stop(): void {
    this.bar?.stop();
    this.bar = null;
    this.barStage = null;
  }
}
