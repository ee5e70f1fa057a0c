import { beforeAll, describe, expect, it } from 'vitest';
import { LabError, gradCheck, initBackend, tensorLeak, tf } from '@lab/core';
import { ByteTokenizer, CausalLM, llamaConfig, nextTokenNll, precomputedScorer, scorerKey, tokenNll } from '@lab/lm';
import {
  alignKeySpans,
  computeLongPPL,
  corpusAggregate,
  documentLongPPL,
  findKeySpans,
  formatSpanFile,
  keyMask,
  longCELoss,
  longCEWeights,
  mergeAdjacentSpans,
  parseSpanFile,
  scoredModel,
  selfLongCEWeights,
  tfjsScorer,
  windowSchedule,
  type Span,
} from '../src/index.js';
import { charTokenizer, golden, relErr, toyScorer } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('windowSchedule (golden, exact)', () => {
  for (const c of golden.window_schedule) {
    it(`n=${c.n}, K=${c.trunc_len}, d=${c.sliding_window}`, () => {
      const w = windowSchedule(c.n, c.trunc_len, c.sliding_window);
      expect(w.map((x) => ({ start: x.start, short_input: x.shortInput, targets: x.targets }))).toEqual(c.windows);
    });
  }
  it('rejects non-positive K and d', () => {
    expect(() => windowSchedule(10, 0, 2)).toThrow(/truncLen/);
    expect(() => windowSchedule(10, 2, 0)).toThrow(/slidingWindow/);
  });
});

describe('keyMask (golden, exact)', () => {
  const { loss_full, loss_short, cases } = golden.key_mask;
  for (const c of cases) {
    it(`alpha=${c.alpha}, beta=${c.beta}`, () => {
      const mask = keyMask(Float32Array.from(loss_full), Float32Array.from(loss_short), c.alpha, c.beta);
      expect(Array.from(mask, Boolean)).toEqual(c.mask);
    });
  }
  it('rejects mismatched lengths, NaN, negative losses and non-finite thresholds', () => {
    expect(() => keyMask([1, 2], [1], 2, -2)).toThrow(/length/);
    expect(() => keyMask([1, NaN], [1, 2], 2, -2)).toThrow(LabError);
    expect(() => keyMask([1, -0.5], [1, 2], 2, -2)).toThrow(/non-negative/);
    expect(() => keyMask([1], [1], Infinity, -2)).toThrow(/alpha/);
    expect(() => keyMask([1], [1], 2, NaN)).toThrow(/beta/);
  });
});

describe('spans and alignment (golden, exact)', () => {
  const a = golden.alignment;
  it('merges touching evaluator spans only', () => {
    expect(mergeAdjacentSpans(a.evaluator_key_token_indices.map((i) => a.evaluator_offsets[i] as Span))).toEqual(
      a.merged_key_spans,
    );
    for (const c of a.merge_cases) expect(mergeAdjacentSpans(c.in as Span[])).toEqual(c.out);
  });
  it('aligns onto a different tokenizer by full containment', () => {
    expect(Array.from(alignKeySpans(a.evaluated_offsets as Span[], a.merged_key_spans as Span[]))).toEqual(
      a.key_loss_indices,
    );
    const [quirk, partial] = a.extra_cases;
    expect(Array.from(alignKeySpans(quirk!.offsets as Span[], quirk!.spans as Span[], { faithful: true }))).toEqual(
      quirk!.key_loss_indices,
    );
    expect(Array.from(alignKeySpans(quirk!.offsets as Span[], quirk!.spans as Span[]))).toEqual(
      quirk!.key_loss_indices.filter((i) => i >= 0),
    );
    expect(Array.from(alignKeySpans(partial!.offsets as Span[], partial!.spans as Span[]))).toEqual(
      partial!.key_loss_indices,
    );
  });
  it('rejects reversed or unsorted spans and non-monotone offsets', () => {
    expect(() => mergeAdjacentSpans([[3, 2]])).toThrow(/start 3 is after end 2/);
    expect(() =>
      mergeAdjacentSpans([
        [4, 5],
        [1, 2],
      ]),
    ).toThrow(/sorted/);
    expect(() =>
      alignKeySpans(
        [
          [0, 2],
          [1, 1],
        ],
        [[0, 2]],
      ),
    ).toThrow(/monotonically/);
  });
  it('faithful mode reads loss index −1 as the last loss, the default drops it', () => {
    const loss = [1, 2, 3];
    expect(documentLongPPL(loss, Int32Array.of(-1, 0), 4, { faithful: true }).longppl).toBeCloseTo(Math.exp(2), 12);
    expect(() => documentLongPPL(loss, Int32Array.of(-1, 0), 4)).toThrow(/keyLossIdx\[0\]/);
    expect(() => documentLongPPL(loss, Int32Array.of(3), 4)).toThrow(LabError);
  });
});

