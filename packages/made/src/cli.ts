#!/usr/bin/env node
// The `lab-made` command line: the option table and the commands in one place, on core's shared driver.
import {
  LabError,
  defineCommand,
  replicateCommand,
  runCliIfMain,
  type CliContext,
  type CliOption,
  type CliSpec,
  type OptionValues,
} from '@lab/core';
import { loadTUDataset, stratifiedSplit, undirectedEdges, undirectedPairs, type Graph } from '@lab/graph';
import pkg from '../package.json';
import { injectSubgraphTrigger, triggerTestSet } from './attack.js';
import { ARMS, PRESETS, SETTINGS, type MadeArm, type MadeSetting, type TriggerOptions } from './config.js';
import { evaluateBackdoor, madeDefend, trainClassifier } from './defend.js';
import { isolationQuality } from './made.js';
import { GraphClassifier, type Architecture } from './models.js';
import { replicate } from './replicate.js';

/** Options of `attack` and `defend`: a TU dataset folder, the SBA trigger, the victim and the split. */
const tuOptions = {
  tu: {
    type: 'input',
    kind: 'dir',
    required: true,
    description: 'TU dataset folder (e.g. ./MUTAG holding MUTAG_A.txt, …)',
  },
  target: { type: 'number', integer: true, min: 0, default: 0, description: 'target class of the backdoor' },
  trigger: {
    type: 'choice',
    choices: ['ER', 'SW', 'BA', 'fixed'],
    default: 'ER',
    param: 'kind',
    description: 'trigger family (fixed: the complete graph)',
  },
  size: { type: 'number', integer: true, min: 2, default: 3, description: 'trigger size n_t' },
  p: { type: 'number', min: 0, max: 1, default: 0.5, description: 'ER/SW edge probability' },
  rate: { type: 'number', min: 0, max: 1, default: 0.05, description: 'poison rate (share of the training graphs)' },
  arch: { type: 'choice', choices: ['gin', 'gcn', 'sage'], default: 'gin', description: 'victim GNN' },
  epochs: { type: 'number', integer: true, min: 1, default: 40, description: 'training epochs' },
  'test-fraction': {
    type: 'number',
    min: 0,
    max: 1,
    minExclusive: true,
    maxExclusive: true,
    default: 0.2,
    param: 'testFraction',
    description: 'share of every class held out for testing (seeded, class-stratified split)',
  },
  seed: {
    type: 'number',
    integer: true,
    min: 0,
    default: 0,
    description: 'seed of the split, the attack and the model',
  },
  json: { type: 'json', description: 'the result as JSON: on stdout alone, or to a file' },
} as const satisfies Record<string, CliOption>;

type TuValues = CliContext<OptionValues<typeof tuOptions>>['values'];

const fmt = (v: number) => v.toFixed(3);

/**
 * `attack` / `defend`: loads a TU folder, splits it with a seeded class-stratified shuffle (TU files are
 * often stored sorted by class), poisons the training part, trains the victim (or MADE) and reports clean
 * accuracy and ASR on the test part.
 */
