import { LabError, type ProgressEvent, assertInRange, strictOptions, tf } from '@lab/core';
import { type CausalLM, type OffsetTokenizer, type Scorer, tfjsScorer, type TokenNllOptions } from '@lab/lm';
import {
  type LongCEOptions,
  type LongPPLOptions,
  assertFiniteNumber,
  defaultLongCEOptions,
  longCEChecks,
  strictLongPPLOptions,
} from './config.js';

type OnProgress = ((event: ProgressEvent) => void) | undefined;
/** The keys the end-to-end functions take besides {@link LongPPLOptions} (optional, no default). */
const progressOption = { onProgress: undefined as OnProgress };
const faithfulOption = { faithful: false };

/** A character span `[start, end)` (UTF-16 code units). */
export type Span = [number, number];

/** One short pass of the long–short contrast: input tokens `[s, s + K + d')`, scored targets `[s + K, s + K + d')`. */
export interface Window {
  start: number;
  shortInput: [number, number];
  targets: [number, number];
}

/** A scorer with the tokenizer whose ids it scores. */
export interface ScoredModel {
  scorer: Scorer;
  tokenizer: OffsetTokenizer;
}

/** Per-document result of {@link computeLongPPL} / {@link documentLongPPL}. */
export interface DocumentLongPPL {
  /** exp(mean NLL over key tokens); null when the document has no key token. */
  longppl: number | null;
  /** exp(mean NLL over all n − 1 next-token losses). */
  ppl: number;
  nKey: number;
  /** Number of tokens n (the PPL averages n − 1 losses). */
  nToken: number;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Pure core: arrays in, arrays out (paper §3; official longppl/longppl.py)
// ─────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Windows of the long–short contrast (official `find_key_token` loop): starts s = 0, d, 2d, … while
 * s < n − K; only the last window is shortened to d' = n − s − K. Each target p gets a short context of
 * p − s tokens (K to K + d − 1). No windows when n ≤ K.
 */
export function windowSchedule(n: number, truncLen: number, slidingWindow: number): Window[] {
  assertInRange(n, 'n', { min: 0, integer: true });
  assertInRange(truncLen, 'truncLen', { min: 1, integer: true });
  assertInRange(slidingWindow, 'slidingWindow', { min: 1, integer: true });
  const out: Window[] = [];
  for (let s = 0; s < n - truncLen; s += slidingWindow) {
    const d = Math.min(slidingWindow, n - s - truncLen);
    out.push({ start: s, shortInput: [s, s + truncLen + d], targets: [s + truncLen, s + truncLen + d] });
  }
  return out;
}

function checkLosses(values: ArrayLike<number>, name: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v))
      throw new LabError('NON_FINITE', `${name}: expected finite losses, found ${v} at index ${i}`);
    if (v < 0) throw new LabError('OUT_OF_RANGE', `${name}: expected non-negative NLLs, found ${v} at index ${i}`);
  }
}

/**
 * The key-token rule (paper eq. 4–5): with losses aligned per target, token is key iff
 * LSD = lossShort − lossFull > α and LCL = −lossFull > β (both strict). Returns a 0/1 mask.
 */
export function keyMask(
  lossFull: ArrayLike<number>,
  lossShort: ArrayLike<number>,
  alpha: number,
  beta: number,
): Uint8Array {
  assertFiniteNumber(alpha, 'alpha');
  assertFiniteNumber(beta, 'beta');
  if (lossFull.length !== lossShort.length) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `lossShort: expected the length of lossFull (${lossFull.length}), got ${lossShort.length}`,
    );
  }
  checkLosses(lossFull, 'lossFull');
  checkLosses(lossShort, 'lossShort');
  const mask = new Uint8Array(lossFull.length);
  for (let i = 0; i < mask.length; i++) mask[i] = lossShort[i]! - lossFull[i]! > alpha && lossFull[i]! < -beta ? 1 : 0;
  return mask;
}

function checkSpans(spans: readonly Span[], name: string, requireSorted: boolean): void {
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    if (!Array.isArray(s) || s.length !== 2 || !Number.isInteger(s[0]) || !Number.isInteger(s[1]) || s[0] < 0) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `${name}[${i}]: expected [start, end] non-negative integers, got ${JSON.stringify(s)}`,
      );
    }
    if (s[0] > s[1]) throw new LabError('INVALID_ARGUMENT', `${name}[${i}]: start ${s[0]} is after end ${s[1]}`);
    if (requireSorted && i > 0 && s[0] < spans[i - 1]![0]) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `${name}: expected spans sorted by start, but [${s}] at ${i} starts before [${spans[i - 1]}]`,
      );
    }
  }
}