describe('span file format', () => {
  it('round-trips and parses the official one-line format', () => {
    const spans: Span[] = [
      [17, 25],
      [32, 39],
    ];
    expect(formatSpanFile(spans)).toBe('[17, 25];[32, 39]');
    expect(parseSpanFile('[17, 25];[32, 39]\n')).toEqual(spans);
    expect(parseSpanFile('[17,25] ; [32 , 39]')).toEqual(spans);
    expect(parseSpanFile('')).toEqual([]);
  });
  it('reports the line and column of malformed input', () => {
    expect(() => parseSpanFile('[17, 25];[32; 39]')).toThrow(/expected ',' at line 1, column 13/);
    expect(() => parseSpanFile('[17, 25]\n[32, 39]')).toThrow(/line 1, column 9/);
    expect(() => parseSpanFile('[17, 25];__import__("os")')).toThrow(/expected '\['/);
    expect(() => parseSpanFile('[9, 3]')).toThrow(/starts after it ends/);
  });
});

describe('corpusAggregate (golden, 1e-9)', () => {
  it('token-weighted geometric means; documents without key tokens skipped for LongPPL', () => {
    const g = golden.corpus_aggregate;
    const r = corpusAggregate(
      g.docs.map((d) => ({ longppl: d.longppl, nKey: d.n_key, ppl: d.ppl, nToken: d.n_token })),
    );
    expect(Math.abs(r.longppl! - g.longppl) / g.longppl).toBeLessThan(1e-9);
    expect(Math.abs(r.ppl - g.ppl) / g.ppl).toBeLessThan(1e-9);
    expect(corpusAggregate([{ longppl: null, nKey: 0, ppl: 2, nToken: 5 }]).longppl).toBeNull();
  });
});

describe('end to end on the toy LM (golden, 1e-6 relative)', () => {
  const e = golden.end_to_end_toy;
  const options = { truncLen: e.trunc_len, slidingWindow: e.sliding_window, alpha: e.alpha, beta: e.beta };
  const evaluator = { scorer: toyScorer(e.evaluator), tokenizer: charTokenizer };

  it('findKeySpans: key positions, spans, LSD and LCL', async () => {
    const r = await findKeySpans(e.text, evaluator, options);
    expect(Array.from(r.keyPositions)).toEqual(e.key_positions);
    expect(r.spans).toEqual(e.key_char_spans);
    expect(Array.from(r.targets)).toEqual(e.target_positions);
    expect(relErr(r.lsd, e.lsd)).toBeLessThan(1e-5);
    expect(relErr(r.lcl, e.lcl)).toBeLessThan(1e-5);
  });

  for (const [name, m] of Object.entries(e.models)) {
    it(`computeLongPPL for ${name}`, async () => {
      const model = { scorer: toyScorer(m.config), tokenizer: charTokenizer };
      const r = await computeLongPPL(e.text, model, evaluator, options);
      expect(r.nKey).toBe(m.n_key);
      expect(r.nToken).toBe(m.n_token);
      expect(Math.abs(r.longppl! - m.longppl) / m.longppl).toBeLessThan(1e-6);
      expect(Math.abs(r.ppl - m.ppl) / m.ppl).toBeLessThan(1e-6);
      const fromSpans = await computeLongPPL(e.text, model, e.key_char_spans as Span[], options);
      expect(fromSpans).toEqual(r);
    });
  }

  it('a text no longer than truncLen has no key tokens (LongPPL null)', async () => {
    const r = await computeLongPPL(
      e.text.slice(0, 12),
      { scorer: toyScorer(e.evaluator), tokenizer: charTokenizer },
      evaluator,
      options,
    );
    expect(r.longppl).toBeNull();
    expect(r.nKey).toBe(0);
    await expect(computeLongPPL('', evaluator, evaluator, options)).rejects.toThrow(/non-empty/);
    await expect(computeLongPPL('a', evaluator, evaluator, options)).rejects.toThrow(/at least 2 tokens/);
  });
});

