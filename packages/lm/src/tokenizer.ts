import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import { LabError, assertInRange, strictOptions } from '@lab/core';
import { type ChatMessage, type ChatTemplateOptions, applyChatTemplate } from './chat.js';
import { type ResolveHfModelOptions, resolveModelLocation } from './hub.js';

/** Character span `[start, end)` of one token in the text (UTF-16 code units, as JS strings index). */
export type Offset = [number, number];

/** Options of {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /** Add the tokenizer's special tokens (e.g. BOS); default true, as in Hugging Face. */
  addSpecialTokens?: boolean;
}

/** Options of {@link Tokenizer.decode}. */
export interface DecodeOptions {
  /** Drop special tokens (BOS, EOS, padding) from the text; default false. */
  skipSpecialTokens?: boolean;
}

/** Text ↔ token ids. */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  encode(text: string, options?: EncodeOptions): Int32Array;
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
}

/** A tokenizer that also reports each token's character span (special tokens get empty spans). */
export interface OffsetTokenizer extends Tokenizer {
  encodeWithOffsets(text: string, options?: EncodeOptions): { ids: Int32Array; offsets: Offset[] };
}

/**
 * Character offsets by decode differencing (the LongPPL fallback, `compute_offsets`): token i spans
 * `len(decode(ids[i−1..i])) − len(decode(ids[i−1]))` characters (token 0: `len(decode(ids[0]))`),
 * laid end to end. Decoding pairs, not single tokens, keeps the space a SentencePiece decoder strips
 * from a lone token; pass a `decode` that skips special tokens so BOS gets the empty span (0, 0).
 * Exact when `decode(ids)` reproduces the text. When one character's bytes are split over several
 * tokens (byte fallback), the character goes to whichever token the decoder renders it with; the
 * spans still tile the text.
 */
export function decodeDiffOffsets(ids: ArrayLike<number>, decode: (ids: Int32Array) => string): Offset[] {
  const out: Offset[] = [];
  let cursor = 0;
  for (let i = 0; i < ids.length; i++) {
    let len: number;
    if (i === 0) len = decode(Int32Array.of(ids[0]!)).length;
    else len = decode(Int32Array.of(ids[i - 1]!, ids[i]!)).length - decode(Int32Array.of(ids[i - 1]!)).length;
    len = Math.max(0, len); // a decoder that merges across the pair can shrink it; never go backwards
    out.push([cursor, cursor + len]);
    cursor += len;
  }
  return out;
}

/** Options of {@link ByteTokenizer}. */
export interface ByteTokenizerOptions {
  /** Prepend BOS (id 256) when `addSpecialTokens` is on; default false. */
  addBos?: boolean;
}

/**
 * Byte-level tokenizer for synthetic corpora: token = one UTF-8 byte (ids 0–255), BOS = 256,
 * EOS = 257, vocabulary 258. Offsets are exact: every byte of a character spans that whole character.
 */
export class ByteTokenizer implements OffsetTokenizer {
  readonly vocabSize = 258;
  readonly bosTokenId = 256;
  readonly eosTokenId = 257;
  private readonly addBos: boolean;

  constructor(options: ByteTokenizerOptions = {}) {
    this.addBos = options.addBos ?? false;
  }

  encode(text: string, options: EncodeOptions = {}): Int32Array {
    return this.encodeWithOffsets(text, options).ids;
  }

  encodeWithOffsets(text: string, options: EncodeOptions = {}): { ids: Int32Array; offsets: Offset[] } {
    const ids: number[] = [];
    const offsets: Offset[] = [];
    if (this.addBos && options.addSpecialTokens !== false) {
      ids.push(this.bosTokenId);
      offsets.push([0, 0]);
    }
    const encoder = new TextEncoder();
    let at = 0;
    for (const ch of text) {
      const bytes = encoder.encode(ch);
      for (const b of bytes) {
        ids.push(b);
        offsets.push([at, at + ch.length]);
      }
      at += ch.length;
    }
    return { ids: Int32Array.from(ids), offsets };
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const bytes: number[] = [];
    let text = '';
    const flush = () => {
      text += new TextDecoder().decode(Uint8Array.from(bytes));
      bytes.length = 0;
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new LabError('OUT_OF_RANGE', `ids: token ${id} at position ${i} is outside the byte vocabulary [0, 257]`);
      }
      if (id < 256) bytes.push(id);
      else if (!options.skipSpecialTokens) {
        flush();
        text += id === this.bosTokenId ? '<s>' : '</s>';
      }
    }
    flush();
    return text;
  }
}

/**
 * A Hugging Face `tokenizer.json` tokenizer (BPE, byte-level BPE, SentencePiece-style, WordPiece…)
 * run by the `@huggingface/tokenizers` library, with character offsets from
 * {@link decodeDiffOffsets} (the library reports none).
 */
