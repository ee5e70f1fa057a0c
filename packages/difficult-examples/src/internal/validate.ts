import { LabError, assertFinite, assertInRange, assertOneOf, assertRank, tf } from '@lab/core';
import type { DifficultLossOptions, SelectionOptions } from '../config.js';

/** A SimCLR batch: rank 2, at least 2 rows, an even number of rows (two views), finite values. */
export function checkViewBatch(x: tf.Tensor, name: string): void {
  if (!(x instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', `${name}: expected a tf.Tensor2D, got ${typeof x}`);
  assertRank(x, 2, name);
  const rows = x.shape[0]!;
  if (rows === 0 || x.shape[1] === 0)
    throw new LabError('EMPTY_INPUT', `${name}: expected a non-empty batch [2B, d], got [${x.shape.join(', ')}]`);
  if (rows % 2 !== 0) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: expected an even number of rows 2B (view 1 then view 2), got ${rows}`,
    );
  }
  assertFinite(x, name);
}

/** P must be a constant 0/1 matrix [n, n] matching the batch. */
export function checkPairMask(P: tf.Tensor, n: number, name = 'P'): void {
  if (!(P instanceof tf.Tensor))
    throw new LabError('INVALID_ARGUMENT', `${name}: expected a tf.Tensor2D or null, got ${typeof P}`);
  assertRank(P, 2, name);
  if (P.shape[0] !== n || P.shape[1] !== n) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `${name}: expected shape [${n}, ${n}] to match the batch rows, got [${P.shape.join(', ')}]`,
    );
  }
  const values = P.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== 0 && v !== 1) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `${name}: expected entries in {0, 1}, found ${v} at (${Math.floor(i / n)}, ${i % n})`,
      );
    }
  }
}

/** Resolves and validates selection options (spec §3: posHigh ∈ (0,1), posLow ∈ (0,1], posHigh < posLow). */
export function resolveSelection(
  defaults: Readonly<SelectionOptions>,
  options: Partial<SelectionOptions> = {},
): SelectionOptions {
  const o = { ...defaults, ...options };
  assertInRange(o.posHigh, 'posHigh', { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  assertInRange(o.posLow, 'posLow', { min: 0, max: 1, minExclusive: true });
  if (!(o.posHigh < o.posLow)) {
    throw new LabError(
      'OUT_OF_RANGE',
      `posHigh: expected posHigh < posLow (descending percentiles: the band runs from the posHigh-th most similar pair down to the posLow-th), got posHigh = ${o.posHigh}, posLow = ${o.posLow}`,
    );
  }
  assertOneOf(o.scope, ['global', 'row'] as const, 'scope');
  if (typeof o.excludePositive !== 'boolean') {
    throw new LabError('INVALID_ARGUMENT', `excludePositive: expected a boolean, got ${String(o.excludePositive)}`);
  }
  return o;
}

/** Resolves and validates loss options (τ > 0, ρ > 0, σ finite and ≥ 0). */
export function resolveLoss(
  defaults: Readonly<DifficultLossOptions>,
  options: Partial<DifficultLossOptions> = {},
): DifficultLossOptions {
  const o = { ...defaults, ...options };
  assertInRange(o.temperature, 'temperature', { min: 0, minExclusive: true });
  if (!Number.isFinite(o.temperature))
    throw new LabError('OUT_OF_RANGE', `temperature: expected a finite number > 0, got ${o.temperature}`);
  assertOneOf(o.mode, ['ntxent', 'remove', 'margin', 'temperature', 'combined'] as const, 'mode');
  // The issue asks for σ < 0 to be refused (a negative margin would pull difficult pairs together), the spec for non-finite σ.
  if (typeof o.sigma !== 'number' || !Number.isFinite(o.sigma) || o.sigma < 0) {
    throw new LabError('OUT_OF_RANGE', `sigma: expected a finite number >= 0, got ${o.sigma}`);
  }
  assertInRange(o.rho, 'rho', { min: 0, minExclusive: true });
  return o;
}
