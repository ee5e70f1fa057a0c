import { readFileSync } from 'node:fs';
import {
  LabError,
  initBackend,
  numberOption,
  runCli,
  writeFileAtomic,
  type CliSpec,
  type ProgressEvent,
} from '@lab/core';
import { HfTokenizer, loadCausalLM } from '@lab/lm';
import { defaultLongPPLOptions, type LongPPLOptions } from './config.js';
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

const thresholdOptions = {
  'trunc-len': { type: 'string', description: `short context K (default ${defaultLongPPLOptions.truncLen})` },
  'sliding-window': { type: 'string', description: `window stride d (default ${defaultLongPPLOptions.slidingWindow})` },
  alpha: { type: 'string', description: `LSD threshold α (default ${defaultLongPPLOptions.alpha})` },
  beta: { type: 'string', description: `LCL threshold β (default ${defaultLongPPLOptions.beta})` },
  'query-chunk': { type: 'string', description: 'attention query block (default 256)' },
} as const;

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

function lpOptions(values: Values): Partial<LongPPLOptions> {
  return {
    truncLen: numberOption(values['trunc-len'], 'trunc-len', defaultLongPPLOptions.truncLen),
    slidingWindow: numberOption(values['sliding-window'], 'sliding-window', defaultLongPPLOptions.slidingWindow),
    alpha: numberOption(values.alpha, 'alpha', defaultLongPPLOptions.alpha),
    beta: numberOption(values.beta, 'beta', defaultLongPPLOptions.beta),
  };
}

function readText(path: unknown, flag: string): string {
  if (typeof path !== 'string') throw new LabError('INVALID_ARGUMENT', `--${flag}: required`);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new LabError('NOT_FOUND', `--${flag}: cannot read '${path}' (${(err as Error).message})`);
  }
}

/** A local Hugging Face folder (config.json, model.safetensors[.index.json], tokenizer.json). */
function loadScored(dir: unknown, flag: string, values: Values): ScoredModel {
  if (typeof dir !== 'string')
    throw new LabError('INVALID_ARGUMENT', `--${flag}: required (a local Hugging Face model folder)`);
  const model = loadCausalLM(dir);
  return scoredModel(model, HfTokenizer.fromDirectory(dir), {
    queryChunk: numberOption(values['query-chunk'], 'query-chunk', 256),
  });
}

const progress = (e: ProgressEvent) => process.stderr.write(`\r${e.stage} ${e.done}/${e.total}   `);