/** Merges sorted spans that touch (`next.start == prev.end`); overlapping spans that do not touch stay apart (official `merge_intervals`). */
export function mergeAdjacentSpans(spans: readonly Span[]): Span[] {
  checkSpans(spans, 'spans', true);
  const out: Span[] = [];
  for (const [a, b] of spans) {
    const last = out[out.length - 1];
    if (last && last[1] === a) last[1] = b;
    else out.push([a, b]);
  }
  return out;
}

/**
 * Maps key character spans onto another tokenizer's tokens (official `cal_overlap`): token i is key iff
 * a span contains it fully; partial overlaps are dropped. Returns loss indices i − 1 (the loss that
 * predicts token i). A key token 0 has no loss: dropped, or with `faithful` kept as −1 (which the
 * official NumPy code reads as the last loss).
 */
export function alignKeySpans(
  offsets: readonly Span[],
  spans: readonly Span[],
  opts: { faithful?: boolean } = {},
): Int32Array {
  const { faithful } = strictOptions(opts, faithfulOption, 'alignKeySpans options');
  checkSpans(spans, 'spans', true);
  for (let i = 0; i < offsets.length; i++) {
    const o = offsets[i]!;
    if (
      !Array.isArray(o) ||
      o.length !== 2 ||
      o[0] > o[1] ||
      (i > 0 && (o[0] < offsets[i - 1]![0] || o[1] < offsets[i - 1]![1]))
    ) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `offsets: expected monotonically increasing [start, end] pairs, got ${JSON.stringify(o)} at ${i} after ${JSON.stringify(offsets[i - 1] ?? null)}`,
      );
    }
  }
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < offsets.length && j < spans.length) {
    const [a0, a1] = offsets[i]!;
    const [b0, b1] = spans[j]!;
    if (a0 >= b0 && a1 <= b1) {
      if (i > 0 || faithful) out.push(i - 1);
      i++;
    } else if (a0 < b0) i++;
    else j++;
  }
  return Int32Array.from(out);
}

/**
 * Parses the official key-span file format: one line of `[a, b]` spans joined by `;` (the official
 * reader uses Python `eval`; this one is strict). Errors name the line and column.
 */
export function parseSpanFile(text: string): Span[] {
  const spans: Span[] = [];
  let pos = 0;
  const where = (at: number) => {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    return `line ${line}, column ${at - before.lastIndexOf('\n')}`;
  };
  const fail = (what: string): never => {
    throw new LabError(
      'MALFORMED_FILE',
      `span file: expected ${what} at ${where(pos)}, got ${pos < text.length ? JSON.stringify(text[pos]) : 'end of file'}`,
    );
  };
  const skipSpaces = () => {
    while (pos < text.length && (text[pos] === ' ' || text[pos] === '\t')) pos++;
  };
  const integer = (): number => {
    skipSpaces();
    const m = /^\d+/.exec(text.slice(pos));
    if (!m) fail('a non-negative integer');
    pos += m![0].length;
    return Number(m![0]);
  };
  const body = text.replace(/\r?\n$/, '');
  skipSpaces();
  if (pos >= body.length) return spans;
  for (;;) {
    skipSpaces();
    if (text[pos] !== '[') fail("'['");
    pos++;
    const start = integer();
    skipSpaces();
    if (text[pos] !== ',') fail("','");
    pos++;
    const end = integer();
    skipSpaces();
    if (text[pos] !== ']') fail("']'");
    pos++;
    if (start > end)
      throw new LabError(
        'MALFORMED_FILE',
        `span file: span [${start}, ${end}] ending at ${where(pos)} starts after it ends`,
      );
    spans.push([start, end]);
    skipSpaces();
    if (pos >= body.length) break;
    if (text[pos] !== ';') fail("';' or end of line");
    pos++;
  }
  checkSpans(spans, 'span file', true);
  return spans;
}

/** Writes spans in the official key-span file format (`[a, b];[c, d]`). */
export function formatSpanFile(spans: readonly Span[]): string {
  checkSpans(spans, 'spans', true);
  return spans.map(([a, b]) => `[${a}, ${b}]`).join(';');
}

