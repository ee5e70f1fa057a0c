import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LabError, strictOptions, type OptionChecks } from '@lab/core';
import type { Graph } from './graph.js';

/**
 * Options of {@link parseTUDataset} and {@link loadTUDataset} (defaults follow PyG `TUDataset`). The
 * `max…` bounds are checked before anything of that size is allocated, so a small file cannot make
 * the loader allocate gigabytes; raise them for a dataset that needs more.
 */
export interface TUDatasetOptions {
  /** Keep continuous node attributes (`DS_node_attributes.txt`) in the features (false, as PyG's `use_node_attr`). */
  useNodeAttributes: boolean;
  /** Drop edges `v → v` (true, as PyG). */
  removeSelfLoops: boolean;
  /** Drop repeated directed edges (true, as PyG's coalesce). */
  removeDuplicates: boolean;
  /** Most one-hot node-label columns, i.e. `max − min + 1` of `DS_node_labels.txt` (1024; the TU benchmarks use ≤ 90). */
  maxNodeLabels: number;
  /** Most feature values, nodes × feature columns over all graphs (2^27 ≈ 134 M, 512 MiB of float32). */
  maxFeatureValues: number;
  /** Most lines in one file, counted before it is split (50 M; this also bounds nodes, edges and graphs). */
  maxLines: number;
  /** Most bytes {@link loadTUDataset} reads from one file, checked before reading (500 MB, under V8's string limit). */
  maxFileBytes: number;
}

export const defaultTUDatasetOptions: TUDatasetOptions = {
  useNodeAttributes: false,
  removeSelfLoops: true,
  removeDuplicates: true,
  maxNodeLabels: 1024,
  maxFeatureValues: 2 ** 27,
  maxLines: 50_000_000,
  maxFileBytes: 500_000_000,
};

const count = { min: 1, integer: true };
const tuChecks: OptionChecks<TUDatasetOptions> = {
  maxNodeLabels: count,
  maxFeatureValues: count,
  maxLines: count,
  maxFileBytes: count,
};

/** A TU dataset: the graphs plus what the labels and features mean. */
export interface TUDataset {
  name: string;
  graphs: Graph[];
  numClasses: number;
  /** Original graph label of class c (labels are remapped to 0..C−1 in sorted order). */
  classValues: number[];
  /** Number of one-hot node-label columns (first columns of x when attributes are kept: attributes first, then labels). */
  numNodeLabels: number;
  numNodeAttributes: number;
}

/** The lines of a file (trailing blank lines dropped), refused before splitting when there are more than `maxLines`. */
function lines(text: string, file: string, maxLines: number): string[] {
  let count = 1;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) {
    if (++count > maxLines && text.slice(at + 1).trim() !== '')
      throw new LabError('OUT_OF_RANGE', `${file}: line ${count}: more than maxLines = ${maxLines} lines`);
  }
  const out = text.split(/\r?\n/).map((l) => l.trim());
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

const INTEGER = /^[+-]?\d+$/;

/** `perLine` integers per line, row-major in one array — [lines · perLine]. */
function parseInts(text: string, file: string, perLine: number, maxLines: number): Float64Array {
  const rows = lines(text, file, maxLines);
  const out = new Float64Array(rows.length * perLine);
  rows.forEach((line, i) => {
    const parts = line.split(/[,\s]+/).filter(Boolean);
    if (parts.length !== perLine || parts.some((p) => !INTEGER.test(p) || !Number.isSafeInteger(Number(p)))) {
      throw new LabError(
        'MALFORMED_FILE',
        `${file}: line ${i + 1}: expected ${perLine} integer${perLine > 1 ? 's' : ''}, got '${line}'`,
      );
    }
    parts.forEach((p, j) => (out[i * perLine + j] = Number(p)));
  });
  return out;
}

/** One row of finite numbers. */
function parseFloatRow(line: string, file: string, i: number): number[] {
  const nums = line
    .split(/[,\s]+/)
    .filter(Boolean)
    .map(Number);
  if (nums.length === 0 || nums.some((v) => !Number.isFinite(v)))
    throw new LabError(
      'MALFORMED_FILE',
      `${file}: line ${i + 1}: expected comma-separated finite numbers, got '${line}'`,
    );
  return nums;
}

