import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { LabError } from '../errors.js';
import { removeStaleTemps, writeFileAtomic } from '../io.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { loadSafetensors, saveSafetensors } from '../safetensors.js';

/** The JSON part of a checkpoint (`checkpoint.json`), written last: its presence commits the checkpoint. */
export interface CheckpointMeta {
  version: 1;
  /** Last completed epoch (0-based). */
  epoch: number;
  /** Optimizer steps taken so far. */
  step: number;
  /** File (inside the checkpoint folder) holding the model state dict. */
  modelFile: string;
  /** File holding the optimizer slot tensors, or null when there is no optimizer state. */
  optimizerFile: string | null;
  optimizerKind: string | null;
  optimizerScalars: Record<string, number>;
  /** Anything JSON the caller wants back on resume (history, early-stopping state, RNG seeds…). */
  extra: Record<string, unknown>;
  savedAt: string;
}

const META = 'checkpoint.json';

/**
 * Saves model weights (safetensors), optimizer state (safetensors for slot tensors, JSON for scalars)
 * and the epoch/step counters into `dir`. Crash-safe: weights go to new step-numbered files, each
 * written atomically, then `checkpoint.json` is atomically replaced to point at them, then older
 * files are removed. A crash at any point leaves the previous checkpoint loadable.
 */
export function saveCheckpoint(
  dir: string,
  state: { model: Module; optimizer?: Optimizer; epoch: number; step: number; extra?: Record<string, unknown> },
): CheckpointMeta {
  const { model, optimizer, epoch, step, extra = {} } = state;
  const tag = `${String(step).padStart(8, '0')}-${Date.now().toString(36)}`;
  const modelFile = `model-${tag}.safetensors`;
  saveSafetensors(join(dir, modelFile), model.stateDict(), { epoch: String(epoch), step: String(step) });
  let optimizerFile: string | null = null;
  let optimizerKind: string | null = null;
  let optimizerScalars: Record<string, number> = {};
  if (optimizer) {
    const os = optimizer.stateDict();
    try {
      optimizerKind = os.kind;
      optimizerScalars = os.scalars;
      optimizerFile = `optimizer-${tag}.safetensors`;
      saveSafetensors(join(dir, optimizerFile), os.tensors, { kind: os.kind });
    } finally {
      Object.values(os.tensors).forEach((t) => t.dispose());
    }
  }
  const meta: CheckpointMeta = {
    version: 1,
    epoch,
    step,
    modelFile,
    optimizerFile,
    optimizerKind,
    optimizerScalars,
    extra,
    savedAt: new Date().toISOString(),
  };
  writeFileAtomic(join(dir, META), `${JSON.stringify(meta, null, 2)}\n`);
  for (const f of readdirSync(dir)) {
    if (/^(model|optimizer)-.*\.safetensors$/.test(f) && f !== modelFile && f !== optimizerFile)
      rmSync(join(dir, f), { force: true });
  }
  // Step-numbered files get new names every save, so a write killed half-way leaves a temporary file that no
  // later write of the same name would clean up: remove those of processes that are gone.
  removeStaleTemps(dir, (target) => /^(model|optimizer)-.*\.safetensors$/.test(target));
  return meta;
}

/** Reads `dir/checkpoint.json` (null when the folder holds no checkpoint). */
export function readCheckpointMeta(dir: string): CheckpointMeta | null {
  const path = join(dir, META);
  if (!existsSync(path)) return null;
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(path, 'utf8')) as CheckpointMeta;
  } catch (err) {
    throw new LabError('MALFORMED_FILE', `${path}: checkpoint metadata is not valid JSON (${(err as Error).message})`);
  }
  if (
    meta?.version !== 1 ||
    typeof meta.modelFile !== 'string' ||
    !Number.isInteger(meta.epoch) ||
    !Number.isInteger(meta.step)
  ) {
    throw new LabError(
      'MALFORMED_FILE',
      `${path}: expected checkpoint metadata version 1 with modelFile, epoch and step`,
    );
  }
  return meta;
}

/**
 * Restores a checkpoint written by {@link saveCheckpoint} into `model` (and `optimizer`); returns its
 * metadata, or null when `dir` holds no checkpoint.
 */
export function loadCheckpoint(dir: string, target: { model: Module; optimizer?: Optimizer }): CheckpointMeta | null {
  const meta = readCheckpointMeta(dir);
  if (!meta) return null;
  target.model.load(join(dir, meta.modelFile));
  if (target.optimizer && meta.optimizerFile && meta.optimizerKind) {
    const { tensors } = loadSafetensors(join(dir, meta.optimizerFile));
    try {
      target.optimizer.loadStateDict({ kind: meta.optimizerKind, scalars: meta.optimizerScalars, tensors });
    } finally {
      Object.values(tensors).forEach((t: tf.Tensor) => t.dispose());
    }
  }
  return meta;
}
