import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Rng, initBackend, runCli, tf } from '@lab/core';
import { ByteTokenizer, CausalLM, llamaConfig } from '@lab/lm';
import { cliSpec } from '../src/cli.js';
import {
  alignKeySpans,
  analyticZooModel,
  batchLongCEWeights,
  trainStep,
  computeLongPPL,
  corpusAggregate,
  documentLongPPL,
  findKeySpans,
  formatSpanFile,
  keyMask,
  keyValueCorpus,
  longCELoss,
  longCEWeights,
  longShortLosses,
  mergeAdjacentSpans,
  parseSpanFile,
  replicate,
  resolveLongCEOptions,
  resolveLongPPLOptions,
  scoredModel,
  selfLongCEWeights,
  symbolTokenizer,
  windowSchedule,
  type Span,
} from '../src/index.js';
import { charTokenizer, toyScorer } from './helpers.js';

beforeAll(async () => {
  await initBackend('wasm');
});
afterEach(() => vi.restoreAllMocks());

const scorer = toyScorer({ beta_big: 2, gamma: 3, lookback: null });
const toy = { scorer, tokenizer: charTokenizer };
const text = 'abcdabcdabcdabcdabcdabcd';
const ids = charTokenizer.encode(text);
const corpus = keyValueCorpus(new Rng(0), 1, { length: 192, nDefinitions: 6, nQueries: 4 });
/** Enough of a CausalLM for scoredModel's checks, which run before the model is used. */
const fakeModel = (vocabSize: number) => ({ config: { vocabSize } }) as never;

type Case = [string, () => unknown, string, RegExp];

let tinyLM: CausalLM | undefined;
/** A 1-layer LLaMA over 8 ids, built on first use (after the backend is set). */
const lm = () =>
  (tinyLM ??= CausalLM.random(
    llamaConfig({ vocabSize: 8, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 8 }),
  ));
const batchIds = Int32Array.from({ length: 2 * 6 }, (_, i) => i % 8); // [2, 6]

