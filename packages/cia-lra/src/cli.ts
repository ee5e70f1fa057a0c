#!/usr/bin/env node
// The `lab-cia-lra` command line: the option table and the commands in one place, on core's shared driver
// (--help, --version, --backend, --quiet, the --json [path|-] rule, checked numbers, choices and paths).
import { readFileSync } from 'node:fs';
import { LabError, defineCommand, replicateCommand, runCliIfMain, type CliSpec } from '@lab/core';
import pkg from '../package.json';
import { PRESETS, nodeOODMethods, replicationLambdas, type CiaReplicateOptions } from './config.js';
import { cbasGraph, loadGoodJson } from './data.js';
import type { NodeGraph } from './graph.js';
import { replicate } from './replicate.js';
import { trainNodeOOD } from './train.js';

/**
 * Reads a GOOD/PyG JSON export for `--good`: unreadable files, text that is not JSON and JSON that is not a
 * node-classification graph all become a `LabError` that names the flag and the path.
 */
function readGoodFile(path: string, flag: string): NodeGraph {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new LabError(
      'NOT_FOUND',
      `${flag}: cannot read '${path}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LabError(
      'MALFORMED_FILE',
      `${flag}: '${path}' is not JSON (${(err as Error).message.replace(/\s+/g, ' ')}); expected a GOOD/PyG export with x, edge_index, y and the masks`,
    );
  }
  try {
    return loadGoodJson(json);
  } catch (err) {
    if (err instanceof LabError)
      throw new LabError(err.code, `${flag}: '${path}': ${err.message.replace(/^GOOD json: /, '')}`);
    throw err;
  }
}

const fmt = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(3));

const replicateCmd = replicateCommand({
  presets: PRESETS,
  defaultPreset: 'standard',
  description:
    'Replication on GOOD-CBAS-like concept shift: a headroom control, then ERM vs CIA-LRA (both label scopes) over paired graphs with OOD-validation selection.',
  // `--quick` is the older spelling of `--preset quick`.
  replicate: ({ quick, ...options }) =>
    replicate({ ...options, ...(quick ? { preset: 'quick' } : {}) } as CiaReplicateOptions),
  options: {
    scale: {
      type: 'choice',
      choices: ['mini', 'large'] as const,
      description: "'mini' (700 nodes) or 'large' (2,800 nodes); default: the preset's",
    },
    epochs: { type: 'number', integer: true, min: 1, description: "training epochs per run (default: the preset's)" },
    quick: { type: 'boolean', description: 'same as --preset quick' },
  },
  extra: (values) => ({
    ...(values.scale === undefined ? {} : { scale: values.scale }),
    ...(values.epochs === undefined ? {} : { epochs: values.epochs }),
    quick: values.quick,
  }),
});

const train = defineCommand({
  description:
    'Train one method on a GOOD-export JSON graph (--good) or a generated CBAS graph, report OOD accuracies.',
  options: {
    method: { type: 'choice', choices: nodeOODMethods, default: 'cia-lra', description: 'training objective' },
    good: {
      type: 'input',
      description: 'GOOD/PyG JSON export: x, edge_index, y, train_mask, val_mask, test_mask, env_id',
    },
    cbas: {
      type: 'choice',
      choices: ['concept', 'covariate'] as const,
      default: 'concept',
      description: 'without --good: a generated CBAS graph with this shift',
    },
    lambda: { type: 'number', min: 0, description: 'penalty weight λ (default: the replication value of the method)' },
    epochs: { type: 'number', integer: true, min: 1, default: 200, description: 'training epochs' },
    hidden: { type: 'number', integer: true, min: 1, default: 64, description: 'GCN hidden width (official 300)' },
    lr: { type: 'number', min: 0, minExclusive: true, default: 0.003, description: 'Adam learning rate' },
    seed: {
      type: 'number',
      integer: true,
      min: 0,
      default: 0,
      description: 'seed of the model (and of the generated graph)',
    },
    t: { type: 'number', integer: true, min: 1, max: 254, default: 3, description: 'CIA-LRA hop budget t' },
    'label-scope': {
      type: 'choice',
      choices: ['train', 'trainPairs', 'all'] as const,
      default: 'train',
      description: "CIA-LRA labels ('all' is the official code's)",
      param: 'labelScope',
    },
    'hop-mode': {
      type: 'choice',
      choices: ['exact', 'official'] as const,
      default: 'exact',
      description: "CIA-LRA hops ('official': the cal_Ak walk-count quirk)",
      param: 'hopMode',
    },
    select: {
      type: 'choice',
      choices: ['oodVal', 'idVal'] as const,
      default: 'oodVal',
      description: 'model selection: the epoch with the best OOD or ID validation accuracy',
    },
    json: { type: 'json', description: 'the result as JSON: on stdout alone, or to a file' },
  },
  async run({ values, progress, output }) {
    const { method, seed } = values;
    const g = values.good !== undefined ? readGoodFile(values.good, '--good') : cbasGraph({ shift: values.cbas, seed });
    const result = await trainNodeOOD(
      g,
      {
        method,
        lambda: values.lambda ?? replicationLambdas[method],
        epochs: values.epochs,
        hidden: values.hidden,
        lr: values.lr,
        seed,
        select: values.select,
        lra: { t: values.t, labelScope: values['label-scope'], hopMode: values['hop-mode'] },
      },
      { onProgress: progress.onProgress },
    );
    progress.stop();
    const pairs = result.keptPairs === undefined ? '' : ` · pairs kept ${result.keptPairs} of ${result.candidatePairs}`;
    output(
      { method, numNodes: g.numNodes, ...result },
      `${method} on ${g.numNodes} nodes: OOD test ${fmt(result.oodTest)} · OOD val ${fmt(result.oodVal)} · ID val ${fmt(result.idVal)} · train ${fmt(result.trainAcc)} · best epoch ${result.bestEpoch}${pairs} · ${result.seconds.toFixed(1)} s`,
    );
  },
});

/** The `lab-cia-lra` CLI (exported for tests; runs when this file is the program). */
export const cliSpec: CliSpec = {
  name: 'lab-cia-lra',
  version: pkg.version,
  description:
    'CIA and CIA-LRA (Wang et al., NeurIPS 2024): invariant learning for node-level OOD generalisation on graphs.',
  commands: { replicate: replicateCmd, train },
};

runCliIfMain(cliSpec, import.meta.url);
