#!/usr/bin/env node
// The `lab-longppl` command line: the option table and the commands in one place, on core's shared driver.
import { readFileSync } from 'node:fs';
import {
  LabError,
  defineCommand,
  replicateCommand,
  runCliIfMain,
  writeFileAtomic,
  type CliOption,
  type CliSpec,
} from '@lab/core';
import { HfTokenizer, loadCausalLM } from '@lab/lm';
import pkg from '../package.json';
import { DEFAULT_PRESET, type LongPPLReplicateOptions, PRESETS, defaultLongPPLOptions } from './config.js';
import {
  computeLongPPL,
  findKeySpans,
  formatSpanFile,
  keyMask,
  parseSpanFile,
  scoredModel,
  type ScoredModel,
} from './longppl.js';
import { replicate } from './replicate.js';

const alpha = {
  type: 'number',
  default: defaultLongPPLOptions.alpha,
  description: 'LSD threshold α in nats (key iff the long context raises log p by more)',
} as const satisfies CliOption;
const beta = {
  type: 'number',
  default: defaultLongPPLOptions.beta,
  description: 'LCL threshold β in nats (key iff the long-context log p exceeds it)',
} as const satisfies CliOption;

/** The key-token search flags of `score` and `find-key-tokens` (LongPPLOptions, plus the scorer's query block). */
const searchOptions = {
  'trunc-len': {
    type: 'number',
    integer: true,
    min: 1,
    default: defaultLongPPLOptions.truncLen,
    description: 'short context K of the short passes',
  },
  'sliding-window': {
    type: 'number',
    integer: true,
    min: 1,
    default: defaultLongPPLOptions.slidingWindow,
    description: 'window stride d of the short passes',
  },
  alpha,
  beta,
  'query-chunk': {
    type: 'number',
    integer: true,
    min: 1,
    default: 256,
    param: 'queryChunk',
    description: 'attention query block of the models (memory ∝ block × tokens)',
  },
} as const satisfies Record<string, CliOption>;

const modelFolder = (description: string) =>
  ({ type: 'input', kind: 'dir', description: `${description} (local Hugging Face folder)` }) as const;
const textFile = { type: 'input', required: true, description: 'UTF-8 text file' } as const satisfies CliOption;

type SearchValues = { 'trunc-len': number; 'sliding-window': number; alpha: number; beta: number };
const searchOptionsOf = (v: SearchValues) => ({
  truncLen: v['trunc-len'],
  slidingWindow: v['sliding-window'],
  alpha: v.alpha,
  beta: v.beta,
});

/** A local Hugging Face folder (config.json, model.safetensors[.index.json], tokenizer.json) as a scored model. */
function loadScored(dir: string, queryChunk: number): ScoredModel {
  return scoredModel(loadCausalLM(dir), HfTokenizer.fromDirectory(dir), { queryChunk });
}

const score = defineCommand({
  description: 'LongPPL and PPL of a model on a text, with key tokens from an evaluator (or a span file)',
  options: {
    model: { ...modelFolder('evaluated model'), required: true },
    evaluator: modelFolder('evaluator model'),
    spans: { type: 'input', description: 'key-span file (official format), used instead of --evaluator' },
    text: textFile,
    json: { type: 'json', description: 'the result as JSON: on stdout alone, or to a file' },
    ...searchOptions,
  },
  async run({ values, progress, output }) {
    const text = readFileSync(values.text, 'utf8');
    if (values.spans === undefined && values.evaluator === undefined)
      throw new LabError('INVALID_ARGUMENT', '--evaluator: required unless --spans gives the key spans');
    const model = loadScored(values.model, values['query-chunk']);
    const keys =
      values.spans !== undefined
        ? parseSpanFile(readFileSync(values.spans, 'utf8'))
        : loadScored(values.evaluator!, values['query-chunk']);
    const r = await computeLongPPL(text, model, keys, { ...searchOptionsOf(values), onProgress: progress.onProgress });
    progress.stop();
    const longppl = r.longppl === null ? 'undefined (no key tokens)' : r.longppl.toFixed(4);
    output(r, `LongPPL ${longppl} over ${r.nKey} key tokens; PPL ${r.ppl.toFixed(4)} over ${r.nToken} tokens`);
  },
});