/** Each public entry point with bad input → the LabError code and a fragment of its message. */
const cases: Case[] = [
  [
    'windowSchedule: K = 0',
    () => windowSchedule(10, 0, 2),
    'OUT_OF_RANGE',
    /truncLen: expected an integer >= 1, got 0/,
  ],
  ['windowSchedule: n < 0', () => windowSchedule(-1, 4, 2), 'OUT_OF_RANGE', /n: expected an integer >= 0/],
  ['keyMask: lengths differ', () => keyMask([1, 2], [1], 2, -2), 'SHAPE_MISMATCH', /lossShort: expected the length/],
  ['keyMask: NaN α', () => keyMask([1], [1], NaN, -2), 'NON_FINITE', /alpha: expected a finite number/],
  ['keyMask: NaN loss', () => keyMask([NaN], [1], 2, -2), 'NON_FINITE', /lossFull: expected finite losses/],
  ['keyMask: negative loss', () => keyMask([1], [-1], 2, -2), 'OUT_OF_RANGE', /lossShort: expected non-negative/],
  ['mergeAdjacentSpans: reversed', () => mergeAdjacentSpans([[3, 2]]), 'INVALID_ARGUMENT', /start 3 is after end 2/],
  [
    'mergeAdjacentSpans: unsorted',
    () =>
      mergeAdjacentSpans([
        [4, 5],
        [1, 2],
      ]),
    'INVALID_ARGUMENT',
    /sorted by start/,
  ],
  [
    'alignKeySpans: unknown option',
    () => alignKeySpans([[0, 1]], [[0, 1]], { faithfull: true } as never),
    'INVALID_ARGUMENT',
    /alignKeySpans options: unknown option 'faithfull' \(did you mean 'faithful'\?\)/,
  ],
  [
    'alignKeySpans: non-monotone offsets',
    () =>
      alignKeySpans(
        [
          [0, 2],
          [1, 1],
        ],
        [[0, 2]],
      ),
    'INVALID_ARGUMENT',
    /offsets: expected monotonically increasing/,
  ],
  ['parseSpanFile: code', () => parseSpanFile('[1, 2];__import__("os")'), 'MALFORMED_FILE', /expected '\['/],
  ['parseSpanFile: reversed', () => parseSpanFile('[9, 3]'), 'MALFORMED_FILE', /starts after it ends/],
  ['formatSpanFile: fraction', () => formatSpanFile([[1.5, 2]] as Span[]), 'INVALID_ARGUMENT', /spans\[0\]/],
  ['documentLongPPL: nToken', () => documentLongPPL([1], [0], 3), 'SHAPE_MISMATCH', /nToken: expected/],
  ['documentLongPPL: no loss', () => documentLongPPL([], [], 1), 'EMPTY_INPUT', /at least one next-token loss/],
  [
    'documentLongPPL: faithful as text',
    () => documentLongPPL([1, 2], [0], 3, { faithful: 'yes' } as never),
    'INVALID_ARGUMENT',
    /faithful: expected boolean, got string/,
  ],
  ['documentLongPPL: index', () => documentLongPPL([1, 2], [2], 3), 'OUT_OF_RANGE', /keyLossIdx\[0\]/],
  ['corpusAggregate: no documents', () => corpusAggregate([]), 'EMPTY_INPUT', /docs: expected at least one/],
  ['longCEWeights: cap 0', () => longCEWeights([1, 2], new Map(), 3, 0), 'OUT_OF_RANGE', /cap: expected a number > 0/],
  ['longCEWeights: length', () => longCEWeights([1], new Map(), 3), 'SHAPE_MISMATCH', /lossFull: expected n − 1 = 2/],
  [
    'longCEWeights: target',
    () => longCEWeights([1, 2], new Map([[5, 1]]), 3),
    'OUT_OF_RANGE',
    /target 5 outside \[1, 2\]/,
  ],
  [
    'longCELoss: rank 2',
    () => longCELoss(tf.zeros([2, 2]) as never, new Float32Array(2)),
    'SHAPE_MISMATCH',
    /nll: expected a 1-D tensor/,
  ],
  [
    'longCELoss: all masked',
    () => longCELoss(tf.zeros([2]) as tf.Tensor1D, new Float32Array(2), new Uint8Array(2)),
    'EMPTY_INPUT',
    /mask: expected at least one unmasked/,
  ],
  [
    'scoredModel: unknown option',
    () => scoredModel(fakeModel(258), new ByteTokenizer(), { queryChunck: 8 } as never),
    'INVALID_ARGUMENT',
    /scoredModel options: unknown option 'queryChunck' \(did you mean 'queryChunk'\?\)/,
  ],
  [
    'scoredModel: query chunk 0',
    () => scoredModel(fakeModel(258), new ByteTokenizer(), { queryChunk: 0 }),
    'OUT_OF_RANGE',
    /queryChunk: expected an integer >= 1, got 0/,
  ],
  [
    'scoredModel: vocabulary',
    () => scoredModel(fakeModel(100), new ByteTokenizer()),
    'SHAPE_MISMATCH',
    /does not fit the model's \(100 ids\)/,
  ],
  ['keyValueCorpus: 0 documents', () => keyValueCorpus(new Rng(0), 0), 'OUT_OF_RANGE', /nDocs: expected an integer/],
  [
    'keyValueCorpus: unknown option',
    () => keyValueCorpus(new Rng(0), 1, { nQueris: 2 } as never),
    'INVALID_ARGUMENT',
    /keyValueCorpus options: unknown option 'nQueris' \(did you mean 'nQueries'\?\)/,
  ],
  [
    'keyValueCorpus: more queries than definitions',
    () => keyValueCorpus(new Rng(0), 1, { nQueries: 9 }),
    'OUT_OF_RANGE',
    /nQueries: expected at most nDefinitions = 8, got 9/,
  ],
  [
    'keyValueCorpus: queries do not fit',
    () => keyValueCorpus(new Rng(0), 1, { length: 64 }),
    'OUT_OF_RANGE',
    /queries of 8 tokens do not fit/,
  ],
  [
    'keyValueCorpus: more successors than filler symbols',
    () => keyValueCorpus(new Rng(0), 1, { nFiller: 2 }),
    'OUT_OF_RANGE',
    /successors: expected at most nFiller = 2, got 3/,
  ],
  [
    'keyValueCorpus: query start outside [0, 1]',
    () => keyValueCorpus(new Rng(0), 1, { queryStart: 1.5 }),
    'OUT_OF_RANGE',
    /queryStart: expected a number >= 0 and <= 1, got 1.5/,
  ],
  [
    'analyticZooModel: λ > 1',
    () => analyticZooModel(corpus, { lambda: 1.5 }),
    'OUT_OF_RANGE',
    /lambda: expected a number >= 0 and <= 1, got 1.5/,
  ],
  [
    'analyticZooModel: unknown option',
    () => analyticZooModel(corpus, { windw: 8 } as never),
    'INVALID_ARGUMENT',
    /analyticZooModel options: unknown option 'windw' \(did you mean 'window'\?\)/,
  ],
  [
    'analyticZooModel: a symbol outside the vocabulary',
    () => analyticZooModel(corpus).distribution(Int32Array.of(0, 999), 1),
    'OUT_OF_RANGE',
    /ids: token 999 at 1/,
  ],
  [
    'symbolTokenizer: unknown character',
    () => symbolTokenizer(4).encode('0z'),
    'OUT_OF_RANGE',
    /character "z" at 1 is not one of the 4 symbols/,
  ],
  [
    'resolveLongPPLOptions: unknown option',
    () => resolveLongPPLOptions({ alfa: 1 } as never),
    'INVALID_ARGUMENT',
    /unknown option 'alfa' \(did you mean 'alpha'\?\)/,
  ],
  [
    'resolveLongPPLOptions: infinite β',
    () => resolveLongPPLOptions({ beta: -Infinity }),
    'NON_FINITE',
    /beta: expected a finite number/,
  ],
  [
    'resolveLongCEOptions: cap < 0',
    () => resolveLongCEOptions({ cap: -1 }),
    'OUT_OF_RANGE',
    /cap: expected a number > 0/,
  ],
  [
    'trainStep: an unknown objective',
    () => trainStep(lm(), tf.train.sgd(0.1), batchIds, 2, 6, 'longppl' as never),
    'INVALID_ARGUMENT',
    /objective: expected 'ce' or 'longce', got longppl/,
  ],
  [
    'trainStep: ids do not fill [B, n]',
    () => trainStep(lm(), tf.train.sgd(0.1), batchIds, 2, 5, 'ce'),
    'SHAPE_MISMATCH',
    /ids: expected batch × n = 10 ids, got 12/,
  ],
  [
    'trainStep: cap γ 0',
    () => trainStep(lm(), tf.train.sgd(0.1), batchIds, 2, 6, 'longce', { cap: 0 }),
    'OUT_OF_RANGE',
    /cap: expected a number > 0, got 0/,
  ],
  [
    'trainStep: an unknown option',
    () => trainStep(lm(), tf.train.sgd(0.1), batchIds, 2, 6, 'longce', { trunc: 2 } as never),
    'INVALID_ARGUMENT',
    /trainStep options: unknown option 'trunc'/,
  ],
  [
    'batchLongCEWeights: batch 0',
    () => batchLongCEWeights(lm(), batchIds, 0, 6),
    'OUT_OF_RANGE',
    /batch: expected an integer >= 1, got 0/,
  ],
  [
    'batchLongCEWeights: lossFull of the wrong length',
    () => batchLongCEWeights(lm(), batchIds, 2, 6, { truncLen: 2, slidingWindow: 2 }, new Float32Array(3)),
    'SHAPE_MISMATCH',
    /lossFull: expected 10 losses, got 3/,
  ],
  [
    'batchLongCEWeights: K = 0',
    () => batchLongCEWeights(lm(), batchIds, 2, 6, { truncLen: 0 }),
    'OUT_OF_RANGE',
    /truncLen: expected an integer >= 1, got 0/,
  ],
];