export class HfTokenizer implements OffsetTokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  /** The parsed `tokenizer_config.json` (chat template, special tokens); `{}` when none was given. */
  readonly config: Readonly<Record<string, unknown>>;
  private readonly impl: HfTokenizerImpl;

  /** @param tokenizerJson the parsed `tokenizer.json`; @param tokenizerConfig the parsed `tokenizer_config.json` (optional). */
  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown> = {}) {
    if (tokenizerJson === null || typeof tokenizerJson !== 'object' || typeof tokenizerJson.model !== 'object') {
      throw new LabError('MALFORMED_FILE', 'tokenizerJson: expected a tokenizer.json object with a "model" entry');
    }
    try {
      this.impl = new HfTokenizerImpl(tokenizerJson, tokenizerConfig);
    } catch (err) {
      throw new LabError(
        'MALFORMED_FILE',
        `tokenizerJson: @huggingface/tokenizers could not build it (${(err as Error).message})`,
        { cause: err },
      );
    }
    this.config = tokenizerConfig;
    const vocab = this.impl.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    const idOf = (key: string): number | null => {
      const v = tokenizerConfig[key];
      const content =
        typeof v === 'string'
          ? v
          : v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string'
            ? (v as { content: string }).content
            : null;
      return content === null ? null : (this.impl.token_to_id(content) ?? null);
    };
    this.bosTokenId = idOf('bos_token');
    this.eosTokenId = idOf('eos_token');
  }

  /**
   * Reads `tokenizer.json` (and `tokenizer_config.json`, `chat_template.jinja` when present) from a local
   * folder, or from a repo id (`org/name`) in the local HF hub cache ({@link resolveHfModelDir}; offline).
   */
  static fromDirectory(dirOrRepoId: string, options: ResolveHfModelOptions = {}): HfTokenizer {
    const dir = resolveModelLocation(
      dirOrRepoId,
      strictOptions<ResolveHfModelOptions>(
        options,
        { revision: undefined, cacheDir: undefined },
        'HfTokenizer.fromDirectory options',
      ),
      'HfTokenizer.fromDirectory',
    );
    const path = join(dir, 'tokenizer.json');
    if (!existsSync(path)) throw new LabError('NOT_FOUND', `HfTokenizer.fromDirectory: '${path}' does not exist`);
    const read = (p: string) => {
      try {
        return JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
      } catch (err) {
        throw new LabError(
          'MALFORMED_FILE',
          `HfTokenizer.fromDirectory: '${p}' is not valid JSON (${(err as Error).message})`,
        );
      }
    };
    const configPath = join(dir, 'tokenizer_config.json');
    const config = existsSync(configPath) ? read(configPath) : {};
    // transformers ≥ 4.43 may keep the chat template in its own file.
    const templatePath = join(dir, 'chat_template.jinja');
    if (existsSync(templatePath)) config.chat_template = readFileSync(templatePath, 'utf8');
    return new HfTokenizer(read(path), config);
  }

  encode(text: string, options: EncodeOptions = {}): Int32Array {
    return Int32Array.from(this.impl.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids);
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    return this.impl.decode(Array.from(ids), {
      skip_special_tokens: options.skipSpecialTokens ?? false,
      clean_up_tokenization_spaces: false,
    });
  }

  encodeWithOffsets(text: string, options: EncodeOptions = {}): { ids: Int32Array; offsets: Offset[] } {
    const ids = this.encode(text, options);
    return { ids, offsets: decodeDiffOffsets(ids, (x) => this.decode(x, { skipSpecialTokens: true })) };
  }

  /** Renders a conversation with this tokenizer's chat template ({@link applyChatTemplate} on {@link HfTokenizer.config}). */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    return applyChatTemplate(this.config, messages, options);
  }
}

/**
 * Gives any {@link Tokenizer} character offsets by {@link decodeDiffOffsets} (special tokens decoded
 * as empty), e.g. a tokenizer wrapped from another library.
 */
export function withDecodeDiffOffsets(tokenizer: Tokenizer): OffsetTokenizer {
  if ('encodeWithOffsets' in tokenizer && typeof (tokenizer as OffsetTokenizer).encodeWithOffsets === 'function')
    return tokenizer as OffsetTokenizer;
  return {
    vocabSize: tokenizer.vocabSize,
    bosTokenId: tokenizer.bosTokenId,
    eosTokenId: tokenizer.eosTokenId,
    encode: (text, options) => tokenizer.encode(text, options),
    decode: (ids, options) => tokenizer.decode(ids, options),
    encodeWithOffsets(text, options) {
      const ids = tokenizer.encode(text, options);
      return { ids, offsets: decodeDiffOffsets(ids, (x) => tokenizer.decode(x, { skipSpecialTokens: true })) };
    },
  };
}

/** Options of {@link IdentityTokenizer}. */
export interface IdentityTokenizerOptions {
  /** Between names in text (default `' '`); `''` reads text by longest name match (one-character symbols). */
  separator?: string;
  /** Name of the BOS token (must be in the vocabulary); default none. */
  bosToken?: string | null;
  /** Name of the EOS token (must be in the vocabulary); default none. */
  eosToken?: string | null;
  /** Prepend BOS when `addSpecialTokens` is on (default true when a BOS token is named). */
  addBos?: boolean;
}

