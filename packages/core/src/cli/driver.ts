// The one CLI driver of @lab: every `lab-<name>` binary is a spec handed to runCli. The driver owns the
// conventions — --help, --version, --backend, --quiet, one --json rule, checked numbers/choices/paths with
// the flag's own name in every message, output paths proven writable before any work, one progress printer
// and exit codes (0 done, 1 failed, 2 usage) — so the method packages only describe their commands.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { initBackend, initialisedBackend, type BackendName } from '../backend.js';
import { LabError } from '../errors.js';
import { writeFileAtomic } from '../io.js';
import { ProgressReporter } from '../train/progress.js';
import {
  type CliOption,
  type JsonTarget,
  type OptionValues,
  defaultValue,
  describeOption,
  isFlag,
  parseOptionValue,
  takesOptionalValue,
} from './options.js';
import { checkInputPath, checkOutputPath } from './paths.js';

const BACKENDS: readonly BackendName[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/** Options every command gets from the driver. */
export const COMMON_OPTIONS = {
  backend: {
    type: 'choice',
    choices: BACKENDS,
    description: 'TensorFlow.js backend (LAB_BACKEND overrides; auto: tensorflow if installed, else wasm)',
  },
  quiet: { type: 'boolean', description: 'no progress output (also LAB_PROGRESS=none)' },
} as const satisfies Record<string, CliOption>;

/** What a command's `run` receives. */
export interface CliContext<V = Record<string, unknown>> {
  /** The parsed, checked option values (defaults filled in), keyed as in the option table. */
  values: V;
  positionals: string[];
  /** `lab-<name> <command>`, for messages. */
  name: string;
  /** The one progress printer: a bar on a TTY, JSON lines otherwise, nothing with --quiet / LAB_PROGRESS=none. */
  progress: ProgressReporter;
  /**
   * Prints a command's result by the --json rule: JSON alone on stdout for `--json` / `--json -`; for
   * `--json FILE`, the JSON written atomically to FILE and `text` on stdout; without --json, `text` (or the
   * JSON when there is no text).
   */
  output: (result: unknown, text?: string) => void;
}

/** One sub-command of a `lab-<pkg>` CLI. */
export interface CliCommand<T extends Record<string, CliOption> = Record<string, CliOption>> {
  description: string;
  options?: T;
  /** Positional arguments shown in the usage line (e.g. `<file>`); none are accepted when absent. */
  positionals?: string;
  /**
   * How the driver treats an existing file at each output option's path: replaced (default), or refused
   * unless one of the named flags is given (e.g. `{ checkpoint: ['--resume', '--overwrite'] }`); the command
   * reads those flags itself.
   */
  keepExisting?: Partial<Record<keyof T & string, string | readonly string[]>>;
  /** Starts the backend before `run` (default true); false for commands that do no tensor work. */
  needsBackend?: boolean;
  // A method signature (bivariant parameter) so that commands with different option tables fit one CliSpec.
  run(context: CliContext<OptionValues<T> & OptionValues<typeof COMMON_OPTIONS>>): Promise<void> | void;
}

export interface CliSpec {
  /** Binary name, e.g. `lab-symnce`. */
  name: string;
  /** The package version, printed by `--version`. */
  version?: string;
  description: string;
  commands: Record<string, CliCommand>;
}

/**
 * Declares a command with its option table, so that `run` sees typed values (`values.epochs: number`).
 * @example
 * const train = defineCommand({
 *   description: 'Train',
 *   options: { epochs: { type: 'number', integer: true, min: 1, default: 10, description: 'epochs' } },
 *   run: ({ values }) => console.log(values.epochs + 1),
 * });
 */
export function defineCommand<T extends Record<string, CliOption>>(command: CliCommand<T>): CliCommand<T> {
  return command;
}

const optionTable = (cmd: CliCommand): Record<string, CliOption> => ({ ...(cmd.options ?? {}), ...COMMON_OPTIONS });

function helpText(spec: CliSpec, command?: string): string {
  const lines: string[] = [];
  if (command !== undefined) {
    const cmd = spec.commands[command]!;
    const pos = cmd.positionals ? ` ${cmd.positionals}` : '';
    lines.push(`Usage: ${spec.name} ${command} [options]${pos}`, '', cmd.description, '', 'Options:');
    const rows = Object.entries(optionTable(cmd)).map(([key, opt]) => describeOption(key, opt));
    rows.push(['--help', 'show this help']);
    const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
    for (const [flag, text] of rows) lines.push(`  ${flag.padEnd(width)}${text}`);
  } else {
    lines.push(`Usage: ${spec.name} <command> [options]`, '', spec.description, '', 'Commands:');
    const width = Math.max(...Object.keys(spec.commands).map((k) => k.length)) + 2;
    for (const [key, cmd] of Object.entries(spec.commands)) lines.push(`  ${key.padEnd(width)}${cmd.description}`);
    lines.push(
      '',
      `Run '${spec.name} <command> --help' for a command's options; '${spec.name} --version' for the version.`,
    );
  }
  return lines.join('\n');
}

interface Parsed {
  values: Record<string, unknown>;
  given: Set<string>;
  positionals: string[];
}

/** Parses argv against a command's option table; every error names the flag. */
function parseArgv(cmd: CliCommand, argv: readonly string[]): Parsed {
  const table = optionTable(cmd);
  const raw = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('--') || token === '-') {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const key = token.slice(2, eq === -1 ? undefined : eq);
    const spec = table[key];
    if (!spec) {
      const known = Object.keys(table).map((k) => `--${k}`);
      throw new LabError('INVALID_ARGUMENT', `unknown option '--${key}'; expected one of ${known.join(', ')}`);
    }
    if (raw.has(key)) throw new LabError('INVALID_ARGUMENT', `--${key}: given more than once`);
    if (eq !== -1) {
      if (isFlag(spec))
        throw new LabError('INVALID_ARGUMENT', `--${key}: takes no value, got '${token.slice(eq + 1)}'`);
      raw.set(key, token.slice(eq + 1));
    } else if (isFlag(spec)) {
      raw.set(key, true);
    } else {
      const next = argv[i + 1];
      // A value may start with '-' (negative numbers: --beta -3), but never with '--' (the next option).
      const isValue = next !== undefined && !next.startsWith('--');
      if (takesOptionalValue(spec)) {
        if (isValue && (next === '-' || !next.startsWith('-'))) {
          raw.set(key, next);
          i++;
        } else raw.set(key, true);
      } else {
        if (!isValue) throw new LabError('INVALID_ARGUMENT', `--${key}: expected a value`);
        raw.set(key, next);
        i++;
      }
    }
  }
  if (positionals.length > 0 && !cmd.positionals)
    throw new LabError('INVALID_ARGUMENT', `unexpected argument '${positionals[0]}' (this command takes options only)`);
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const text = raw.get(key);
    values[key] = text === undefined ? defaultValue(spec, `--${key}`) : parseOptionValue(spec, text, `--${key}`);
  }
  return { values, given: new Set(raw.keys()), positionals };
}