function checkFeatureBound(numNodes: number, cols: number, o: TUDatasetOptions, where: string): void {
  if (numNodes * cols > o.maxFeatureValues)
    throw new LabError(
      'OUT_OF_RANGE',
      `${where}: ${numNodes} nodes × ${cols} feature columns = ${numNodes * cols} values, more than maxFeatureValues = ${o.maxFeatureValues}`,
    );
}

/**
 * Graph id of every node (1-based in the file, 0-based here) and the graph count. The ids must start at
 * 1 and go up by 0 or 1 per line: a skipped id would be a graph without nodes, which the format cannot hold.
 */
function parseIndicator(text: string, file: string, o: TUDatasetOptions): { graphOf: Int32Array; numGraphs: number } {
  const raw = parseInts(text, file, 1, o.maxLines);
  if (raw.length === 0) throw new LabError('EMPTY_INPUT', `${file}: expected at least one node`);
  const graphOf = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const gid = raw[i]!;
    const prev = i === 0 ? 0 : raw[i - 1]!;
    if ((gid !== prev || i === 0) && gid !== prev + 1)
      throw new LabError(
        'MALFORMED_FILE',
        i === 0
          ? `${file}: line 1: graph id ${gid}, expected 1 (graph ids start at 1)`
          : gid < prev
            ? `${file}: line ${i + 1}: graph ids must be non-decreasing, got ${gid} after ${prev}`
            : `${file}: line ${i + 1}: graph id ${gid} skips graph ${prev + 1} (ids go up by one)`,
      );
    graphOf[i] = gid - 1;
  }
  return { graphOf, numGraphs: raw[raw.length - 1]! };
}

/** Node labels shifted to start at 0 (PyG subtracts the minimum) and the one-hot width, bounded line by line. */
function parseNodeLabels(text: string, file: string, numNodes: number, o: TUDatasetOptions) {
  const raw = parseInts(text, file, 1, o.maxLines);
  if (raw.length !== numNodes)
    throw new LabError('MALFORMED_FILE', `${file}: expected ${numNodes} lines (one per node), got ${raw.length}`);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < raw.length; i++) {
    min = Math.min(min, raw[i]!);
    max = Math.max(max, raw[i]!);
    if (max - min + 1 > o.maxNodeLabels)
      throw new LabError(
        'OUT_OF_RANGE',
        `${file}: line ${i + 1}: node label ${raw[i]} makes ${max - min + 1} one-hot columns (labels ${min}..${max}), more than maxNodeLabels = ${o.maxNodeLabels}`,
      );
  }
  const labels = Int32Array.from(raw, (v) => v - min);
  return { labels, cols: max - min + 1 };
}

function parseNodeAttributes(text: string, file: string, numNodes: number, o: TUDatasetOptions) {
  const rows = lines(text, file, o.maxLines);
  if (rows.length !== numNodes)
    throw new LabError('MALFORMED_FILE', `${file}: expected ${numNodes} lines (one per node), got ${rows.length}`);
  const cols = parseFloatRow(rows[0]!, file, 0).length;
  checkFeatureBound(numNodes, cols, o, `${file}: line 1`);
  const values = new Float32Array(numNodes * cols);
  rows.forEach((line, i) => {
    const row = parseFloatRow(line, file, i);
    if (row.length !== cols)
      throw new LabError('MALFORMED_FILE', `${file}: line ${i + 1}: expected ${cols} values, got ${row.length}`);
    values.set(row, i * cols);
  });
  return { values, cols };
}

