// The `replicate` command every method package's CLI shares: the same flags, the same report printer and
// the same files, whatever the package measures.
import { join } from 'node:path';
import { defaultChart, renderChartSvg } from '../chart.js';
import { writeFileAtomic } from '../io.js';
import type { Preset, ReplicateOptions, ReplicationReport } from '../report.js';
import { formatReport } from '../report-format.js';
import { type CliCommand, defineCommand } from './driver.js';
import type { CliOption, OptionValues } from './options.js';

export interface ReplicateCommandOptions<T extends Record<string, CliOption>> {
  /** The package's presets, in order (e.g. `['quick', 'standard', 'full']`). */
  presets: readonly string[];
  /** The preset run when `--preset` is not given. */
  defaultPreset: string;
  /** One line for `--help` (default: "Run the miniature replication and print its report"). */
  description?: string;
  /**
   * The package's `replicate()`. A method signature (bivariant parameter), so a package's own options type
   * (its presets, its extra options) fits.
   */
  replicate(options: ReplicateOptions & { [extra: string]: unknown }): Promise<ReplicationReport>;
  /** Extra flags of this package's replicate command. */
  options?: T;
  /** Maps the extra flags to `replicate()` options (default: none passed). */
  extra?: (values: OptionValues<T>) => Record<string, unknown>;
}

const replicateFlags = (presets: readonly string[], defaultPreset: string) =>
  ({
    preset: {
      type: 'choice',
      choices: presets,
      default: defaultPreset,
      description: 'size of the run',
    },
    seeds: { type: 'seeds', description: "seeds to run (default: the preset's)" },
    out: {
      type: 'output',
      kind: 'dir',
      description: 'also write report.json, report.md and chart.svg to this folder',
    },
    json: { type: 'json', description: 'the report as JSON: on stdout alone, or to a file' },
  }) as const satisfies Record<string, CliOption>;

/**
 * The standard `replicate` command: `--preset` (checked against the package's presets), `--seeds`, `--out`,
 * `--json`, plus the driver's `--backend` and `--quiet`; prints the report with {@link formatReport}.
 */
export function replicateCommand<T extends Record<string, CliOption> = Record<never, CliOption>>(
  options: ReplicateCommandOptions<T>,
): CliCommand<T & ReturnType<typeof replicateFlags>> {
  if (!options.presets.includes(options.defaultPreset))
    throw new Error(`replicateCommand: default preset '${options.defaultPreset}' is not among the presets`);
  const flags = { ...(options.options ?? ({} as T)), ...replicateFlags(options.presets, options.defaultPreset) };
  return defineCommand({
    description: options.description ?? 'Run the miniature replication and print its report',
    options: flags,
    async run({ values, progress, output }) {
      const extra = options.extra ? options.extra(values as OptionValues<T>) : {};
      const report = await options.replicate({
        ...extra,
        preset: values.preset as Preset,
        ...(values.seeds === undefined ? {} : { seeds: values.seeds }),
        onProgress: progress.onProgress,
      });
      progress.stop();
      const text = formatReport(report);
      if (values.out !== undefined) {
        writeFileAtomic(join(values.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
        writeFileAtomic(join(values.out, 'report.md'), text);
        const chart = report.chart ?? defaultChart(report);
        if (chart) {
          try {
            writeFileAtomic(join(values.out, 'chart.svg'), await renderChartSvg(chart));
          } catch (err) {
            process.stderr.write(`chart not written: ${(err as Error).message}\n`);
          }
        }
      }
      output(report, text);
    },
  }) as CliCommand<T & ReturnType<typeof replicateFlags>>;
}