/** The `lab-longppl` command line (run by src/cli.ts; exported for tests). */
export const cliSpec: CliSpec = {
  name: 'lab-longppl',
  description:
    'LongPPL (Fang et al., ICLR 2025): perplexity on the key tokens an evaluator finds by long–short contrast.',
  commands: {
    score: {
      description: 'LongPPL and PPL of a model on a text, with key tokens from an evaluator (or a span file)',
      options: {
        model: { type: 'string', description: 'evaluated model folder (HF layout, local)' },
        evaluator: { type: 'string', description: 'evaluator model folder (HF layout, local)' },
        spans: { type: 'string', description: 'key-span file (official format) instead of --evaluator' },
        text: { type: 'string', description: 'UTF-8 text file' },
        json: { type: 'boolean', default: false, description: 'print JSON' },
        ...thresholdOptions,
      },
      async run({ values }) {
        await initBackend();
        const text = readText(values.text, 'text');
        const model = loadScored(values.model, 'model', values);
        const keys =
          typeof values.spans === 'string'
            ? parseSpanFile(readText(values.spans, 'spans'))
            : loadScored(values.evaluator, 'evaluator', values);
        const r = await computeLongPPL(text, model, keys, { ...lpOptions(values), onProgress: progress });
        process.stderr.write('\n');
        if (values.json) console.log(JSON.stringify(r));
        else
          console.log(
            `LongPPL ${r.longppl === null ? 'undefined (no key tokens)' : r.longppl.toFixed(4)} over ${r.nKey} key tokens; PPL ${r.ppl.toFixed(4)} over ${r.nToken} tokens`,
          );
      },
    },
    'find-key-tokens': {
      description: 'Key character spans of a text from an evaluator, in the official span-file format',
      options: {
        evaluator: { type: 'string', description: 'evaluator model folder (HF layout, local)' },
        text: { type: 'string', description: 'UTF-8 text file' },
        out: { type: 'string', description: 'write the span file here instead of stdout' },
        json: { type: 'boolean', default: false, description: 'print spans, key positions, LSD and LCL as JSON' },
        ...thresholdOptions,
      },
      async run({ values }) {
        await initBackend();
        const text = readText(values.text, 'text');
        const r = await findKeySpans(text, loadScored(values.evaluator, 'evaluator', values), {
          ...lpOptions(values),
          onProgress: progress,
        });
        process.stderr.write('\n');
        if (typeof values.out === 'string') writeFileAtomic(values.out, `${formatSpanFile(r.spans)}\n`);
        if (values.json)
          console.log(
            JSON.stringify({
              spans: r.spans,
              keyPositions: Array.from(r.keyPositions),
              lsd: Array.from(r.lsd),
              lcl: Array.from(r.lcl),
            }),
          );
        else if (typeof values.out !== 'string') console.log(formatSpanFile(r.spans));
      },
    },
    spans: {
      description:
        'Key mask from precomputed losses: JSON {"lossFull": [...], "lossShort": [...]} (aligned per target) on stdin or --input',
      options: {
        input: { type: 'string', description: 'JSON file (default: stdin)' },
        alpha: thresholdOptions.alpha,
        beta: thresholdOptions.beta,
      },
      async run({ values }) {
        const raw = typeof values.input === 'string' ? readText(values.input, 'input') : readFileSync(0, 'utf8');
        let input: { lossFull?: number[]; lossShort?: number[] };
        try {
          input = JSON.parse(raw) as typeof input;
        } catch (err) {
          throw new LabError(
            'MALFORMED_FILE',
            `${typeof values.input === 'string' ? '--input' : 'stdin'}: not valid JSON (${(err as Error).message})`,
          );
        }
        if (!Array.isArray(input.lossFull) || !Array.isArray(input.lossShort)) {
          throw new LabError('MALFORMED_FILE', 'stdin: expected a JSON object with arrays "lossFull" and "lossShort"');
        }
        const mask = keyMask(
          input.lossFull,
          input.lossShort,
          numberOption(values.alpha, 'alpha', 2),
          numberOption(values.beta, 'beta', -2),
        );
        const indices = Array.from(mask.entries())
          .filter(([, m]) => m)
          .map(([i]) => i);
        console.log(JSON.stringify({ mask: Array.from(mask), indices }));
      },
    },
    replicate: {
      description: 'Run the miniature replication (tier 1 analytic zoo; tier 2 trained tiny GPT-2 in full)',
      options: {
        preset: { type: 'string', default: 'quick', description: 'quick (tier 1) or full (tiers 1 and 2)' },
        tier: { type: 'string', description: 'run only this tier (1 or 2)' },
        seeds: { type: 'string', description: 'number of seeds (default 3)' },
        json: { type: 'boolean', default: false, description: 'print the report as JSON' },
      },
      async run({ values }) {
        await initBackend();
        const preset = values.preset === 'full' ? 'full' : 'quick';
        const seeds = values.seeds === undefined ? undefined : numberOption(values.seeds, 'seeds');
        const tier = values.tier === undefined ? undefined : numberOption(values.tier, 'tier');
        if (tier !== undefined && tier !== 1 && tier !== 2)
          throw new LabError('INVALID_ARGUMENT', `--tier: expected 1 or 2, got ${tier}`);
        const report = await replicate({
          preset,
          ...(seeds !== undefined ? { seeds } : {}),
          ...(tier ? { tiers: [tier as 1 | 2] } : {}),
          onProgress: progress,
        });
        process.stderr.write('\n');
        if (values.json) console.log(JSON.stringify(report, null, 2));
        else {
          console.log(`${report.package}: ${report.verdict} in ${report.seconds.toFixed(1)} s`);
          for (const c of report.criteria)
            console.log(
              `  ${c.passed ? 'PASS' : 'FAIL'} ${c.name}: ${Number.isFinite(c.value) ? c.value.toFixed(3) : c.value} (${c.threshold})`,
            );
          for (const n of report.notes) console.log(`  - ${n}`);
        }
      },
    },
  },
};
