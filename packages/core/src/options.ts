import { LabError, assertInRange, type RangeSpec } from './errors.js';

/** Per-key checks of {@link strictOptions}: a numeric range or a list of allowed strings. */
export type OptionChecks<T> = { [K in keyof T]?: RangeSpec | readonly string[] };

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * The one strict-options helper of `@lab`: merges `given` over `defaults` and refuses, with a `LabError` that
 * names the key, the expected and the actual value, any unknown key (with the closest known one suggested),
 * a value of another type than its default, a number outside its range and a string outside its choices.
 * `where` names the function for unknown keys (e.g. `supConLoss options`). Keys whose default is `undefined`
 * are optional and only type-checked by `checks`. Messages start with the key (`temperature: …`), so the CLI
 * driver shows the flag that fed it.
 *
 * @example
 * const { temperature } = strictOptions(options, { temperature: 0.5 }, 'supConLoss options', {
 *   temperature: { min: 0, minExclusive: true },
 * });
 */
export function strictOptions<T extends object>(
  given: Partial<T> | undefined | null,
  defaults: T,
  where: string,
  checks: OptionChecks<T> = {},
): T {
  if (given !== undefined && given !== null && (typeof given !== 'object' || Array.isArray(given)))
    throw new LabError('INVALID_ARGUMENT', `${where}: expected an options object, got ${kindOf(given)}`);
  const known = Object.keys(defaults);
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (!Object.prototype.hasOwnProperty.call(defaults, key)) {
      const closest = known
        .map((k) => [k, editDistance(key.toLowerCase(), k.toLowerCase())] as const)
        .sort((a, b) => a[1] - b[1])[0];
      const hint =
        closest && closest[1] <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean '${closest[0]}'?)` : '';
      throw new LabError(
        'INVALID_ARGUMENT',
        `${where}: unknown option '${key}'${hint}; expected one of ${known.map((k) => `'${k}'`).join(', ')}`,
      );
    }
    if (value === undefined) continue; // same as leaving it out
    const fallback = (defaults as Record<string, unknown>)[key];
    if (fallback !== undefined && fallback !== null && kindOf(value) !== kindOf(fallback))
      throw new LabError(
        'INVALID_ARGUMENT',
        `${key}: expected ${kindOf(fallback)}, got ${kindOf(value)} (${String(value)})`,
      );
    merged[key] = value;
  }
  for (const [key, check] of Object.entries(checks) as [string, RangeSpec | readonly string[] | undefined][]) {
    const value = merged[key];
    if (value === undefined || check === undefined) continue;
    if (Array.isArray(check)) {
      if (typeof value !== 'string' || !check.includes(value))
        throw new LabError(
          'INVALID_ARGUMENT',
          `${key}: expected one of ${check.map((c) => `'${c}'`).join(', ')}, got ${typeof value === 'string' ? `'${value}'` : String(value)}`,
        );
    } else {
      if (typeof value !== 'number')
        throw new LabError('INVALID_ARGUMENT', `${key}: expected number, got ${kindOf(value)}`);
      assertInRange(value, key, check as RangeSpec);
    }
  }
  return merged as T;
}
