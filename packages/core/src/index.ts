// @lab/core public API. Every public name is listed here explicitly, grouped by area.
// Method packages import tfjs only through this module: `import { tf } from '@lab/core'`.

export * as tf from '@tensorflow/tfjs';

// ── backend ─────────────────────────────────────────────────────────────────────────────
export { initBackend, currentBackend } from './backend.js';
export type { BackendName, InitBackendOptions } from './backend.js';

// ── errors and validation ───────────────────────────────────────────────────────────────
export { LabError, assertShape, assertRank, assertDtype, assertFinite, assertNonEmpty, assertInRange, assertOneOf } from './errors.js';
export type { LabErrorCode, RangeSpec } from './errors.js';

// ── random ──────────────────────────────────────────────────────────────────────────────
export { Rng } from './random.js';

// ── statistics over seeds and replication reports ───────────────────────────────────────
export { meanStd, pairedDiff, formatMeanStd } from './stats.js';
export type { MeanStd, PairedDiff } from './stats.js';
export { resolveSeeds, summarizeRows, compareMethods, criterion, verdictFrom, buildReport } from './report.js';
export type {
  Verdict,
  Preset,
  ReplicationRow,
  MetricSummary,
  PairedComparison,
  Criterion,
  ReplicationReport,
  ReplicateOptions,
  ProgressEvent,
} from './report.js';

// ── testing helpers ─────────────────────────────────────────────────────────────────────
export { gradCheck, maxRelativeError, flatten, tensorLeak } from './testing.js';
export type { GradCheckOptions, GradCheckResult } from './testing.js';

// ── CLI and files ───────────────────────────────────────────────────────────────────────
export { runCli, numberOption } from './cli.js';
export type { CliSpec, CliCommand } from './cli.js';
export { writeFileAtomic } from './io.js';

// ── WASM completion (owner: wasm) ───────────────────────────────────────────────────────

// ── autograd, nn, optimisers, training loop, safetensors (owner: nn) ───────────────────

// ── data, linear algebra, metrics (owner: data) ─────────────────────────────────────────

// ── contrastive losses shared by methods (owner: symnce) ────────────────────────────────

// ── graph stack (owner: graph) ──────────────────────────────────────────────────────────

// ── LM stack (owner: lm) ────────────────────────────────────────────────────────────────