async function attackAndMaybeDefend(ctx: CliContext<TuValues>, defend: boolean): Promise<void> {
  const { values, progress } = ctx;
  const ds = loadTUDataset(values.tu);
  // TU files list edges in any order; MADE's edge masks need the reverse-pair layout (edge k^1 reverses k).
  const graphs = ds.graphs.map((g) => ({ ...g, ...undirectedEdges(undirectedPairs(g)) }));
  const seed = values.seed;
  if (values.target >= ds.numClasses)
    throw new LabError(
      'OUT_OF_RANGE',
      `target: expected a class of ${ds.name} (0..${ds.numClasses - 1}), got ${values.target}`,
    );
  const split = stratifiedSplit(graphs, { testFraction: values['test-fraction'], seed });
  const attack: Partial<TriggerOptions> = {
    kind: values.trigger,
    size: values.size,
    p: values.p,
    rate: values.rate,
    target: values.target,
    seed,
  };
  const poisoned = injectSubgraphTrigger(split.train, attack);
  const triggered = triggerTestSet(split.test, poisoned.trigger, values.target, seed);
  const model = new GraphClassifier({
    arch: values.arch as Architecture,
    inDim: graphs[0]!.featDim,
    hidden: 64,
    layers: 3,
    classes: ds.numClasses,
    seed,
  });
  const testClasses = (graphs: readonly Graph[]) =>
    Array.from({ length: ds.numClasses }, (_, c) => graphs.filter((g) => g.label === c).length);
  const result: Record<string, unknown> = {
    dataset: ds.name,
    graphs: ds.graphs.length,
    split: { train: split.train.length, test: split.test.length, testPerClass: testClasses(split.test), seed },
    poisoned: poisoned.poisoned.length,
    attack,
  };
  const lines = [
    `${ds.name}: ${ds.graphs.length} graphs, ${split.train.length} train / ${split.test.length} test (per class ${testClasses(split.test).join('/')}), ${poisoned.poisoned.length} poisoned (${values.trigger} trigger of ${values.size} nodes → class ${values.target})`,
  ];
  try {
    if (!defend) {
      await trainClassifier(model, poisoned.graphs, { epochs: values.epochs, seed, onProgress: progress.onProgress });
      const r = evaluateBackdoor(model, split.test, triggered, values.target);
      result.noDefense = r;
      lines.push(`no defense: clean accuracy ${fmt(r.acc)}, attack success rate ${fmt(r.asr)}`);
    } else {
      const r = await madeDefend(model, poisoned.graphs, {
        seed,
        unlearnEpochs: Math.max(1, values.epochs - 10),
        onProgress: progress.onProgress,
      });
      r.generator?.dispose();
      const e = evaluateBackdoor(model, split.test, triggered, values.target);
      const isolation = isolationQuality(r.isolated, poisoned.poisoned, { numGraphs: poisoned.graphs.length });
      result.made = { ...e, isolation };
      lines.push(
        `MADE: clean accuracy ${fmt(e.acc)}, attack success rate ${fmt(e.asr)}; isolation precision ${fmt(isolation.precision)}, recall ${fmt(isolation.recall)}`,
      );
    }
  } finally {
    model.dispose();
  }
  progress.stop();
  ctx.output(result, lines.join('\n'));
}

/** The `lab-made` CLI (exported for tests; runs when this file is the program). */
export const cliSpec: CliSpec = {
  name: 'lab-made',
  version: pkg.version,
  description:
    'MADE graph backdoor defense (masked unlearning): subgraph-trigger attacks, ASR, isolation, masked unlearning, ABL baseline.',
  commands: {
    attack: defineCommand({
      description: 'Poison a TU dataset with a subgraph trigger, train a GNN, report clean accuracy and ASR',
      options: tuOptions,
      run: (ctx) => attackAndMaybeDefend(ctx, false),
    }),
    defend: defineCommand({
      description: 'Poison a TU dataset, train with the MADE defense, report clean accuracy, ASR and isolation quality',
      options: tuOptions,
      run: (ctx) => attackAndMaybeDefend(ctx, true),
    }),
    replicate: replicateCommand({
      presets: PRESETS,
      defaultPreset: 'standard',
      description: 'Run the miniature replication (spec §5) and print its report',
      replicate: ({ quick, ...options }) => {
        if (quick === true && options.preset !== 'quick')
          throw new LabError(
            'INVALID_ARGUMENT',
            `--quick: means --preset quick, but --preset ${options.preset} was given`,
          );
        return replicate(options as Parameters<typeof replicate>[0]);
      },
      options: {
        quick: { type: 'boolean', description: 'same as --preset quick (kept for old scripts)' },
        settings: { type: 'choices', choices: SETTINGS, description: "trigger settings (default: the preset's)" },
        arms: { type: 'choices', choices: ARMS, description: "arms to run (default: the preset's)" },
      },
      extra: (values) => ({
        quick: values.quick,
        ...(values.settings === undefined ? {} : { settings: values.settings as MadeSetting[] }),
        ...(values.arms === undefined ? {} : { arms: values.arms as MadeArm[] }),
      }),
    }),
  },
};

runCliIfMain(cliSpec, import.meta.url);
