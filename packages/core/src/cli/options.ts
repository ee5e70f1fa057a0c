// Option kinds of the shared CLI driver and how a flag's text becomes a checked value.
// Every message names the flag as the user typed it (`--batch-size`), the expected and the actual value.
import { LabError } from '../errors.js';

interface OptionBase {
  /** One line for `--help`. */
  description: string;
  /** The option must be given (no default). */
  required?: boolean;
  /**
   * Names of the API option or argument this flag feeds (e.g. `batchSize`, `rate`): a `LabError` that a
   * command throws with one of these names is reported with the flag's name instead.
   */
  param?: string | readonly string[];
}

/** `--flag` (true) / absent (false). */
export interface BooleanOption extends OptionBase {
  type: 'boolean';
  default?: boolean;
}
/** Free text. */
export interface StringOption extends OptionBase {
  type: 'string';
  default?: string;
}
/** A finite number, optionally an integer within bounds (negative values welcome: `--beta -3`). */
export interface NumberOption extends OptionBase {
  type: 'number';
  default?: number;
  integer?: boolean;
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
}
/** Comma-separated numbers, each checked like a {@link NumberOption}. */
export interface NumberListOption extends Omit<NumberOption, 'type' | 'default'> {
  type: 'numbers';
  default?: readonly number[];
}
/** One of a fixed set of names. */
export interface ChoiceOption extends OptionBase {
  type: 'choice';
  choices: readonly string[];
  default?: string;
}
/** Comma-separated names, each one of `choices`. */
export interface ChoiceListOption extends OptionBase {
  type: 'choices';
  choices: readonly string[];
  default?: readonly string[];
}
/** A file or folder read by the command: checked to exist before any work starts. */
export interface InputPathOption extends OptionBase {
  type: 'input';
  /** What the path must be (default 'file'). */
  kind?: 'file' | 'dir';
  default?: string;
}
/**
 * A file or folder the command writes: its folder is created if needed and checked for writability before
 * any work starts. An existing file is replaced unless `existing: 'refuse'` (then the command needs an
 * explicit flag, such as `--overwrite` or `--resume`, which it checks itself).
 */
export interface OutputPathOption extends OptionBase {
  type: 'output';
  kind?: 'file' | 'dir';
  default?: string;
}
/**
 * `--json` (or `--json -`): the result as JSON on stdout, nothing else there; `--json FILE`: the JSON
 * written to FILE (atomically) and the human-readable text on stdout.
 */
export interface JsonOption extends OptionBase {
  type: 'json';
}
/** `--seeds N` (seeds 0 … N−1), `--seeds 3,5,8` (a list) or `--seeds 2..6` (an inclusive range). */
export interface SeedsOption extends OptionBase {
  type: 'seeds';
}

export type CliOption =
  | BooleanOption
  | StringOption
  | NumberOption
  | NumberListOption
  | ChoiceOption
  | ChoiceListOption
  | InputPathOption
  | OutputPathOption
  | JsonOption
  | SeedsOption;

/** What `--json` resolved to: nothing, stdout, or a file. */
export type JsonTarget = { to: 'none' } | { to: 'stdout' } | { to: 'file'; path: string };

type Given<O, T> = O extends { default: unknown } ? T : O extends { required: true } ? T : T | undefined;

/** The parsed value of one option, typed from its spec. */
export type OptionValue<O extends CliOption> = O extends BooleanOption
  ? boolean
  : O extends NumberOption
    ? Given<O, number>
    : O extends NumberListOption
      ? Given<O, number[]>
      : O extends ChoiceOption
        ? Given<O, O['choices'][number]>
        : O extends ChoiceListOption
          ? Given<O, O['choices'][number][]>
          : O extends JsonOption
            ? JsonTarget
            : O extends SeedsOption
              ? number[] | undefined
              : Given<O, string>;

/** The parsed values of a command's options, typed from its option table. */
export type OptionValues<T extends Record<string, CliOption>> = { [K in keyof T]: OptionValue<T[K]> };

/** Options whose flag may stand alone or take a value (`--json`, `--json -`, `--json out.json`). */
export const takesOptionalValue = (o: CliOption): boolean => o.type === 'json';
/** Options that never take a value. */
export const isFlag = (o: CliOption): boolean => o.type === 'boolean';

const usage = (message: string) => new LabError('INVALID_ARGUMENT', message);

type NumberBounds = Pick<NumberOption, 'integer' | 'min' | 'max' | 'minExclusive' | 'maxExclusive'>;

function parseNumber(text: string, flag: string, spec: NumberBounds): number {
  const trimmed = text.trim();
  const n = trimmed === '' ? Number.NaN : Number(trimmed);
  const kind = spec.integer ? 'an integer' : 'a number';
  const bounds = [
    spec.min === undefined ? '' : `${spec.minExclusive ? '>' : '>='} ${spec.min}`,
    spec.max === undefined ? '' : `${spec.maxExclusive ? '<' : '<='} ${spec.max}`,
  ]
    .filter(Boolean)
    .join(' and ');
  const expected = `${kind}${bounds ? ` ${bounds}` : ''}`;
  if (!Number.isFinite(n)) throw usage(`${flag}: expected ${expected}, got '${text}'`);
  const bad =
    (spec.integer && !Number.isInteger(n)) ||
    (spec.min !== undefined && (spec.minExclusive ? n <= spec.min : n < spec.min)) ||
    (spec.max !== undefined && (spec.maxExclusive ? n >= spec.max : n > spec.max));
  if (bad) throw new LabError('OUT_OF_RANGE', `${flag}: expected ${expected}, got ${text}`);
  return n;
}