const findKeyTokens = defineCommand({
  description: 'Key character spans of a text from an evaluator, in the official span-file format',
  options: {
    evaluator: { ...modelFolder('evaluator model'), required: true },
    text: textFile,
    out: { type: 'output', description: 'write the span file here (else it is printed)' },
    json: { type: 'json', description: 'spans, key positions, LSD and LCL as JSON: on stdout alone, or to a file' },
    ...searchOptions,
  },
  async run({ values, progress, output }) {
    const text = readFileSync(values.text, 'utf8');
    const evaluator = loadScored(values.evaluator, values['query-chunk']);
    const r = await findKeySpans(text, evaluator, { ...searchOptionsOf(values), onProgress: progress.onProgress });
    progress.stop();
    const spanFile = formatSpanFile(r.spans);
    if (values.out !== undefined) writeFileAtomic(values.out, `${spanFile}\n`);
    const result = {
      spans: r.spans,
      keyPositions: Array.from(r.keyPositions),
      lsd: Array.from(r.lsd),
      lcl: Array.from(r.lcl),
    };
    const written = `${r.spans.length} key spans (${r.keyPositions.length} key tokens) written to ${values.out}`;
    output(result, values.out === undefined ? spanFile : written);
  },
});

const spans = defineCommand({
  description:
    'Key mask from precomputed losses: JSON {"lossFull": [...], "lossShort": [...]} (aligned per target) on stdin or --input',
  options: {
    input: { type: 'input', description: 'JSON file (default: stdin)' },
    alpha,
    beta,
    json: { type: 'json', description: 'the mask as JSON on stdout (the default), or to a file' },
  },
  needsBackend: false,
  run({ values, output }) {
    const source = values.input === undefined ? 'stdin' : '--input';
    const raw = readFileSync(values.input ?? 0, 'utf8');
    let input: { lossFull?: number[]; lossShort?: number[] };
    try {
      input = JSON.parse(raw) as typeof input;
    } catch (err) {
      throw new LabError('MALFORMED_FILE', `${source}: not valid JSON (${(err as Error).message})`);
    }
    if (input === null || !Array.isArray(input.lossFull) || !Array.isArray(input.lossShort))
      throw new LabError('MALFORMED_FILE', `${source}: expected a JSON object with arrays "lossFull" and "lossShort"`);
    const mask = keyMask(input.lossFull, input.lossShort, values.alpha, values.beta);
    const indices = Array.from(mask.entries())
      .filter(([, m]) => m)
      .map(([i]) => i);
    output({ mask: Array.from(mask), indices });
  },
});

/** The `lab-longppl` CLI (exported for tests; runs when this file is the program). */
export const cliSpec: CliSpec = {
  name: 'lab-longppl',
  version: pkg.version,
  description:
    'LongPPL (Fang et al., ICLR 2025): perplexity on the key tokens an evaluator finds by long–short contrast.',
  commands: {
    score,
    'find-key-tokens': findKeyTokens,
    spans,
    replicate: replicateCommand({
      presets: PRESETS,
      defaultPreset: DEFAULT_PRESET,
      description:
        'Run the miniature replication (tier 1 analytic zoo; tier 2 LongCE vs CE fine-tuning of a tiny LLaMA in standard and full)',
      replicate: (options) => replicate(options as LongPPLReplicateOptions),
      options: {
        tier: { type: 'choice', choices: ['1', '2'], description: "run only this tier (default: the preset's)" },
      },
      extra: (values) => (values.tier === undefined ? {} : { tiers: [Number(values.tier) as 1 | 2] }),
    }),
  },
};

runCliIfMain(cliSpec, import.meta.url);