/** Checks every path option before the command runs: inputs exist, outputs can be written. */
function checkPaths(cmd: CliCommand, parsed: Parsed): void {
  for (const [key, spec] of Object.entries(optionTable(cmd))) {
    const value = parsed.values[key];
    if (value === undefined) continue;
    if (spec.type === 'input') checkInputPath(value as string, `--${key}`, spec.kind);
    else if (spec.type === 'output') {
      const rule = (cmd.keepExisting as Record<string, string | readonly string[]> | undefined)?.[key];
      const flags = rule === undefined ? [] : typeof rule === 'string' ? [rule] : [...rule];
      const allowed = flags.some((flag) => parsed.given.has(flag.replace(/^--/, '')));
      checkOutputPath(value as string, `--${key}`, {
        kind: spec.kind,
        existing: flags.length > 0 && !allowed ? 'refuse' : 'replace',
        allowFlag: flags.join(' or '),
      });
    } else if (spec.type === 'json' && (value as JsonTarget).to === 'file')
      checkOutputPath((value as { path: string }).path, `--${key}`);
  }
}

const camel = (flag: string) => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Rewrites API names in an error message (`batchSize: expected …`, `options.rate`) to the flag the user typed
 * (`--batch-size`): a flag's camel-case name and the names in its `param` are replaced where they stand as
 * the subject of a message or clause (`name: …`, `…; name: …`) or as `options.name`.
 */