/**
 * LongPPL and PPL of one document from the evaluated model's losses (official `compute_longppl`):
 * longppl = exp(mean(loss[keyIdx])) (null without key tokens), ppl = exp(mean(loss)).
 */
export function documentLongPPL(
  loss: ArrayLike<number>,
  keyLossIdx: Int32Array | readonly number[],
  nToken: number,
  opts: { faithful?: boolean } = {},
): DocumentLongPPL {
  const { faithful } = strictOptions(opts, faithfulOption, 'documentLongPPL options');
  if (loss.length < 1)
    throw new LabError('EMPTY_INPUT', 'loss: expected at least one next-token loss (a text of ≥ 2 tokens), got 0');
  if (nToken !== loss.length + 1)
    throw new LabError('SHAPE_MISMATCH', `nToken: expected loss.length + 1 = ${loss.length + 1}, got ${nToken}`);
  checkLosses(loss, 'loss');
  let sum = 0;
  for (let i = 0; i < loss.length; i++) sum += loss[i]!;
  let keySum = 0;
  for (let j = 0; j < keyLossIdx.length; j++) {
    let k = keyLossIdx[j]!;
    if (k < 0 && faithful) k += loss.length; // NumPy negative indexing, as the official code
    if (!Number.isInteger(k) || k < 0 || k > loss.length - 1) {
      throw new LabError(
        'OUT_OF_RANGE',
        `keyLossIdx[${j}]: expected an index in [0, ${loss.length - 1}], got ${keyLossIdx[j]}`,
      );
    }
    keySum += loss[k]!;
  }
  const nKey = keyLossIdx.length;
  return { longppl: nKey > 0 ? Math.exp(keySum / nKey) : null, ppl: Math.exp(sum / loss.length), nKey, nToken };
}

/**
 * Corpus LongPPL and PPL as token-weighted geometric means (official `perplexity.py`):
 * LongPPL = exp(Σ nKey·log LongPPL / Σ nKey) over documents with key tokens; PPL weighted by nToken.
 */
export function corpusAggregate(
  docs: readonly { longppl: number | null; nKey: number; ppl: number; nToken: number }[],
): { longppl: number | null; ppl: number } {
  if (docs.length === 0) throw new LabError('EMPTY_INPUT', 'docs: expected at least one document, got 0');
  let keyW = 0;
  let keyS = 0;
  let tokW = 0;
  let tokS = 0;
  for (const d of docs) {
    if (d.longppl !== null) {
      keyW += d.nKey;
      keyS += d.nKey * Math.log(d.longppl);
    }
    tokW += d.nToken;
    tokS += d.nToken * Math.log(d.ppl);
  }
  return { longppl: keyW > 0 ? Math.exp(keyS / keyW) : null, ppl: Math.exp(tokS / tokW) };
}

/**
 * LongCE weights (official `loss_weight`): c[p] = 1 for p < K, exp(lossShort[p] − lossFull[p−1]) for
 * the scored targets; w[k] = min(c[k+1], cap), length n − 1. No lower clip. The weights are constants.
 */
export function longCEWeights(
  lossFull: ArrayLike<number>,
  lossShortByTarget: Map<number, number>,
  n: number,
  cap = 5,
): Float32Array {
  assertInRange(cap, 'cap', { min: 0, minExclusive: true });
  if (lossFull.length !== n - 1)
    throw new LabError('SHAPE_MISMATCH', `lossFull: expected n − 1 = ${n - 1} losses, got ${lossFull.length}`);
  checkLosses(lossFull, 'lossFull');
  const c = new Float64Array(n).fill(1);
  for (const [p, ls] of lossShortByTarget) {
    if (!Number.isInteger(p) || p < 1 || p > n - 1)
      throw new LabError('OUT_OF_RANGE', `lossShortByTarget: target ${p} outside [1, ${n - 1}]`);
    if (!Number.isFinite(ls) || ls < 0)
      throw new LabError('NON_FINITE', `lossShortByTarget: loss of target ${p} should be a finite NLL ≥ 0, got ${ls}`);
    c[p] = Math.exp(ls - lossFull[p - 1]!);
  }
  const w = new Float32Array(n - 1);
  for (let k = 0; k < n - 1; k++) w[k] = Math.min(c[k + 1]!, cap);
  return w;
}

/**
 * Differentiable LongCE loss: (1/(n−1)) Σ_k w[k]·nll[k] (divided by n − 1, not Σw; weights carry no
 * gradient). With `mask` (1 = real token) the sum runs over masked-in entries and divides by their
 * count, so padding is not trained on.
 */
