#!/usr/bin/env node
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
import { nodeOODMethods, replicationLambdas, type NodeOODMethod } from './config.js';
import { cbasGraph, loadGoodJson } from './data.js';
import { replicate } from './replicate.js';
import { trainNodeOOD } from './train.js';

function progressPrinter(): (p: ProgressEvent) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 500 && p.done < p.total) return;
    last = now;
    process.stderr.write(
      `\r${p.stage.padEnd(32)} ${p.done}/${p.total} (${((100 * p.done) / Math.max(1, p.total)).toFixed(0)}%)   ${p.done >= p.total ? '\n' : ''}`,
    );
  };
}

function output(result: unknown, json: unknown): void {
  if (typeof json === 'string') {
    writeFileAtomic(json, `${JSON.stringify(result, null, 2)}\n`);
    console.error(`wrote ${json}`);
  } else {
    console.log(JSON.stringify(result, null, 2));
  }
}

const spec: CliSpec = {
  name: 'lab-cia-lra',
  description:
    'CIA and CIA-LRA (Wang et al., NeurIPS 2024): invariant learning for node-level OOD generalisation on graphs.',
  commands: {
    replicate: {
      description:
        'Miniature replication on CBAS-like concept shift: ERM, IRM, VREx, CIA, CIA-LRA over paired seeds, plus mechanism checks.',
      options: {
        preset: {
          type: 'string',
          default: 'quick',
          description: "'quick' (mini graph, 1 seed) or 'full' (large graph, 10 seeds)",
        },
        scale: { type: 'string', description: "'mini' (700 nodes) or 'large' (2,800 nodes); default: the preset's" },
        seeds: { type: 'string', description: "number of paired seeds (default: the preset's)" },
        epochs: { type: 'string', description: 'training epochs per run (default 200)' },
        quick: { type: 'boolean', description: 'same as --preset quick' },
        json: { type: 'string', description: 'write the report to this JSON file (else print it)' },
      },
      run: async ({ values }) => {
        await initBackend();
        const preset = values.quick ? 'quick' : String(values.preset ?? 'quick');
        if (preset !== 'quick' && preset !== 'full')
          throw new LabError('INVALID_ARGUMENT', `--preset: expected 'quick' or 'full', got '${preset}'`);
        const scale = values.scale === undefined ? undefined : String(values.scale);
        if (scale !== undefined && scale !== 'mini' && scale !== 'large')
          throw new LabError('INVALID_ARGUMENT', `--scale: expected 'mini' or 'large', got '${scale}'`);
        const report = await replicate({
          preset,
          scale,
          seeds: values.seeds === undefined ? undefined : numberOption(values.seeds, 'seeds'),
          epochs: values.epochs === undefined ? undefined : numberOption(values.epochs, 'epochs'),
          onProgress: progressPrinter(),
        });
        output(report, values.json);
        console.error(`verdict: ${report.verdict}`);
      },
    },
    train: {
      description:
        'Train one method on a GOOD-export JSON graph (--good) or a generated CBAS graph, report OOD accuracies.',
      options: {
        method: { type: 'string', default: 'cia-lra', description: `one of ${nodeOODMethods.join(', ')}` },
        good: {
          type: 'string',
          description: 'GOOD/PyG JSON export: x, edge_index, y, train_mask, val_mask, test_mask, env_id',
        },
        cbas: {
          type: 'string',
          default: 'concept',
          description: "without --good: a generated CBAS graph with 'concept' or 'covariate' shift",
        },
        lambda: { type: 'string', description: 'penalty weight λ (default: the replication value of the method)' },
        epochs: { type: 'string', default: '200', description: 'training epochs' },
        hidden: { type: 'string', default: '64', description: 'GCN hidden width (official 300)' },
        lr: { type: 'string', default: '0.003', description: 'Adam learning rate' },
        seed: { type: 'string', default: '0', description: 'seed of the model (and of the generated graph)' },
        t: { type: 'string', default: '3', description: 'CIA-LRA hop budget t' },
        'label-scope': {
          type: 'string',
          default: 'train',
          description: "CIA-LRA labels: 'train', 'trainPairs' or 'all' (official)",
        },
        'hop-mode': { type: 'string', default: 'exact', description: "CIA-LRA hops: 'exact' or 'official'" },
        select: { type: 'string', default: 'oodVal', description: "checkpoint selection: 'oodVal' or 'idVal'" },
        json: { type: 'string', description: 'write the result to this JSON file (else print it)' },
      },
      run: async ({ values }) => {
        await initBackend();
        const method = String(values.method) as NodeOODMethod;
        const seed = numberOption(values.seed, 'seed', 0);
        const g =
          typeof values.good === 'string'
            ? loadGoodJson(JSON.parse(readFileSync(values.good, 'utf8')))
            : cbasGraph({ shift: String(values.cbas) as 'concept' | 'covariate', seed });
        const epochs = numberOption(values.epochs, 'epochs', 200);
        const printer = progressPrinter();
        const result = await trainNodeOOD(
          g,
          {
            method,
            lambda: numberOption(values.lambda, 'lambda', replicationLambdas[method] ?? 0),
            epochs,
            hidden: numberOption(values.hidden, 'hidden', 64),
            lr: numberOption(values.lr, 'lr', 3e-3),
            seed,
            select: String(values.select) as 'oodVal' | 'idVal',
            lra: {
              t: numberOption(values.t, 't', 3),
              labelScope: String(values['label-scope']) as never,
              hopMode: String(values['hop-mode']) as never,
            },
          },
          { onEpoch: (epoch) => printer({ stage: `train ${method}`, done: epoch + 1, total: epochs }) },
        );
        output({ method, numNodes: g.numNodes, ...result }, values.json);
      },
    },
  },
};

// No top-level await: the shared tsup config also emits this entry as CJS, where esbuild rejects it.
void runCli(spec).then((code) => {
  process.exitCode = code;
});