describe('LongCE (golden, 1e-6 relative)', () => {
  const g = golden.longce;
  const ids = Int32Array.from(golden.end_to_end_toy.ids);
  for (const [name, m] of Object.entries(g.models)) {
    it(`weights and loss for ${name}`, async () => {
      const cfg = golden.end_to_end_toy.models[name as keyof typeof golden.end_to_end_toy.models].config;
      const w = await selfLongCEWeights(ids, toyScorer(cfg), {
        truncLen: g.trunc_len,
        slidingWindow: g.internal,
        cap: g.cap,
      });
      expect(relErr(w, m.weights)).toBeLessThan(1e-5);
      const nll = tf.tensor1d(m.loss_full);
      const loss = longCELoss(nll, w);
      expect(Math.abs(loss.dataSync()[0]! - m.longce_loss) / m.longce_loss).toBeLessThan(1e-6);
      const ce = longCELoss(nll, new Float32Array(w.length).fill(1));
      expect(Math.abs(ce.dataSync()[0]! - m.ce_loss) / m.ce_loss).toBeLessThan(1e-6);
      tf.dispose([nll, loss, ce]);
    });
  }

  it('stays finite at the edges: weights in [0, cap] for any LSD (exp overflow clipped), a finite float32 loss', () => {
    // LSD = +1e4 nats overflows exp() to Infinity and is clipped to the cap; LSD = −1e4 underflows to 0.
    const w = longCEWeights(
      [0, 1e4, 0],
      new Map([
        [1, 1e4],
        [2, 0],
      ]),
      4,
      5,
    );
    expect(Array.from(w)).toEqual([5, 0, 1]);
    const nll = tf.tensor1d([1e4, 88, 0]); // large float32 NLLs (exp(88) is near float32's maximum)
    const loss = longCELoss(nll, w);
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
    expect(loss.dataSync()[0]).toBeCloseTo((5 * 1e4 + 0) / 3, 0);
    tf.dispose([nll, loss]);
  });

  it('has the gradient w·1/(n−1) (weights constant), honours the mask and leaks nothing', async () => {
    const w = Float32Array.of(0.5, 5, 1, 2);
    const nll = tf.tensor1d([0.3, 1.2, 0.7, 2.0]);
    expect(gradCheck((x) => longCELoss(x as tf.Tensor1D, w), [nll]).passed).toBe(true);
    const g = tf.grad((x: tf.Tensor) => longCELoss(x as tf.Tensor1D, w, Uint8Array.of(1, 1, 0, 1)))(nll);
    Array.from(g.dataSync()).forEach((v, i) => expect(v).toBeCloseTo([0.5 / 3, 5 / 3, 0, 2 / 3][i]!, 6));
    expect(await tensorLeak(() => longCELoss(nll, w).dispose())).toBe(0);
    expect(() => longCEWeights([1, 2], new Map(), 3, 0)).toThrow(/cap/);
    expect(() => longCEWeights([1, 2], new Map([[5, 1]]), 3)).toThrow(/target 5/);
    tf.dispose([nll, g]);
  });
});