/** The async entry points: input → the code and message fragment of the rejection. */
const asyncCases: Case[] = [
  ['longShortLosses: one token', () => longShortLosses(ids.slice(0, 1), scorer), 'EMPTY_INPUT', /at least 2 tokens/],
  [
    'longShortLosses: onProgress not a function',
    () => longShortLosses(ids, scorer, { onProgress: 5 } as never),
    'INVALID_ARGUMENT',
    /onProgress: expected a function, got number/,
  ],
  [
    'longShortLosses: BOS without a BOS token',
    () => longShortLosses(ids, scorer, { truncLen: 8, slidingWindow: 4, prependBosToShort: true }),
    'INVALID_ARGUMENT',
    /prependBosToShort: the tokenizer has no BOS token/,
  ],
  ['findKeySpans: empty text', () => findKeySpans('', toy), 'EMPTY_INPUT', /text: expected a non-empty string/],
  [
    'findKeySpans: unknown option',
    () => findKeySpans(text, toy, { treshold: 1 } as never),
    'INVALID_ARGUMENT',
    /findKeySpans options: unknown option 'treshold'/,
  ],
  [
    'findKeySpans: K = 0',
    () => findKeySpans(text, toy, { truncLen: 0 }),
    'OUT_OF_RANGE',
    /truncLen: expected an integer >= 1, got 0/,
  ],
  [
    'computeLongPPL: infinite α',
    () => computeLongPPL(text, toy, toy, { alpha: Infinity }),
    'NON_FINITE',
    /alpha: expected a finite number/,
  ],
  ['computeLongPPL: reversed span', () => computeLongPPL(text, toy, [[5, 2]]), 'INVALID_ARGUMENT', /spans\[0\]/],
  ['computeLongPPL: one token', () => computeLongPPL('a', toy, []), 'EMPTY_INPUT', /at least 2 tokens, got 1/],
  [
    'selfLongCEWeights: an option it does not take',
    () => selfLongCEWeights(ids, scorer, { faithful: true } as never),
    'INVALID_ARGUMENT',
    /selfLongCEWeights options: unknown option 'faithful'/,
  ],
  [
    'selfLongCEWeights: cap 0',
    () => selfLongCEWeights(ids, scorer, { cap: 0 }),
    'OUT_OF_RANGE',
    /cap: expected a number > 0, got 0/,
  ],
  [
    'replicate: unknown preset',
    () => replicate({ preset: 'huge' as never }),
    'INVALID_ARGUMENT',
    /preset: expected one of 'quick', 'standard', 'full', got 'huge'/,
  ],
  [
    'replicate: unknown option',
    () => replicate({ tier: 1 } as never),
    'INVALID_ARGUMENT',
    /replicate options: unknown option 'tier' \(did you mean 'tiers'\?\)/,
  ],
  ['replicate: tier 3', () => replicate({ tiers: [3] as never }), 'INVALID_ARGUMENT', /tiers: expected a list of 1/],
  ['replicate: 0 seeds', () => replicate({ seeds: 0 }), 'OUT_OF_RANGE', /seeds: expected a positive integer/],
  [
    'replicate: unknown tier-1 option',
    () => replicate({ tier1: { docs: 3 } as never }),
    'INVALID_ARGUMENT',
    /tier1 options: unknown option 'docs'/,
  ],
  [
    'replicate: an old tier-2 option (the windowed zoo is gone)',
    () => replicate({ tier2: { windows: [8] } as never }),
    'INVALID_ARGUMENT',
    /tier2 options: unknown option 'windows'/,
  ],
  [
    'replicate: tier-2 fine-tuning steps 0',
    () => replicate({ tier2: { fineTuneSteps: 0 } }),
    'OUT_OF_RANGE',
    /fineTuneSteps: expected an integer >= 1/,
  ],
  [
    'replicate: tier-2 base accuracy gate above 1',
    () => replicate({ tier2: { minBaseAccuracy: 1.5 } }),
    'OUT_OF_RANGE',
    /minBaseAccuracy/,
  ],
  [
    'replicate: tier-2 cap γ 0',
    () => replicate({ tier2: { cap: 0 } }),
    'OUT_OF_RANGE',
    /cap: expected a number > 0, got 0/,
  ],
  [
    'replicate: tier-2 learning rate 0 (refused before tier 1 runs)',
    () => replicate({ tier2: { learningRate: 0 } }),
    'OUT_OF_RANGE',
    /learningRate: expected a number > 0, got 0/,
  ],
];

