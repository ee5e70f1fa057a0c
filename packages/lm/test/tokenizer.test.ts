import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabError } from '@lab/core';
import {
  ByteTokenizer,
  HfTokenizer,
  IdentityTokenizer,
  decodeDiffOffsets,
  withDecodeDiffOffsets,
} from '../src/tokenizer.js';
import { byteLevelBpeJson, sentencePieceJson } from './tokenizer-fixtures.js';

const TEXT = 'The cat sat. Then 42 cats sat on 7 mats.';

/** The spans must tile the text: contiguous, non-overlapping, covering every character. */
function expectTiling(offsets: [number, number][], text: string): void {
  let cursor = 0;
  for (const [s, e] of offsets) {
    expect(s).toBe(cursor);
    expect(e).toBeGreaterThanOrEqual(s);
    cursor = e;
  }
  expect(cursor).toBe(text.length);
}

describe('decodeDiffOffsets', () => {
  it('follows the official rule on a decoder that strips a leading space from the whole string', () => {
    const pieces = ['', '▁The', '▁cat', '.'];
    const decode = (ids: Int32Array) =>
      Array.from(ids, (i) => pieces[i]!)
        .join('')
        .replace(/▁/g, ' ')
        .replace(/^ /, '');
    expect(decodeDiffOffsets(Int32Array.of(0, 1, 2, 3), decode)).toEqual([
      [0, 0],
      [0, 3],
      [3, 7],
      [7, 8],
    ]);
  });

  it('withDecodeDiffOffsets adds offsets to a plain tokenizer', () => {
    const bytes = new ByteTokenizer({ addBos: true });
    const plain = {
      vocabSize: 258,
      bosTokenId: 256,
      eosTokenId: 257,
      encode: bytes.encode.bind(bytes),
      decode: bytes.decode.bind(bytes),
    };
    expect(withDecodeDiffOffsets(plain).encodeWithOffsets('ab c').offsets).toEqual([
      [0, 0],
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    expect(withDecodeDiffOffsets(bytes)).toBe(bytes);
  });
});

describe('HfTokenizer (tokenizer.json via @huggingface/tokenizers)', () => {
  it('byte-level BPE: offsets tile the text and each span is the token text', () => {
    const tok = new HfTokenizer(byteLevelBpeJson());
    const { ids, offsets } = tok.encodeWithOffsets(TEXT);
    expectTiling(offsets, TEXT);
    expect(tok.decode(ids)).toBe(TEXT);
    offsets.forEach(([s, e], i) => expect(TEXT.slice(s, e)).toBe(tok.decode([ids[i]!])));
    expect(offsets.map(([s, e]) => TEXT.slice(s, e)).slice(0, 4)).toEqual(['The', ' cat', ' sat', '.']);
    expect(tok.vocabSize).toBe(268);
  });

  it('SentencePiece style: BOS gets (0, 0), the dropped leading space is handled, byte fallback tiles', () => {
    const { tokenizer, config } = sentencePieceJson();
    const tok = new HfTokenizer(tokenizer, config);
    expect(tok.bosTokenId).toBe(1);
    expect(tok.eosTokenId).toBe(2);
    const text = `${TEXT} é`;
    const { ids, offsets } = tok.encodeWithOffsets(text);
    expect(ids[0]).toBe(1);
    expect(offsets[0]).toEqual([0, 0]);
    expect(offsets[1]).toEqual([0, 3]); // "▁The" → "The": the prepended space is not in the text
    expect(offsets[2]).toEqual([3, 7]); // " cat"
    expectTiling(offsets, text);
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe(text);
    const plain = tok.encodeWithOffsets(text, { addSpecialTokens: false });
    expect(plain.ids.length).toBe(ids.length - 1);
    expect(plain.offsets).toEqual(offsets.slice(1));
  });

  it('reads a local folder and rejects missing or malformed files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-tok-'));
    expect(() => HfTokenizer.fromDirectory(dir)).toThrow(/does not exist/);
    writeFileSync(join(dir, 'tokenizer.json'), '{ not json');
    expect(() => HfTokenizer.fromDirectory(dir)).toThrow(LabError);
    const { tokenizer, config } = sentencePieceJson();
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    const tok = HfTokenizer.fromDirectory(dir);
    expect(tok.decode(tok.encode('cat sat'), { skipSpecialTokens: true })).toBe('cat sat');
    expect(tok.encode('cat sat')[0]).toBe(1);
    expect(() => new HfTokenizer({ nothing: true })).toThrow(/model/);
  });
});