function parseChoice(text: string, flag: string, choices: readonly string[]): string {
  if (!choices.includes(text))
    throw usage(`${flag}: expected one of ${choices.map((c) => `'${c}'`).join(', ')}, got '${text}'`);
  return text;
}

const MAX_SEEDS = 10_000;

/** Parses `--seeds`: a count, a comma list or an inclusive range `a..b` of non-negative integers. */
export function parseSeeds(text: string, flag = '--seeds'): number[] {
  const seedOf = (s: string) => parseNumber(s, flag, { integer: true, min: 0 });
  const range = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(text);
  let seeds: number[];
  if (range) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    if (b < a) throw new LabError('OUT_OF_RANGE', `${flag}: range '${text}' is empty (end before start)`);
    if (b - a + 1 > MAX_SEEDS)
      throw new LabError('OUT_OF_RANGE', `${flag}: at most ${MAX_SEEDS} seeds, got ${b - a + 1}`);
    seeds = Array.from({ length: b - a + 1 }, (_, i) => a + i);
  } else if (text.includes(',')) {
    seeds = text.split(',').map(seedOf);
    if (new Set(seeds).size !== seeds.length) throw usage(`${flag}: seeds must be distinct, got '${text}'`);
  } else {
    const count = parseNumber(text, flag, { integer: true, min: 1, max: MAX_SEEDS });
    seeds = Array.from({ length: count }, (_, i) => i);
  }
  return seeds;
}

/** Turns the raw text of one flag (or `true` for a bare flag) into its checked value. */
export function parseOptionValue(spec: CliOption, raw: string | true, flag: string): unknown {
  if (spec.type === 'boolean') return true;
  if (spec.type === 'json') return raw === true || raw === '-' ? { to: 'stdout' } : { to: 'file', path: raw };
  if (raw === true) throw usage(`${flag}: expected a value`);
  switch (spec.type) {
    case 'number':
      return parseNumber(raw, flag, spec);
    case 'numbers':
      if (raw.trim() === '') throw usage(`${flag}: expected comma-separated numbers, got ''`);
      return raw.split(',').map((part) => parseNumber(part, flag, spec));
    case 'choice':
      return parseChoice(raw, flag, spec.choices);
    case 'choices':
      if (raw.trim() === '') throw usage(`${flag}: expected comma-separated names, got ''`);
      return raw.split(',').map((part) => parseChoice(part.trim(), flag, spec.choices));
    case 'seeds':
      return parseSeeds(raw, flag);
    case 'input':
    case 'output':
    case 'string':
      if (raw === '') throw usage(`${flag}: expected a value, got ''`);
      return raw;
  }
}

/** The value of an option that was not given: its default, or an error when it is required. */
export function defaultValue(spec: CliOption, flag: string): unknown {
  if (spec.required) throw usage(`${flag}: required (${spec.description})`);
  if (spec.type === 'boolean') return spec.default ?? false;
  if (spec.type === 'json') return { to: 'none' };
  if (spec.type === 'seeds') return undefined;
  const d = (spec as { default?: unknown }).default;
  return Array.isArray(d) ? [...d] : d;
}

/** `--help` text of one option: `--flag <value>`, the description, default, bounds and choices. */
export function describeOption(key: string, spec: CliOption): [string, string] {
  const value: Record<CliOption['type'], string> = {
    boolean: '',
    string: ' <text>',
    number: spec.type === 'number' && spec.integer ? ' <int>' : ' <number>',
    numbers: ' <n,n,…>',
    choice: ' <name>',
    choices: ' <name,…>',
    input: ' <path>',
    output: ' <path>',
    json: ' [path|-]',
    seeds: ' <n|a,b|a..b>',
  };
  const details: string[] = [];
  if ('choices' in spec) details.push(`one of: ${spec.choices.join(', ')}`);
  if (spec.type === 'number' || spec.type === 'numbers') {
    if (spec.min !== undefined) details.push(`${spec.minExclusive ? '>' : '>='} ${spec.min}`);
    if (spec.max !== undefined) details.push(`${spec.maxExclusive ? '<' : '<='} ${spec.max}`);
  }
  const d = (spec as { default?: unknown }).default;
  if (d !== undefined && d !== false) details.push(`default: ${Array.isArray(d) ? d.join(',') : String(d)}`);
  if (spec.required) details.push('required');
  return [`--${key}${value[spec.type]}`, `${spec.description}${details.length ? ` (${details.join('; ')})` : ''}`];
}

/**
 * Parses a numeric option given as text, naming the flag on error.
 * @deprecated Declare the option as `{ type: 'number' }` in the command's table: the driver parses and checks it.
 */
export function numberOption(value: unknown, flag: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new LabError('INVALID_ARGUMENT', `--${flag}: required`);
    return fallback;
  }
  return parseNumber(String(value), `--${flag}`, {});
}
