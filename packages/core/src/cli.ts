import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LabError } from './errors.js';

type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { description: string };

/** One sub-command of a `lab-<pkg>` CLI. */
export interface CliCommand {
  description: string;
  options?: Record<string, OptionSpec>;
  /** Receives the parsed options (strings/booleans) and positional arguments. */
  run: (args: {
    values: Record<string, string | boolean | string[] | boolean[] | undefined>;
    positionals: string[];
  }) => Promise<void> | void;
}

export interface CliSpec {
  /** Binary name, e.g. `lab-symnce`. */
  name: string;
  description: string;
  commands: Record<string, CliCommand>;
}

function helpText(spec: CliSpec, command?: string): string {
  const lines: string[] = [];
  if (command && spec.commands[command]) {
    const cmd = spec.commands[command]!;
    lines.push(`Usage: ${spec.name} ${command} [options]`, '', cmd.description, '', 'Options:');
    for (const [key, opt] of Object.entries(cmd.options ?? {})) {
      const flag = `--${key}${opt.type === 'string' ? ' <value>' : ''}`;
      const def = opt.default !== undefined ? ` (default: ${String(opt.default)})` : '';
      lines.push(`  ${flag.padEnd(28)} ${opt.description}${def}`);
    }
    lines.push(`  ${'--help'.padEnd(28)} Show this help`);
  } else {
    lines.push(`Usage: ${spec.name} <command> [options]`, '', spec.description, '', 'Commands:');
    for (const [key, cmd] of Object.entries(spec.commands)) lines.push(`  ${key.padEnd(20)} ${cmd.description}`);
    lines.push('', `Run '${spec.name} <command> --help' for a command's options.`);
  }
  return lines.join('\n');
}

/**
 * Runs a sub-command CLI: parses `argv`, prints `--help`, and turns errors into a one-line message and
 * exit code 1 (2 for usage errors) instead of a stack trace. Returns the exit code.
 */
export async function runCli(spec: CliSpec, argv: string[] = process.argv.slice(2)): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(helpText(spec));
    return command ? 0 : 2;
  }
  const cmd = spec.commands[command];
  if (!cmd) {
    console.error(`${spec.name}: unknown command '${command}'. Commands: ${Object.keys(spec.commands).join(', ')}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(helpText(spec, command));
    return 0;
  }
  let parsed;
  try {
    const options = Object.fromEntries(
      Object.entries(cmd.options ?? {}).map(([k, { description: _d, ...o }]) => [k, o]),
    );
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`${spec.name} ${command}: ${(err as Error).message}`);
    return 2;
  }
  try {
    await cmd.run(parsed as never);
    return 0;
  } catch (err) {
    const message = err instanceof LabError ? `${err.code}: ${err.message}` : ((err as Error).stack ?? String(err));
    console.error(`${spec.name} ${command}: ${message}`);
    return 1;
  }
}

/** Parses a numeric CLI option, naming the flag on error. */
export function numberOption(value: unknown, flag: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new LabError('INVALID_ARGUMENT', `--${flag}: required`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isFinite(n))
    throw new LabError('INVALID_ARGUMENT', `--${flag}: expected a number, got '${String(value)}'`);
  return n;
}
