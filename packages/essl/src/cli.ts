#!/usr/bin/env node
// The `lab-essl` command line: the option table and the commands in one place, on core's shared driver.
import { LabError, replicateCommand, runCliIfMain, type CliSpec } from '@lab/core';
import pkg from '../package.json';
import { EXPERIMENTS, PRESETS, type EsslExperiment } from './config.js';
import { replicate } from './replicate.js';

/** The `lab-essl` CLI (exported for tests; runs when this file is the program). */
export const cliSpec: CliSpec = {
  name: 'lab-essl',
  version: pkg.version,
  description:
    'Equivariant self-supervised learning (Wang et al., NeurIPS 2024): which transformation-prediction tasks teach semantics, explaining away, C4 group convolutions.',
  commands: {
    replicate: replicateCommand({
      presets: PRESETS,
      defaultPreset: 'standard',
      description:
        'Run the miniature replication (spec §5: G1 which tasks teach semantics, G2 explaining away; full adds G3 C4 vs CNN and G4) and print its report',
      options: {
        experiments: {
          type: 'choices',
          choices: EXPERIMENTS,
          description: "experiments to run (default: the preset's; g1 and g2 decide the verdict)",
        },
        quick: { type: 'boolean', description: 'same as --preset quick' },
      },
      extra: (values) => ({
        quick: values.quick,
        ...(values.experiments === undefined ? {} : { experiments: values.experiments as EsslExperiment[] }),
      }),
      replicate: ({ quick, ...options }) => {
        if (quick === true && options.preset !== 'standard' && options.preset !== 'quick')
          throw new LabError(
            'INVALID_ARGUMENT',
            `--quick: means --preset quick, but --preset ${options.preset} was given`,
          );
        return replicate({
          ...(options as Parameters<typeof replicate>[0]),
          ...(quick === true ? { preset: 'quick' } : {}),
        });
      },
    }),
  },
};

runCliIfMain(cliSpec, import.meta.url);