export function withFlagNames(message: string, options: Record<string, CliOption>): string {
  let out = message;
  for (const [key, spec] of Object.entries(options)) {
    const params = spec.param === undefined ? [] : typeof spec.param === 'string' ? [spec.param] : [...spec.param];
    for (const name of new Set([camel(key), ...params])) {
      // At the start of the message or of a clause (after ': ', '; ', a quote or a parenthesis), never inside a list.
      const subject = new RegExp(`(^|[:;] |['"(\`])(?:options\\.)?${escapeRe(name)}(?=:)`, 'g');
      const member = new RegExp(`options\\.${escapeRe(name)}\\b`, 'g');
      out = out.replace(subject, `$1--${key}`).replace(member, `--${key}`);
    }
  }
  return out;
}

function errorText(err: unknown, options: Record<string, CliOption>): string {
  if (err instanceof LabError) return `${err.code}: ${withFlagNames(err.message, options)}`;
  const errno = err as NodeJS.ErrnoException;
  if (errno && typeof errno.code === 'string' && typeof errno.syscall === 'string')
    return `${errno.code}: ${errno.message}${errno.path ? ` (path: ${errno.path})` : ''}`;
  return (err as Error)?.stack ?? String(err);
}

/**
 * Runs a sub-command CLI: parses `argv`, answers `--help` / `--version`, checks every option and path, starts
 * the backend, runs the command, and turns errors into one readable line instead of a stack trace. Returns
 * the exit code: 0 done, 1 failed while running, 2 usage error.
 */
export async function runCli(spec: CliSpec, argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    if (command === undefined) console.error(helpText(spec));
    else console.log(helpText(spec));
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    console.log(spec.version ?? 'unknown');
    return 0;
  }
  const cmd = spec.commands[command];
  if (!cmd) {
    console.error(
      `${spec.name}: unknown command '${command}'; expected one of ${Object.keys(spec.commands).join(', ')}`,
    );
    return 2;
  }
  const name = `${spec.name} ${command}`;
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(helpText(spec, command));
    return 0;
  }
  const table = optionTable(cmd);
  let parsed: Parsed;
  try {
    parsed = parseArgv(cmd, rest);
    checkPaths(cmd, parsed);
  } catch (err) {
    console.error(`${name}: ${errorText(err, table)}`);
    console.error(`Run '${name} --help' for its options.`);
    return 2;
  }
  const progress = new ProgressReporter({ mode: parsed.values.quiet ? 'none' : 'auto' });
  const json = (parsed.values.json ?? { to: 'none' }) as JsonTarget;
  const output = (result: unknown, text?: string) => {
    const serialised = `${JSON.stringify(result, null, 2)}\n`;
    if (json.to === 'stdout' || (json.to === 'none' && text === undefined)) process.stdout.write(serialised);
    else {
      if (json.to === 'file') writeFileAtomic(json.path, serialised);
      if (text !== undefined) console.log(text);
    }
  };
  try {
    if (cmd.needsBackend !== false) {
      const requested = parsed.values.backend as BackendName | undefined;
      if (requested !== undefined || initialisedBackend() === null) await initBackend(requested ?? 'auto');
    }
    await cmd.run({ values: parsed.values as never, positionals: parsed.positionals, name, progress, output });
    return 0;
  } catch (err) {
    console.error(`${name}: ${errorText(err, table)}`);
    return 1;
  } finally {
    progress.stop();
  }
}

/**
 * Runs `spec` when the calling module is the program's entry point (the package's `bin`), and does nothing
 * when it is imported (by tests, or by a user who wants the spec): `runCliIfMain(cliSpec, import.meta.url)`
 * at the end of a package's `src/cli.ts`. Sets `process.exitCode` to the exit code of {@link runCli}.
 */
export function runCliIfMain(spec: CliSpec, moduleUrl: string | undefined): void {
  const entry = process.argv[1];
  if (moduleUrl === undefined || entry === undefined) return;
  let main: string;
  try {
    main = realpathSync(entry);
  } catch {
    return;
  }
  if (realpathSync(fileURLToPath(moduleUrl)) !== main) return;
  void runCli(spec).then((code) => {
    process.exitCode = code;
  });
}
