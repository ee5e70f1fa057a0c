import { LabError, assertInRange } from '@lab/core';

/**
 * Options of LongPPL's key-token search (Fang et al., ICLR 2025, §3; official `find_key_token` and
 * `perplexity.py` flags).
 */
export interface LongPPLOptions {
  /** Short context K: the short pass keeps only the last K (to K + d − 1) tokens (official default 4096). */
  truncLen: number;
  /** Window stride d of the short passes (official default 1024). */
  slidingWindow: number;
  /** LSD threshold α in nats: key iff the long context raises log p by more than α (paper: 2). */
  alpha: number;
  /** LCL threshold β in nats: key iff the long-context log p exceeds β (paper: −2). */
  beta: number;
  /** Prepend BOS to each short window (the official code does not; the full pass has one). */
  prependBosToShort: boolean;
  /** Reproduce the official quirks: a key token at index 0 yields loss index −1, read as the last loss. */
  faithful: boolean;
}

/** Official defaults: K = 4096, d = 1024, α = 2, β = −2, no BOS on short windows, quirks off. */
export const defaultLongPPLOptions: LongPPLOptions = Object.freeze({
  truncLen: 4096,
  slidingWindow: 1024,
  alpha: 2,
  beta: -2,
  prependBosToShort: false,
  faithful: false,
});

/** Options of LongCE (official `finetune/finetune.py::loss_weight`). */
export interface LongCEOptions {
  /** Short context K of the weight estimate (official: 4096). */
  truncLen: number;
  /** Window stride d (official `--internal`: 1024). */
  slidingWindow: number;
  /** Upper clip γ of the weight exp(LSD) (official `--threshold`: 5). */
  cap: number;
  /** Official behaviour: ignore padding masks (pads are trained on). */
  faithful: boolean;
}

/** Official defaults: K = 4096, d = 1024, γ = 5. */
export const defaultLongCEOptions: LongCEOptions = Object.freeze({
  truncLen: 4096,
  slidingWindow: 1024,
  cap: 5,
  faithful: false,
});

/** Merges user options over the defaults and validates them (K, d ≥ 1 integers; α, β finite). */
export function resolveLongPPLOptions(options: Partial<LongPPLOptions> = {}): LongPPLOptions {
  const o = { ...defaultLongPPLOptions, ...options };
  assertInRange(o.truncLen, 'truncLen', { min: 1, integer: true });
  assertInRange(o.slidingWindow, 'slidingWindow', { min: 1, integer: true });
  assertFiniteNumber(o.alpha, 'alpha');
  assertFiniteNumber(o.beta, 'beta');
  return o;
}

/** Merges user options over the defaults and validates them (cap γ > 0). */
export function resolveLongCEOptions(options: Partial<LongCEOptions> = {}): LongCEOptions {
  const o = { ...defaultLongCEOptions, ...options };
  assertInRange(o.truncLen, 'truncLen', { min: 1, integer: true });
  assertInRange(o.slidingWindow, 'slidingWindow', { min: 1, integer: true });
  assertInRange(o.cap, 'cap', { min: 0, minExclusive: true });
  return o;
}

export function assertFiniteNumber(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new LabError('NON_FINITE', `${name}: expected a finite number, got ${value}`);
  }
}