export function longCELoss(nll: tf.Tensor1D, weights: Float32Array, mask?: Uint8Array): tf.Scalar {
  if (nll.rank !== 1)
    throw new LabError('SHAPE_MISMATCH', `nll: expected a 1-D tensor [n − 1], got [${nll.shape.join(', ')}]`);
  if (weights.length !== nll.shape[0])
    throw new LabError('SHAPE_MISMATCH', `weights: expected ${nll.shape[0]} weights, got ${weights.length}`);
  if (mask && mask.length !== weights.length)
    throw new LabError('SHAPE_MISMATCH', `mask: expected ${weights.length} entries, got ${mask.length}`);
  const w = Float32Array.from(weights, (v, i) => (mask && !mask[i] ? 0 : v));
  const count = mask ? mask.reduce((a, b) => a + (b ? 1 : 0), 0) : weights.length;
  if (count === 0) throw new LabError('EMPTY_INPUT', 'mask: expected at least one unmasked position');
  return tf.tidy(() => tf.div(tf.sum(tf.mul(nll, tf.tensor1d(w))), count) as tf.Scalar);
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Scorers and end-to-end functions
// ─────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Pairs a @lab/core CausalLM with its tokenizer as a {@link ScoredModel}, checking that every token id
 * the tokenizer can produce exists in the model's vocabulary.
 */
export function scoredModel(model: CausalLM, tokenizer: OffsetTokenizer, options: TokenNllOptions = {}): ScoredModel {
  const o = strictOptions(
    options,
    { queryChunk: undefined, attentionWindow: undefined, maxLogits: undefined } as TokenNllOptions,
    'scoredModel options',
    { queryChunk: { min: 1, integer: true }, maxLogits: { min: 1, integer: true } },
  );
  if (o.attentionWindow !== undefined && o.attentionWindow !== null)
    assertInRange(o.attentionWindow, 'attentionWindow', { min: 1, integer: true });
  if (tokenizer.vocabSize > model.config.vocabSize) {
    throw new LabError(
      'SHAPE_MISMATCH',
      `tokenizer: its vocabulary (${tokenizer.vocabSize} ids) does not fit the model's (${model.config.vocabSize} ids)`,
    );
  }
  return { scorer: tfjsScorer(model, o), tokenizer };
}

/** Long and short losses of an evaluator on one token sequence, aligned per target position. */
export interface LongShortLosses {
  /** Next-token losses of the full pass, length n − 1. */
  lossFull: Float32Array;
  /** Scored target positions p (ascending). */
  targets: Int32Array;
  /** Short-window loss of each target. */
  lossShort: Float32Array;
}

/** Runs the full pass and the short windows of {@link windowSchedule} (paper §3.1). */
export async function longShortLosses(
  ids: Int32Array,
  scorer: Scorer,
  options: Partial<LongPPLOptions> & { bosTokenId?: number | null; onProgress?: (event: ProgressEvent) => void } = {},
): Promise<LongShortLosses> {
  const o = strictLongPPLOptions(
    options,
    { ...progressOption, bosTokenId: undefined as number | null | undefined },
    'longShortLosses options',
  );
  const n = ids.length;
  if (n < 2) throw new LabError('EMPTY_INPUT', `text: expected at least 2 tokens, got ${n}`);
  const lossFull = await scorer.nextTokenNll(ids);
  if (lossFull.length !== n - 1)
    throw new LabError('SHAPE_MISMATCH', `scorer: expected ${n - 1} losses for ${n} tokens, got ${lossFull.length}`);
  const windows = windowSchedule(n, o.truncLen, o.slidingWindow);
  const targets: number[] = [];
  const lossShort: number[] = [];
  const bos = o.prependBosToShort ? (o.bosTokenId ?? null) : null;
  if (o.prependBosToShort && bos === null)
    throw new LabError('INVALID_ARGUMENT', 'prependBosToShort: the tokenizer has no BOS token');
  for (const [wi, w] of windows.entries()) {
    o.onProgress?.({ stage: 'short windows', done: wi, total: windows.length });
    const [s, e] = w.shortInput;
    const sub = bos === null ? ids.slice(s, e) : Int32Array.from([bos, ...ids.slice(s, e)]);
    const shift = bos === null ? 0 : 1;
    const ls = await scorer.nextTokenNll(sub);
    for (let p = w.targets[0]; p < w.targets[1]; p++) {
      targets.push(p);
      lossShort.push(ls[p - s - 1 + shift]!); // loss of predicting token p from the window
    }
  }
  o.onProgress?.({ stage: 'short windows', done: windows.length, total: windows.length });
  return { lossFull, targets: Int32Array.from(targets), lossShort: Float32Array.from(lossShort) };
}

/**
 * Finds the key tokens of a text with an evaluator and returns their merged character spans (official
 * `find_key_token`). Texts of at most `truncLen` tokens have no windows, hence no key tokens.
 */
export async function findKeySpans(
  text: string,
  evaluator: ScoredModel,
  options: Partial<LongPPLOptions> & { onProgress?: (event: ProgressEvent) => void } = {},
): Promise<{ spans: Span[]; keyPositions: Int32Array; lsd: Float32Array; lcl: Float32Array; targets: Int32Array }> {
  const o = strictLongPPLOptions(options, progressOption, 'findKeySpans options');
  if (text.length === 0) throw new LabError('EMPTY_INPUT', 'text: expected a non-empty string');
  const { ids, offsets } = evaluator.tokenizer.encodeWithOffsets(text);
  const { lossFull, targets, lossShort } = await longShortLosses(ids, evaluator.scorer, {
    ...o,
    bosTokenId: evaluator.tokenizer.bosTokenId,
  });
  const full = Float32Array.from(targets, (p) => lossFull[p - 1]!);
  const mask = keyMask(full, lossShort, o.alpha, o.beta);
  const keyPositions = Int32Array.from(targets.filter((_, i) => mask[i] === 1));
  const lsd = Float32Array.from(targets, (_, i) => lossShort[i]! - full[i]!);
  const lcl = Float32Array.from(full, (v) => -v);
  const spans = mergeAdjacentSpans(Array.from(keyPositions, (p) => [offsets[p]![0], offsets[p]![1]] as Span));
  return { spans, keyPositions, lsd, lcl, targets };
}

/**
 * LongPPL of a model on one text (paper eq. 6): its perplexity on the key tokens found by an external
 * evaluator (or given as character spans, e.g. an official key-span file), plus plain PPL.
 */
export async function computeLongPPL(
  text: string,
  model: ScoredModel,
  keySpansOrEvaluator: readonly Span[] | ScoredModel,
  options: Partial<LongPPLOptions> & { onProgress?: (event: ProgressEvent) => void } = {},
): Promise<DocumentLongPPL> {
  const o = strictLongPPLOptions(options, progressOption, 'computeLongPPL options');
  if (text.length === 0) throw new LabError('EMPTY_INPUT', 'text: expected a non-empty string');
  const spans = Array.isArray(keySpansOrEvaluator)
    ? (keySpansOrEvaluator as Span[])
    : (await findKeySpans(text, keySpansOrEvaluator as ScoredModel, o)).spans;
  const { ids, offsets } = model.tokenizer.encodeWithOffsets(text, { addSpecialTokens: false });
  if (ids.length < 2) throw new LabError('EMPTY_INPUT', `text: expected at least 2 tokens, got ${ids.length}`);
  const loss = await model.scorer.nextTokenNll(ids);
  const keyIdx = alignKeySpans(offsets, spans, { faithful: o.faithful });
  return documentLongPPL(loss, keyIdx, ids.length, { faithful: o.faithful });
}

type SelfLongCEOptions = Pick<LongCEOptions, 'truncLen' | 'slidingWindow' | 'cap'>;
const { faithful: _unused, ...selfLongCEDefaults } = defaultLongCEOptions;

/**
 * LongCE weights of one training sequence, estimated by the model being trained on itself (the E-step
 * of official `loss_weight`): long and short losses under no gradient, then {@link longCEWeights}.
 */
export async function selfLongCEWeights(
  ids: Int32Array,
  scorer: Scorer,
  options: Partial<SelfLongCEOptions> = {},
): Promise<Float32Array> {
  const { truncLen, slidingWindow, cap } = strictOptions<SelfLongCEOptions>(
    options,
    selfLongCEDefaults,
    'selfLongCEWeights options',
    longCEChecks,
  );
  const { lossFull, targets, lossShort } = await longShortLosses(ids, scorer, { truncLen, slidingWindow });
  const byTarget = new Map<number, number>();
  targets.forEach((p, i) => byTarget.set(p, lossShort[i]!));
  return longCEWeights(lossFull, byTarget, ids.length, cap);
}
