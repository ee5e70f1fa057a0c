#!/usr/bin/env node
// The `lab-monosemantic` command line: the option table and the commands in one place, on core's shared driver.
import { defineCommand, replicateCommand, runCliIfMain, tf, type CliSpec } from '@lab/core';
import pkg from '../package.json';
import { PRESETS } from './config.js';
import { readFeatures, readLabels } from './features-file.js';
import { classConsistencyEval, monosemanticityMetrics, sparsityPerSample } from './monosemantic.js';
import { replicate, type MonoReplicateOptions } from './replicate.js';

/** `metrics`: scores a user's feature file against its labels. */
const metricsCommand = defineCommand({
  description: 'Monosemanticity metrics of a feature matrix (.npy or .safetensors) against labels (a JSON array)',
  options: {
    features: {
      type: 'input',
      kind: 'file',
      required: true,
      description: 'features [n, d]: .npy (float32) or .safetensors',
    },
    labels: {
      type: 'input',
      kind: 'file',
      required: true,
      description: 'labels: a JSON array of n non-negative integers',
    },
    key: { type: 'string', description: 'tensor name inside a .safetensors file holding several' },
    raw: { type: 'boolean', description: 'do not row-normalise before sparsity, effective rank and orthogonality' },
    json: { type: 'json', description: 'the metrics as JSON: on stdout alone, or to a file' },
  },
  run({ values, output }) {
    const features = readFeatures(values.features, values.key);
    try {
      const labels = readLabels(values.labels);
      const metrics = monosemanticityMetrics(features, labels, { rowNormalize: !values.raw });
      const evalForm = classConsistencyEval(features, labels);
      const perSample = sparsityPerSample(features);
      const meanOf = (a: Float32Array) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN);
      const result = {
        rows: features.shape[0],
        dims: features.shape[1],
        ...metrics,
        classConsistencyEvalPct: meanOf(evalForm.accPct),
        classEntropy: meanOf(evalForm.entropy),
        sparsityEvalPct: meanOf(perSample),
      };
      const text = Object.entries(result)
        .map(([k, v]) => `${k.padEnd(24)} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
        .join('\n');
      output(result, text);
    } finally {
      tf.dispose(features);
    }
  },
});

/** The `lab-monosemantic` CLI (exported for tests; runs when this file is the program). */
export const cliSpec: CliSpec = {
  name: 'lab-monosemantic',
  version: pkg.version,
  description:
    'Non-negative contrastive learning, top-k sparse autoencoders and monosemanticity metrics (Zhang et al., ICLR 2025)',
  commands: {
    replicate: replicateCommand({
      presets: PRESETS,
      defaultPreset: 'standard',
      replicate: (o) => replicate(o as MonoReplicateOptions),
      options: {
        width: {
          type: 'number',
          integer: true,
          min: 2,
          description: "encoder and projector width W (default: the preset's)",
        },
      },
      extra: (values) =>
        values.width === undefined ? {} : { overrides: { hidden: values.width, projDim: values.width } },
    }),
    metrics: metricsCommand,
  },
};

runCliIfMain(cliSpec, import.meta.url);
