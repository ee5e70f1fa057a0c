import { describe, expect, it } from 'vitest';
import { Rng } from '@lab/core';
import { analyticZooModel, keyValueCorpus } from '../src/index.js';

describe('key–value corpus', () => {
  const corpus = keyValueCorpus(new Rng(0), 4);
  it('places 8 definitions before 0.7n and 8 queries from 0.8n whose values repeat their definition', () => {
    expect(corpus.vocabSize).toBe(56);
    for (const doc of corpus.docs) {
      expect(doc.ids.length).toBe(512);
      expect(doc.queryValuePositions.length).toBe(16);
      for (let q = 0; q < 16; q += 2) {
        const p = doc.queryValuePositions[q]!;
        expect(p).toBeGreaterThanOrEqual(Math.ceil(0.8 * 512) + 2);
        const [k1, k2, v1, v2] = [doc.ids[p - 2]!, doc.ids[p - 1]!, doc.ids[p]!, doc.ids[p + 1]!];
        expect(k1).toBeLessThan(16);
        expect(v1).toBeGreaterThanOrEqual(16);
        // The definition: the same four symbols earlier, before 0.7n.
        let found = -1;
        for (let j = 8; j < Math.floor(0.7 * 512); j++)
          if (doc.ids[j] === k1 && doc.ids[j + 1] === k2 && doc.ids[j + 2] === v1 && doc.ids[j + 3] === v2) found = j;
        expect(found).toBeGreaterThanOrEqual(8);
      }
    }
  });
  it('is deterministic given the seed', () => {
    expect(Array.from(keyValueCorpus(new Rng(0), 4).docs[3]!.ids)).toEqual(Array.from(corpus.docs[3]!.ids));
    expect(Array.from(keyValueCorpus(new Rng(1), 4).docs[3]!.ids)).not.toEqual(Array.from(corpus.docs[3]!.ids));
  });
});

describe('analytic zoo model', () => {
  const corpus = keyValueCorpus(new Rng(2), 1);
  const doc = corpus.docs[0]!;
  it('gives normalised distributions whose NLL matches nextTokenNll', async () => {
    const m = analyticZooModel(corpus, { window: 128, lambda: 0.1 });
    const nll = await m.nextTokenNll(doc.ids);
    for (const t of [0, 5, 100, doc.queryValuePositions[0]! - 1]) {
      const p = m.distribution(doc.ids, t);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(nll[t]).toBeCloseTo(-Math.log(p[doc.ids[t + 1]!]!), 5);
    }
  });
  it('retrieves query values with an unlimited window and not with W = 16', () => {
    const long = analyticZooModel(corpus, { window: Infinity, lambda: 0.01 });
    const short = analyticZooModel(corpus, { window: 16, lambda: 0.01 });
    const argmax = (p: Float64Array) => p.indexOf(Math.max(...p));
    for (const pos of doc.queryValuePositions) {
      expect(argmax(long.distribution(doc.ids, pos - 1))).toBe(doc.ids[pos]);
      expect(argmax(short.distribution(doc.ids, pos - 1))).not.toBe(doc.ids[pos]);
    }
  });
});