/**
 * Parses the TU graph-kernel text format (Morris et al., 2020, "TUDataset: A collection of benchmark
 * datasets for learning with graphs") from file contents keyed by file name: `DS_A.txt` (1-based
 * `row, col` edges), `DS_graph_indicator.txt`, `DS_graph_labels.txt`, and optionally
 * `DS_node_labels.txt` (one-hot encoded as features) and `DS_node_attributes.txt`. Graph labels are
 * remapped to 0..C−1. Without node labels or attributes every node gets the constant feature 1.
 * Input that breaks the format throws a `MALFORMED_FILE` LabError naming the file, line and value
 * (non-integer or out-of-range ids, an indicator that skips or revisits a graph id, an extra or missing
 * `graph_labels` line, an edge to a missing node or across graphs, line counts that disagree); input
 * beyond a `max…` bound of {@link TUDatasetOptions} throws `OUT_OF_RANGE` before the allocation.
 */
export function parseTUDataset(
  files: Record<string, string>,
  name?: string,
  options: Partial<TUDatasetOptions> = {},
): TUDataset {
  const o = strictOptions(options, defaultTUDatasetOptions, 'parseTUDataset options', tuChecks);
  if (files === null || typeof files !== 'object')
    throw new LabError('INVALID_ARGUMENT', `files: expected an object of file contents, got ${String(files)}`);
  const ds =
    name ??
    Object.keys(files)
      .find((f) => f.endsWith('_A.txt'))
      ?.slice(0, -'_A.txt'.length);
  if (!ds)
    throw new LabError('NOT_FOUND', `files: expected a '<name>_A.txt' entry, got [${Object.keys(files).join(', ')}]`);
  const file = (suffix: string) => `${ds}_${suffix}.txt`;
  const text = (suffix: string, required: boolean): string | undefined => {
    const key = file(suffix);
    if (!Object.hasOwn(files, key)) {
      if (required) throw new LabError('NOT_FOUND', `${key}: required TU file is missing`);
      return undefined;
    }
    if (typeof files[key] !== 'string')
      throw new LabError('INVALID_ARGUMENT', `${key}: expected the file's text, got ${typeof files[key]}`);
    return files[key];
  };

  const { graphOf, numGraphs } = parseIndicator(text('graph_indicator', true)!, file('graph_indicator'), o);
  const numNodes = graphOf.length;
  const graphLabelsRaw = parseInts(text('graph_labels', true)!, file('graph_labels'), 1, o.maxLines);
  if (graphLabelsRaw.length > numGraphs)
    throw new LabError(
      'MALFORMED_FILE',
      `${file('graph_labels')}: line ${numGraphs + 1}: extra label ${graphLabelsRaw[numGraphs]} (${file('graph_indicator')} names ${numGraphs} graphs)`,
    );
  if (graphLabelsRaw.length < numGraphs)
    throw new LabError(
      'MALFORMED_FILE',
      `${file('graph_indicator')}: line ${graphOf.indexOf(graphLabelsRaw.length) + 1}: graph id ${graphLabelsRaw.length + 1} has no label (${file('graph_labels')} has ${graphLabelsRaw.length} lines)`,
    );
  const edges = parseInts(text('A', true)!, file('A'), 2, o.maxLines);

  const nlText = text('node_labels', false);
  const nodeLabels = nlText === undefined ? undefined : parseNodeLabels(nlText, file('node_labels'), numNodes, o);
  const naText = o.useNodeAttributes ? text('node_attributes', false) : undefined;
  const attrs = naText === undefined ? undefined : parseNodeAttributes(naText, file('node_attributes'), numNodes, o);
  const attrCols = attrs?.cols ?? 0;
  const labelCols = nodeLabels?.cols ?? 0;
  const featDim = attrCols + labelCols || 1;
  checkFeatureBound(numNodes, featDim, o, nodeLabels ? file('node_labels') : file('graph_indicator'));

  const classValues = [...new Set(graphLabelsRaw)].sort((a, b) => a - b);
  const classOf = new Map(classValues.map((v, c) => [v, c]));
  const start = new Int32Array(numGraphs + 1);
  for (const gi of graphOf) start[gi + 1]!++;
  for (let gi = 0; gi < numGraphs; gi++) start[gi + 1]! += start[gi]!;

  const graphEdges: number[][] = Array.from({ length: numGraphs }, () => []);
  const seen = new Set<number>();
  for (let i = 0; i < edges.length / 2; i++) {
    const r = edges[2 * i]!;
    const c = edges[2 * i + 1]!;
    if (r < 1 || r > numNodes || c < 1 || c > numNodes)
      throw new LabError(
        'MALFORMED_FILE',
        `${file('A')}: line ${i + 1}: node id ${r < 1 || r > numNodes ? r : c} outside [1, ${numNodes}] in edge '${r}, ${c}'`,
      );
    const gi = graphOf[r - 1]!;
    if (graphOf[c - 1] !== gi)
      throw new LabError(
        'MALFORMED_FILE',
        `${file('A')}: line ${i + 1}: edge ${r} → ${c} joins graphs ${gi + 1} and ${graphOf[c - 1]! + 1}`,
      );
    if (o.removeSelfLoops && r === c) continue;
    const key = (r - 1) * numNodes + (c - 1);
    if (o.removeDuplicates && seen.has(key)) continue;
    seen.add(key);
    graphEdges[gi]!.push(r - 1 - start[gi]!, c - 1 - start[gi]!);
  }

  const graphs: Graph[] = [];
  for (let gi = 0; gi < numGraphs; gi++) {
    const n = start[gi + 1]! - start[gi]!;
    const x = new Float32Array(n * featDim);
    for (let i = 0; i < n; i++) {
      const node = start[gi]! + i;
      if (attrs) x.set(attrs.values.subarray(node * attrCols, (node + 1) * attrCols), i * featDim);
      if (nodeLabels) x[i * featDim + attrCols + nodeLabels.labels[node]!] = 1;
      if (!attrs && !nodeLabels) x[i] = 1;
    }
    const e = graphEdges[gi]!;
    graphs.push({
      numNodes: n,
      featDim,
      x,
      src: Int32Array.from({ length: e.length / 2 }, (_, k) => e[2 * k]!),
      dst: Int32Array.from({ length: e.length / 2 }, (_, k) => e[2 * k + 1]!),
      label: classOf.get(graphLabelsRaw[gi]!)!,
    });
  }
  return {
    name: ds,
    graphs,
    numClasses: classValues.length,
    classValues,
    numNodeLabels: labelCols,
    numNodeAttributes: attrCols,
  };
}