const scorerText = 'abcabcabc hello world, abcabcabc hello world!';

describe('scorers over @lab/core models', () => {
  let model: CausalLM;
  const tokenizer = new ByteTokenizer();
  beforeAll(() => {
    model = CausalLM.random(
      llamaConfig({ vocabSize: 258, hiddenSize: 16, numLayers: 2, numHeads: 2, numKvHeads: 1, intermediateSize: 32 }),
      { seed: 4, initStd: 0.2 },
    );
  });

  it('computeLongPPL with a tfjs evaluator equals the same run through precomputed losses, and leaks nothing', async () => {
    const pair = scoredModel(model, tokenizer, { queryChunk: 8 });
    const opts = { truncLen: 16, slidingWindow: 8, alpha: 0, beta: -10 };
    const direct = await computeLongPPL(scorerText, pair, pair, opts);
    expect(direct.nKey).toBeGreaterThan(0);
    // Precompute every sequence the run scores (full text and its windows).
    const table = new Map<string, Float32Array>();
    const ids = tokenizer.encode(scorerText);
    table.set(scorerKey(ids), nextTokenNll(model, ids));
    for (let s = 0; s < ids.length - 16; s += 8) {
      const sub = ids.slice(s, Math.min(ids.length, s + 24));
      table.set(scorerKey(sub), nextTokenNll(model, sub));
    }
    const pre = { scorer: precomputedScorer(table), tokenizer };
    expect(await computeLongPPL(scorerText, pre, pre, opts)).toEqual(direct);
    expect(await tensorLeak(() => computeLongPPL(scorerText, pair, pair, opts))).toBe(0);
    await expect(precomputedScorer(new Map()).nextTokenNll(Int32Array.of(1, 2))).rejects.toThrow(/no losses/);
  });

  it('rejects a tokenizer whose ids do not fit the model, and BOS on short windows without a BOS token', async () => {
    const small = CausalLM.random(
      llamaConfig({ vocabSize: 100, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 8 }),
      { seed: 0 },
    );
    expect(() => scoredModel(small, tokenizer)).toThrow(LabError);
    expect(() => scoredModel(small, tokenizer)).toThrow(/vocabulary \(258 ids\) does not fit the model's \(100 ids\)/);
    small.dispose();
    const noBos = {
      scorer: tfjsScorer(model),
      tokenizer: {
        ...tokenizer,
        bosTokenId: null,
        encodeWithOffsets: tokenizer.encodeWithOffsets.bind(tokenizer),
        encode: tokenizer.encode.bind(tokenizer),
        decode: tokenizer.decode.bind(tokenizer),
        vocabSize: 258,
        eosTokenId: null,
      },
    };
    await expect(
      findKeySpans(scorerText, noBos, { truncLen: 16, slidingWindow: 8, prependBosToShort: true }),
    ).rejects.toThrow(/BOS/);
    await expect(findKeySpans(scorerText, scoredModel(model, tokenizer), { alpha: NaN })).rejects.toThrow(/alpha/);
    await expect(findKeySpans(scorerText, scoredModel(model, tokenizer), { truncLen: 0 })).rejects.toThrow(/truncLen/);
  });

  it('LongCE trains a CausalLM: weights from the model itself, gradient through tokenNll only', async () => {
    const ids = tokenizer.encode(scorerText);
    const w = await selfLongCEWeights(ids, tfjsScorer(model), { truncLen: 16, slidingWindow: 8, cap: 5 });
    expect(w.length).toBe(ids.length - 1);
    expect(Math.max(...w)).toBeLessThanOrEqual(5);
    const { value, grads } = tf.variableGrads(
      () => longCELoss(tokenNll(model, ids).reshape([ids.length - 1]) as tf.Tensor1D, w),
      model.trainableVariables(),
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Object.values(grads).some((g) => g.abs().sum().dataSync()[0]! > 0)).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
  });
});
