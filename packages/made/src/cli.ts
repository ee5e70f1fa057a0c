#!/usr/bin/env node
import { LabError, initBackend, numberOption, runCli, writeFileAtomic, type CliSpec } from '@lab/core';
import { loadTUDataset, type Graph } from '@lab/graph';
import { injectSubgraphTrigger, triggerTestSet, type TriggerOptions } from './attack.js';
import { madeDefend, trainClassifier, evaluateBackdoor } from './defend.js';
import { isolationQuality } from './made.js';
import { GraphClassifier, type Architecture } from './models.js';
import { replicate, type MadeReplicateOptions } from './replicate.js';

function progressLine(stage: string, done: number, total: number): void {
  process.stderr.write(`\r${stage} ${done}/${total}   `);
}

function splitTrainTest(graphs: Graph[], testFraction: number): { train: Graph[]; test: Graph[] } {
  const cut = Math.floor(graphs.length * (1 - testFraction));
  return { train: graphs.slice(0, cut), test: graphs.slice(cut) };
}

function attackOptions(values: Record<string, unknown>): Partial<TriggerOptions> {
  const kind = String(values.trigger ?? 'ER');
  if (!['ER', 'SW', 'BA', 'fixed'].includes(kind))
    throw new LabError('INVALID_ARGUMENT', `--trigger: expected ER, SW, BA or fixed, got '${kind}'`);
  return {
    kind: kind as TriggerOptions['kind'],
    size: numberOption(values.size, 'size', 3),
    p: numberOption(values.p, 'p', 0.5),
    rate: numberOption(values.rate, 'rate', 0.05),
    target: numberOption(values.target, 'target', 0),
    seed: numberOption(values.seed, 'seed', 0),
  };
}

const tuOptions = {
  tu: { type: 'string', description: 'TU dataset folder (e.g. ./MUTAG holding MUTAG_A.txt, …)' },
  target: { type: 'string', default: '0', description: 'target class of the backdoor' },
  trigger: { type: 'string', default: 'ER', description: 'trigger family: ER, SW, BA or fixed (complete graph)' },
  size: { type: 'string', default: '3', description: 'trigger size n_t' },
  p: { type: 'string', default: '0.5', description: 'ER/SW edge probability' },
  rate: { type: 'string', default: '0.05', description: 'poison rate' },
  arch: { type: 'string', default: 'gin', description: 'gin, gcn or sage' },
  epochs: { type: 'string', default: '40', description: 'training epochs' },
  seed: { type: 'string', default: '0', description: 'seed' },
  json: { type: 'string', description: 'write the result as JSON to this file' },
} as const;

async function attackAndMaybeDefend(values: Record<string, unknown>, defend: boolean): Promise<void> {
  if (typeof values.tu !== 'string') throw new LabError('INVALID_ARGUMENT', '--tu: required (a TU dataset folder)');
  await initBackend();
  const ds = loadTUDataset(values.tu);
  const { train, test } = splitTrainTest(ds.graphs, 0.2);
  const attack = attackOptions(values);
  const poisoned = injectSubgraphTrigger(train, attack);
  const triggered = triggerTestSet(test, poisoned.trigger, attack.target!, attack.seed!);
  const seed = attack.seed!;
  const arch = String(values.arch ?? 'gin') as Architecture;
  const model = new GraphClassifier({
    arch,
    inDim: ds.graphs[0]!.featDim,
    hidden: 64,
    layers: 3,
    classes: ds.numClasses,
    seed,
  });
  const epochs = numberOption(values.epochs, 'epochs', 40);
  const result: Record<string, unknown> = {
    dataset: ds.name,
    graphs: ds.graphs.length,
    poisoned: poisoned.poisoned.length,
    attack,
  };
  if (!defend) {
    await trainClassifier(model, poisoned.graphs, {
      epochs,
      seed,
      onEpoch: (e) => progressLine('train', e.epoch + 1, e.epochs),
    });
    result.noDefense = evaluateBackdoor(model, test, triggered, attack.target!);
  } else {
    const r = await madeDefend(model, poisoned.graphs, {
      seed,
      unlearnEpochs: Math.max(1, epochs - 10),
      onEpoch: (e) => progressLine(e.stage, e.epoch + 1, e.epochs),
    });
    result.made = {
      ...evaluateBackdoor(model, test, triggered, attack.target!),
      isolation: isolationQuality(r.isolated, poisoned.poisoned),
    };
    r.generator?.dispose();
  }
  model.dispose();
  process.stderr.write('\n');
  const text = JSON.stringify(result, null, 2);
  if (typeof values.json === 'string') writeFileAtomic(values.json, text);
  console.log(text);
}

const spec: CliSpec = {
  name: 'lab-made',
  description:
    'MADE graph backdoor defense (masked unlearning): subgraph-trigger attacks, ASR, isolation, masked unlearning, ABL baseline.',
  commands: {
    attack: {
      description: 'Poison a TU dataset with a subgraph trigger, train a GNN, report clean accuracy and ASR',
      options: tuOptions,
      run: ({ values }) => attackAndMaybeDefend(values, false),
    },
    defend: {
      description: 'Poison a TU dataset, train with the MADE defense, report clean accuracy, ASR and isolation quality',
      options: tuOptions,
      run: ({ values }) => attackAndMaybeDefend(values, true),
    },
    replicate: {
      description: 'Run the miniature replication (spec §5) and print its report',
      options: {
        preset: { type: 'string', default: 'quick', description: 'quick or full' },
        quick: { type: 'boolean', default: false, description: 'same as --preset quick' },
        seeds: { type: 'string', description: 'number of seeds' },
        settings: { type: 'string', description: 'comma list of trigger settings: feature,structure' },
        arms: { type: 'string', description: 'comma list of arms: none,abl,made,random-drop,oracle,made-oracle-iso' },
        json: { type: 'string', description: 'write the report as JSON to this file' },
      },
      async run({ values }) {
        await initBackend();
        const preset = values.quick ? 'quick' : values.preset === 'full' ? 'full' : 'quick';
        const seeds = values.seeds === undefined ? undefined : numberOption(values.seeds, 'seeds');
        const list = (v: unknown, allowed: string[], flag: string) => {
          if (typeof v !== 'string') return undefined;
          const items = v
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean);
          for (const x of items)
            if (!allowed.includes(x))
              throw new LabError('INVALID_ARGUMENT', `--${flag}: expected items of ${allowed.join(', ')}, got '${x}'`);
          return items;
        };
        const settings = list(
          values.settings,
          ['feature', 'structure'],
          'settings',
        ) as MadeReplicateOptions['settings'];
        const arms = list(
          values.arms,
          ['none', 'abl', 'made', 'random-drop', 'oracle', 'made-oracle-iso'],
          'arms',
        ) as MadeReplicateOptions['arms'];
        const report = await replicate({
          preset,
          seeds,
          settings,
          arms,
          onProgress: (p) => progressLine(p.stage, p.done, p.total),
        });
        process.stderr.write('\n');
        if (typeof values.json === 'string') writeFileAtomic(values.json, JSON.stringify(report, null, 2));
        console.log(`${report.package}: ${report.verdict} (${report.seconds.toFixed(0)} s, backend ${report.backend})`);
        for (const c of report.criteria)
          console.log(`  ${c.passed ? 'pass' : 'FAIL'}  ${c.name}: ${c.value.toFixed(3)} (${c.threshold})`);
        for (const n of report.notes) console.log(`  - ${n}`);
      },
    },
  },
};

// No top-level await: the package also builds a CommonJS copy of this file.
void runCli(spec).then((code) => {
  process.exitCode = code;
});