function readText(path: string, maxBytes: number): string {
  try {
    const size = statSync(path).size;
    if (size > maxBytes)
      throw new LabError('OUT_OF_RANGE', `${path}: ${size} bytes, more than maxFileBytes = ${maxBytes}`);
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof LabError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new LabError('NOT_FOUND', `${path}: cannot read the file (${code}); check that it exists and is readable`, {
      cause: e,
    });
  }
}

/**
 * Reads a TU dataset folder (e.g. an unpacked `MUTAG/` holding `MUTAG_A.txt`, …) and parses it with
 * {@link parseTUDataset}. The dataset name defaults to the prefix of the folder's `*_A.txt` file. A file
 * larger than `maxFileBytes` is refused before it is read; a file that cannot be read is a `NOT_FOUND`
 * LabError naming its path.
 */
export function loadTUDataset(dir: string, name?: string, options: Partial<TUDatasetOptions> = {}): TUDataset {
  const o = strictOptions(options, defaultTUDatasetOptions, 'loadTUDataset options', tuChecks);
  if (!existsSync(dir)) throw new LabError('NOT_FOUND', `dir: folder '${dir}' does not exist`);
  let entries: string[];
  try {
    entries = readdirSync(dir).filter((f) => f.endsWith('.txt'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new LabError('NOT_FOUND', `dir: cannot list '${dir}' (${code}); expected a readable folder`, { cause: e });
  }
  const ds = name ?? entries.find((f) => f.endsWith('_A.txt'))?.slice(0, -'_A.txt'.length);
  if (!ds)
    throw new LabError('NOT_FOUND', `dir: expected a '<name>_A.txt' file in '${dir}', found [${entries.join(', ')}]`);
  const files: Record<string, string> = {};
  for (const f of entries) if (f.startsWith(`${ds}_`)) files[f] = readText(join(dir, f), o.maxFileBytes);
  return parseTUDataset(files, ds, o);
}
