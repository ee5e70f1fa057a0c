import { describe, expect, it } from 'vitest';
import { LabError, Rng } from '@lab/core';
import { parseTUDataset, type TUDatasetOptions } from '../src/index.js';

// Fuzz of the TU loader: seeded mutations of a small valid dataset must load or throw a LabError, and no
// typed array beyond the bounds below may be allocated while parsing (checked by wrapping the constructors).
const bounds: Partial<TUDatasetOptions> = { maxNodeLabels: 64, maxFeatureValues: 4096, maxLines: 500 };
const maxElements = 4096; // ≥ every legitimate allocation under `bounds`: features, 2 ints per line, graph offsets

function baseDataset(rng: Rng): Record<string, string> {
  const indicator: number[] = [];
  const edges: string[] = [];
  const labels: number[] = [];
  for (let gi = 1; gi <= 6; gi++) {
    const first = indicator.length + 1;
    const n = 3 + rng.int(4);
    for (let i = 0; i < n; i++) indicator.push(gi);
    for (let i = 0; i < n; i++)
      edges.push(`${first + i}, ${first + ((i + 1) % n)}`, `${first + ((i + 1) % n)}, ${first + i}`);
    labels.push(rng.int(2) * 2 - 1);
  }
  const nodes = indicator.length;
  return {
    'F_A.txt': edges.join('\n') + '\n',
    'F_graph_indicator.txt': indicator.join('\n') + '\n',
    'F_graph_labels.txt': labels.join('\n') + '\n',
    'F_node_labels.txt': Array.from({ length: nodes }, () => rng.int(4)).join('\n') + '\n',
    'F_node_attributes.txt': Array.from({ length: nodes }, () => `${rng.uniform(-1, 1)}, ${rng.int(9)}`).join('\n'),
  };
}

const tokens = [
  '1000000',
  '1000000000',
  '-1',
  '0',
  '1.5',
  'abc',
  '',
  '1e9',
  '2147483648',
  '99999999999999999999',
  ' 3 , 4',
  'NaN',
  'Infinity',
  '7, 8, 9',
  '0x10',
  '\r',
  '  ',
  '-0',
];

function mutate(files: Record<string, string>, rng: Rng): Record<string, string> {
  const out = { ...files };
  for (let m = 1 + rng.int(3); m > 0; m--) {
    const names = Object.keys(out);
    const name = names[rng.int(names.length)]!;
    const lines = out[name]!.split('\n');
    const at = rng.int(lines.length);
    const op = rng.int(10);
    if (op === 0) lines[at] = tokens[rng.int(tokens.length)]!;
    else if (op === 1) lines[at] = String(rng.int(60) - 5);
    else if (op === 2) lines.splice(at, 1);
    else if (op === 3) lines.splice(at, 0, lines[rng.int(lines.length)]!);
    else if (op === 4) lines.push(...Array.from({ length: rng.int(600) }, () => String(1 + rng.int(5))));
    else if (op === 5) lines.length = at;
    else if (op === 6)
      lines[at] = `${lines[at]}${rng.int(10)}`; // 3 → 37: ids and labels jump
    else if (op === 7) delete out[name];
    else if (op === 8)
      lines[at] = String(10 ** (2 + rng.int(10))); // a label or id far out of range
    else lines.reverse();
    if (op !== 7) out[name] = lines.join(rng.bernoulli(0.1) ? '\r\n' : '\n');
  }
  return out;
}

type TypedCtor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor;

/** Runs fn with the typed-array constructors refusing more than `max` elements; returns the largest request. */
function withAllocationGuard<R>(max: number, fn: () => R): { result: R; largest: number } {
  const originals: [string, TypedCtor][] = (['Float32Array', 'Float64Array', 'Int32Array'] as const).map((k) => [
    k,
    globalThis[k],
  ]);
  let largest = 0;
  for (const [key, Base] of originals) {
    const Guarded = class extends (Base as Float32ArrayConstructor) {
      constructor(...args: unknown[]) {
        const n = typeof args[0] === 'number' ? args[0] : ((args[0] as ArrayLike<unknown> | undefined)?.length ?? 0);
        largest = Math.max(largest, n);
        if (n > max) throw new RangeError(`allocation of ${n} elements beyond the bound ${max}`);
        super(...(args as [number]));
      }
    };
    (globalThis as Record<string, unknown>)[key] = Guarded;
  }
  try {
    return { result: fn(), largest };
  } finally {
    for (const [key, Base] of originals) (globalThis as Record<string, unknown>)[key] = Base;
  }
}

describe('TU loader fuzz', () => {
  it('600 seeded mutated datasets: each loads within the bounds or throws a LabError', () => {
    const rng = new Rng(15);
    const outcomes = { loaded: 0, refused: 0 };
    for (let run = 0; run < 600; run++) {
      const files = mutate(baseDataset(rng), rng);
      const useNodeAttributes = rng.bernoulli(0.5);
      let threw: unknown;
      let largest = 0;
      try {
        const guarded = withAllocationGuard(maxElements, () =>
          parseTUDataset(files, 'F', { ...bounds, useNodeAttributes }),
        );
        largest = guarded.largest;
        const ds = guarded.result;
        let values = 0;
        for (const g of ds.graphs) {
          values += g.x.length;
          expect(g.x.length).toBe(g.numNodes * g.featDim);
          for (let k = 0; k < g.src.length; k++) {
            expect(g.src[k]! >= 0 && g.src[k]! < g.numNodes && g.dst[k]! >= 0 && g.dst[k]! < g.numNodes).toBe(true);
          }
          expect(g.label! >= 0 && g.label! < ds.numClasses).toBe(true);
        }
        expect(values).toBeLessThanOrEqual(bounds.maxFeatureValues!);
        expect(ds.numNodeLabels).toBeLessThanOrEqual(bounds.maxNodeLabels!);
        outcomes.loaded++;
      } catch (e) {
        threw = e;
      }
      if (threw !== undefined) {
        expect(threw, `run ${run}: ${String(threw)}`).toBeInstanceOf(LabError);
        outcomes.refused++;
      }
      expect(largest).toBeLessThanOrEqual(maxElements);
    }
    // the mutations reach both sides: plenty refused, some still valid
    expect(outcomes.refused).toBeGreaterThan(200);
    expect(outcomes.loaded).toBeGreaterThan(20);
  });
});