describe('ByteTokenizer', () => {
  it('round-trips UTF-8 and gives every byte of a character that character', () => {
    const tok = new ByteTokenizer({ addBos: true });
    const text = 'aé€b';
    const { ids, offsets } = tok.encodeWithOffsets(text);
    expect(Array.from(ids)).toEqual([256, 97, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 98]);
    expect(offsets).toEqual([
      [0, 0],
      [0, 1],
      [1, 2],
      [1, 2],
      [2, 3],
      [2, 3],
      [2, 3],
      [3, 4],
    ]);
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe(text);
    expect(tok.decode(ids)).toBe(`<s>${text}`);
    expect(tok.encode(text, { addSpecialTokens: false }).length).toBe(7);
    expect(() => tok.decode([300])).toThrow(/outside the byte vocabulary/);
  });
});

describe('IdentityTokenizer', () => {
  it('maps names ↔ ids with exact offsets; numbered vocabularies name ids by their decimal', () => {
    const tok = new IdentityTokenizer(['<s>', 'A', 'B', 'key', '</s>'], { bosToken: '<s>', eosToken: '</s>' });
    expect(tok.vocabSize).toBe(5);
    expect([tok.bosTokenId, tok.eosTokenId]).toEqual([0, 4]);
    const { ids, offsets } = tok.encodeWithOffsets('A key B');
    expect(Array.from(ids)).toEqual([0, 1, 3, 2]);
    expect(offsets).toEqual([
      [0, 0],
      [0, 1],
      [2, 5],
      [6, 7],
    ]);
    expect(tok.decode(ids)).toBe('<s> A key B');
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('A key B');
    expect(Array.from(tok.encode('A B', { addSpecialTokens: false }))).toEqual([1, 2]);
    expect([tok.idOf('key'), tok.nameOf(2)]).toEqual([3, 'B']);
    const numbered = new IdentityTokenizer(12);
    expect(Array.from(numbered.encode('3 11 0'))).toEqual([3, 11, 0]);
    expect(numbered.decode([10, 2])).toBe('10 2');
  });

  it('reads one-character symbols without a separator (LongPPL symbol vocabularies)', () => {
    const symbols = new IdentityTokenizer(
      Array.from({ length: 6 }, (_, s) => String.fromCharCode(48 + s)),
      { separator: '' },
    );
    expect(Array.from(symbols.encode('0512'))).toEqual([0, 5, 1, 2]);
    expect(symbols.encodeWithOffsets('05').offsets).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(symbols.decode([3, 4])).toBe('34');
    const words = new IdentityTokenizer(['a', 'ab', 'b'], { separator: '' });
    expect(Array.from(words.encode('abab'))).toEqual([1, 1]); // longest match
  });

  it('refuses out-of-range ids, unknown names and bad vocabularies with LabError', () => {
    const tok = new IdentityTokenizer(3);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(LabError);
        return (e as LabError).code;
      }
      return 'none';
    };
    expect(code(() => tok.decode([0, 3]))).toBe('OUT_OF_RANGE');
    expect(code(() => tok.decode([-1]))).toBe('OUT_OF_RANGE');
    expect(code(() => tok.nameOf(1.5))).toBe('OUT_OF_RANGE');
    expect(code(() => tok.encode('1 7'))).toBe('NOT_FOUND');
    expect(code(() => tok.idOf('x'))).toBe('NOT_FOUND');
    expect(code(() => new IdentityTokenizer(['a', 'a']))).toBe('INVALID_ARGUMENT');
    expect(code(() => new IdentityTokenizer(['a b']))).toBe('INVALID_ARGUMENT');
    expect(code(() => new IdentityTokenizer(['a'], { bosToken: 'b' }))).toBe('NOT_FOUND');
    expect(code(() => new IdentityTokenizer(['a'], { sep: '' } as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => new IdentityTokenizer(0))).toBe('OUT_OF_RANGE');
  });
});