/**
 * The tokenizer of a synthetic vocabulary: token i is the name `names[i]` (`new IdentityTokenizer(5)`
 * names them `'0'`…`'4'`), text is names joined by `separator`, offsets are exact. Unknown names
 * throw `NOT_FOUND`, ids outside the vocabulary `OUT_OF_RANGE` ({@link LabError}).
 */
export class IdentityTokenizer implements OffsetTokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly names: readonly string[];
  private readonly ids = new Map<string, number>();
  private readonly separator: string;
  private readonly addBos: boolean;
  private readonly longest: number;

  constructor(vocabulary: number | readonly string[], options: IdentityTokenizerOptions = {}) {
    const o = strictOptions<IdentityTokenizerOptions>(
      options,
      { separator: ' ', bosToken: undefined, eosToken: undefined, addBos: undefined },
      'IdentityTokenizer options',
    );
    const names =
      typeof vocabulary === 'number'
        ? (assertInRange(vocabulary, 'vocabulary', { min: 1, integer: true }),
          Array.from({ length: vocabulary }, (_, i) => String(i)))
        : [...vocabulary];
    if (names.length === 0) throw new LabError('EMPTY_INPUT', 'vocabulary: expected at least one name, got none');
    this.separator = o.separator!;
    names.forEach((name, i) => {
      if (typeof name !== 'string' || name === '' || (this.separator !== '' && name.includes(this.separator)))
        throw new LabError(
          'INVALID_ARGUMENT',
          `vocabulary[${i}]: expected a non-empty name without the separator ${JSON.stringify(this.separator)}, got ${JSON.stringify(name)}`,
        );
      if (this.ids.has(name))
        throw new LabError(
          'INVALID_ARGUMENT',
          `vocabulary[${i}]: expected unique names, got '${name}' again (first at ${this.ids.get(name)})`,
        );
      this.ids.set(name, i);
    });
    this.names = names;
    this.vocabSize = names.length;
    this.longest = Math.max(...names.map((n) => n.length));
    const special = (name: string | null | undefined, what: string) => {
      if (name === undefined || name === null) return null;
      const id = this.ids.get(name);
      if (id === undefined)
        throw new LabError('NOT_FOUND', `${what}: expected a name of the vocabulary, got '${name}'`);
      return id;
    };
    this.bosTokenId = special(o.bosToken, 'bosToken');
    this.eosTokenId = special(o.eosToken, 'eosToken');
    this.addBos = o.addBos ?? this.bosTokenId !== null;
  }

  /** The id of a name. */
  idOf(name: string): number {
    const id = this.ids.get(name);
    if (id === undefined)
      throw new LabError('NOT_FOUND', `name: expected a token of the vocabulary, got ${JSON.stringify(name)}`);
    return id;
  }

  /** The name of an id. */
  nameOf(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize)
      throw new LabError('OUT_OF_RANGE', `id: expected an integer in [0, ${this.vocabSize - 1}], got ${id}`);
    return this.names[id]!;
  }

  encode(text: string, options: EncodeOptions = {}): Int32Array {
    return this.encodeWithOffsets(text, options).ids;
  }

  encodeWithOffsets(text: string, options: EncodeOptions = {}): { ids: Int32Array; offsets: Offset[] } {
    const ids: number[] = [];
    const offsets: Offset[] = [];
    if (this.addBos && this.bosTokenId !== null && options.addSpecialTokens !== false) {
      ids.push(this.bosTokenId);
      offsets.push([0, 0]);
    }
    const push = (piece: string, at: number) => {
      const id = this.ids.get(piece);
      if (id === undefined)
        throw new LabError('NOT_FOUND', `text: expected token names, got ${JSON.stringify(piece)} at ${at}`);
      ids.push(id);
      offsets.push([at, at + piece.length]);
    };
    if (this.separator === '') {
      for (let at = 0; at < text.length;) {
        let len = Math.min(this.longest, text.length - at);
        while (len > 0 && !this.ids.has(text.slice(at, at + len))) len--;
        push(text.slice(at, at + Math.max(len, 1)), at);
        at += len;
      }
    } else {
      let at = 0;
      for (const piece of text.split(this.separator)) {
        if (piece !== '') push(piece, at);
        at += piece.length + this.separator.length;
      }
    }
    return { ids: Int32Array.from(ids), offsets };
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize)
        throw new LabError(
          'OUT_OF_RANGE',
          `ids: token ${id} at position ${i} is outside the vocabulary [0, ${this.vocabSize - 1}]`,
        );
      if (options.skipSpecialTokens && (id === this.bosTokenId || id === this.eosTokenId)) continue;
      out.push(this.names[id]!);
    }
    return out.join(this.separator);
  }
}