describe('bad input', () => {
  it.each(cases)('%s', (_name, call, code, message) => {
    expect(call).toThrow(message);
    try {
      call();
    } catch (err) {
      expect((err as { code?: string }).code).toBe(code);
    }
  });

  it.each(asyncCases)('%s', async (_name, call, code, message) => {
    await expect(call()).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  });
});

describe('bad input on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-longppl-bad-'));
  const textFile = join(dir, 'doc.txt');
  writeFileSync(textFile, text);
  const blocker = join(dir, 'a-file');
  writeFileSync(blocker, 'x');
  const empty = join(dir, 'empty.json');
  writeFileSync(empty, '[]');
  const negative = join(dir, 'negative.json');
  writeFileSync(negative, JSON.stringify({ lossFull: [1, -1], lossShort: [1, 2] }));

  /** argv → exit code and a fragment of stderr (usage errors exit 2 before any work; run-time errors exit 1). */
  const cliCases: [string, string[], number, RegExp][] = [
    [
      '--trunc-len 0',
      ['score', '--model', dir, '--spans', textFile, '--text', textFile, '--trunc-len', '0'],
      2,
      /--trunc-len: expected an integer >= 1, got 0/,
    ],
    [
      '--query-chunk 1.5',
      ['find-key-tokens', '--evaluator', dir, '--text', textFile, '--query-chunk', '1.5'],
      2,
      /--query-chunk: expected an integer >= 1, got 1.5/,
    ],
    ['--alpha x', ['spans', '--alpha', 'x'], 2, /--alpha: expected a number, got 'x'/],
    ['--beta without a value', ['spans', '--beta'], 2, /--beta: expected a value/],
    ['a missing --text', ['score', '--model', dir, '--text', join(dir, 'nope.txt')], 2, /--text: cannot read/],
    ['--model is a file', ['score', '--model', textFile, '--text', textFile], 2, /--model: expected a folder/],
    ['--text is required', ['find-key-tokens', '--evaluator', dir], 2, /--text: required/],
    [
      'an unwritable --out',
      ['find-key-tokens', '--evaluator', dir, '--text', textFile, '--out', join(blocker, 'key.txt')],
      2,
      /--out: cannot create the folder/,
    ],
    [
      'an unwritable --json',
      ['spans', '--input', negative, '--json', join(blocker, 'mask.json')],
      2,
      /--json: cannot create the folder/,
    ],
    [
      'an unknown preset',
      ['replicate', '--preset', 'bogus'],
      2,
      /--preset: expected one of 'quick', 'standard', 'full'/,
    ],
    ['--tier 3', ['replicate', '--tier', '3'], 2, /--tier: expected one of '1', '2', got '3'/],
    ['--seeds 0', ['replicate', '--seeds', '0'], 2, /--seeds: expected an integer >= 1/],
    [
      'neither --evaluator nor --spans',
      ['score', '--model', dir, '--text', textFile],
      1,
      /INVALID_ARGUMENT: --evaluator: required unless --spans/,
    ],
    ['a JSON array on --input', ['spans', '--input', empty], 1, /MALFORMED_FILE: --input: expected a JSON object/],
    ['a negative loss', ['spans', '--input', negative], 1, /OUT_OF_RANGE: lossFull: expected non-negative NLLs/],
  ];

  it.each(cliCases)('%s', async (_name, argv, status, message) => {
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await runCli(cliSpec, [...argv, '--quiet'])).toBe(status);
    expect(err.join('\n')).toMatch(message);
  });
});
