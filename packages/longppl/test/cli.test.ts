import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend, runCli } from '@lab/core';
import { CausalLM, llamaConfig, saveCausalLM } from '@lab/lm';
import pkg from '../package.json';
import { cliSpec } from '../src/cli.js';

/** A byte-level tokenizer.json (ids = bytes, no merges) that @huggingface/tokenizers can load. */
function byteTokenizerJson(): Record<string, unknown> {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let extra = 0;
  for (let b = 0; b < 256; b++)
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + extra++);
    }
  const vocab: Record<string, number> = {};
  bs.forEach((b, i) => (vocab[String.fromCharCode(cs[i]!)] = b));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [],
    },
  };
}

let out: string[] = [];
beforeAll(async () => {
  await initBackend('wasm');
});
afterEach(() => vi.restoreAllMocks());

async function run(args: string[]): Promise<number> {
  out = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return runCli(cliSpec, [...args, '--quiet']);
}

describe('lab-longppl CLI', () => {
  it('score and find-key-tokens on local HF folders (tiny random LLaMA, byte tokenizer)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-longppl-cli-'));
    const model = CausalLM.random(
      llamaConfig({ vocabSize: 256, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32 }),
      { seed: 1 },
    );
    saveCausalLM(model, dir);
    model.dispose();
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(byteTokenizerJson()));
    const textFile = join(dir, 'doc.txt');
    writeFileSync(textFile, 'the cat sat on the mat. the dog sat on the log. the cat sat on the mat.');
    const search = ['--text', textFile, '--trunc-len', '16', '--sliding-window', '8'];
    expect(await run(['score', '--model', dir, '--evaluator', dir, ...search, '--json'])).toBe(0);
    const r = JSON.parse(out[0]!);
    expect(r.nToken).toBe(71);
    expect(r.ppl).toBeGreaterThan(1);
    expect(await run(['find-key-tokens', '--evaluator', dir, ...search, '--alpha=-100', '--beta', '-100'])).toBe(0);
    expect(out[0]).toMatch(/^\[16, \d+\]/); // every target from K on is key with these thresholds
    const printed = out[0]!;
    // --out writes the span file and says so; --json FILE writes the JSON beside it.
    const outFile = join(dir, 'found', 'key.txt');
    const jsonFile = join(dir, 'found', 'key.json');
    const args = [...search, '--alpha', '-100', '--beta', '-100'];
    expect(await run(['find-key-tokens', '--evaluator', dir, ...args, '--out', outFile, '--json', jsonFile])).toBe(0);
    expect(readFileSync(outFile, 'utf8')).toBe(`${printed}\n`);
    expect(out[0]).toMatch(/key spans \(\d+ key tokens\) written to .*key\.txt/);
    const found = JSON.parse(readFileSync(jsonFile, 'utf8'));
    expect(found.keyPositions[0]).toBe(16);
    expect(found.lsd.length).toBe(found.lcl.length);
    const spanFile = join(dir, 'spans.txt');
    writeFileSync(spanFile, '[16, 20]');
    expect(await run(['score', '--model', dir, '--spans', spanFile, '--text', textFile, '--json'])).toBe(0);
    expect(JSON.parse(out[0]!).nKey).toBe(4);
  });

  it('spans: key mask and indices from precomputed losses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-longppl-spans-'));
    const file = join(dir, 'losses.json');
    writeFileSync(file, JSON.stringify({ lossFull: [0.1, 3, 0.5, 0.2], lossShort: [4, 3.1, 3, 0.3] }));
    expect(await run(['spans', '--input', file, '--alpha', '2', '--beta=-2'])).toBe(0);
    expect(JSON.parse(out[0]!)).toEqual({ mask: [1, 0, 1, 0], indices: [0, 2] });
    writeFileSync(file, '{ broken');
    expect(await run(['spans', '--input', file])).toBe(1);
    expect(out.join('\n')).toMatch(/--input: not valid JSON/);
  });

  it('bad input is a usage error (exit 2) naming the flag; --help lists the commands; --version', async () => {
    expect(await run(['score', '--model', '/nonexistent', '--text', '/nonexistent.txt'])).toBe(2);
    expect(out.join('\n')).toMatch(/--model: cannot read '\/nonexistent' \(ENOENT\)/);
    expect(await run(['replicate', '--tier', '3'])).toBe(2);
    expect(out.join('\n')).toMatch(/--tier: expected one of '1', '2', got '3'/);
    expect(await run(['replicate', '--preset', 'bogus'])).toBe(2);
    expect(out.join('\n')).toMatch(/--preset: expected one of 'quick', 'standard', 'full', got 'bogus'/);
    expect(await runCli(cliSpec, ['--help'])).toBe(0);
    expect(out.join('\n')).toMatch(/find-key-tokens/);
    expect(await runCli(cliSpec, ['--version'])).toBe(0);
    expect(out.join('\n')).toContain(pkg.version);
  });

  it('replicate --tier 1 --seeds 1 prints the report with core formatReport', async () => {
    expect(await run(['replicate', '--preset', 'quick', '--tier', '1', '--seeds', '1'])).toBe(0);
    expect(out.join('\n')).toMatch(/\*\*Verdict: \w[\w-]*\*\* · preset `quick` · seeds 0/);
  }, 60_000);
});
