import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from '@lab/core';
import type { Graph } from './graph.js';

/** Options of {@link parseTUDataset} (defaults follow PyG `TUDataset`). */
export interface TUDatasetOptions {
  /** Keep continuous node attributes (`DS_node_attributes.txt`) in the features (false, as PyG's `use_node_attr`). */
  useNodeAttributes: boolean;
  /** Drop edges `v → v` (true, as PyG). */
  removeSelfLoops: boolean;
  /** Drop repeated directed edges (true, as PyG's coalesce). */
  removeDuplicates: boolean;
}

export const defaultTUDatasetOptions: TUDatasetOptions = {
  useNodeAttributes: false,
  removeSelfLoops: true,
  removeDuplicates: true,
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

function lines(text: string): string[] {
  const out = text.split(/\r?\n/).map((l) => l.trim());
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

function parseInts(text: string, file: string, perLine: number): number[][] {
  return lines(text).map((line, i) => {
    const parts = line.split(/[,\s]+/).filter(Boolean);
    const nums = parts.map(Number);
    if (parts.length !== perLine || nums.some((v) => !Number.isInteger(v))) {
      throw new LabError(
        'MALFORMED_FILE',
        `${file}: line ${i + 1}: expected ${perLine} integer${perLine > 1 ? 's' : ''}, got '${line}'`,
      );
    }
    return nums;
  });
}

function parseFloats(text: string, file: string): number[][] {
  return lines(text).map((line, i) => {
    const nums = line
      .split(/[,\s]+/)
      .filter(Boolean)
      .map(Number);
    if (nums.length === 0 || nums.some((v) => Number.isNaN(v))) {
      throw new LabError('MALFORMED_FILE', `${file}: line ${i + 1}: expected comma-separated numbers, got '${line}'`);
    }
    return nums;
  });
}

/**
 * Parses the TU graph-kernel text format (Morris et al., 2020, "TUDataset: A collection of benchmark
 * datasets for learning with graphs") from file contents keyed by file name: `DS_A.txt` (1-based
 * `row, col` edges), `DS_graph_indicator.txt`, `DS_graph_labels.txt`, and optionally
 * `DS_node_labels.txt` (one-hot encoded as features) and `DS_node_attributes.txt`. Graph labels are
 * remapped to 0..C−1. Without node labels or attributes every node gets the constant feature 1.
 * Malformed input throws a LabError naming the file and line.
 */
export function parseTUDataset(
  files: Record<string, string>,
  name?: string,
  options: Partial<TUDatasetOptions> = {},
): TUDataset {
  const o = { ...defaultTUDatasetOptions, ...options };
  const ds =
    name ??
    Object.keys(files)
      .find((f) => f.endsWith('_A.txt'))
      ?.slice(0, -'_A.txt'.length);
  if (!ds)
    throw new LabError('NOT_FOUND', `files: expected a '<name>_A.txt' entry, got [${Object.keys(files).join(', ')}]`);
  const need = (suffix: string): string => {
    const key = `${ds}_${suffix}.txt`;
    const text = files[key];
    if (text === undefined) throw new LabError('NOT_FOUND', `${key}: required TU file is missing`);
    return text;
  };
  const indicator = parseInts(need('graph_indicator'), `${ds}_graph_indicator.txt`, 1).map((r) => r[0]!);
  const graphLabelsRaw = parseInts(need('graph_labels'), `${ds}_graph_labels.txt`, 1).map((r) => r[0]!);
  const edges = parseInts(need('A'), `${ds}_A.txt`, 2);
  const numNodes = indicator.length;
  const numGraphs = graphLabelsRaw.length;
  if (numNodes === 0) throw new LabError('EMPTY_INPUT', `${ds}_graph_indicator.txt: expected at least one node`);
  indicator.forEach((gid, i) => {
    if (gid < 1 || gid > numGraphs)
      throw new LabError(
        'MALFORMED_FILE',
        `${ds}_graph_indicator.txt: line ${i + 1}: graph id ${gid} outside [1, ${numGraphs}] (graph_labels has ${numGraphs} lines)`,
      );
    if (i > 0 && gid < indicator[i - 1]!)
      throw new LabError(
        'MALFORMED_FILE',
        `${ds}_graph_indicator.txt: line ${i + 1}: graph ids must be non-decreasing, got ${gid} after ${indicator[i - 1]}`,
      );
  });

  let nodeLabelCols = 0;
  let nodeLabels: number[] | undefined;
  const nlText = files[`${ds}_node_labels.txt`];
  if (nlText !== undefined) {
    nodeLabels = parseInts(nlText, `${ds}_node_labels.txt`, 1).map((r) => r[0]!);
    if (nodeLabels.length !== numNodes)
      throw new LabError(
        'MALFORMED_FILE',
        `${ds}_node_labels.txt: expected ${numNodes} lines (one per node), got ${nodeLabels.length}`,
      );
    const min = Math.min(...nodeLabels);
    nodeLabels = nodeLabels.map((v) => v - min);
    nodeLabelCols = Math.max(...nodeLabels) + 1;
  }
  let attrCols = 0;
  let attrs: number[][] | undefined;
  const naText = files[`${ds}_node_attributes.txt`];
  if (naText !== undefined && o.useNodeAttributes) {
    attrs = parseFloats(naText, `${ds}_node_attributes.txt`);
    if (attrs.length !== numNodes)
      throw new LabError(
        'MALFORMED_FILE',
        `${ds}_node_attributes.txt: expected ${numNodes} lines, got ${attrs.length}`,
      );
    attrCols = attrs[0]!.length;
    attrs.forEach((row, i) => {
      if (row.length !== attrCols)
        throw new LabError(
          'MALFORMED_FILE',
          `${ds}_node_attributes.txt: line ${i + 1}: expected ${attrCols} values, got ${row.length}`,
        );
    });
  }
  const featDim = attrCols + nodeLabelCols || 1;

  const classValues = [...new Set(graphLabelsRaw)].sort((a, b) => a - b);
  const classOf = new Map(classValues.map((v, c) => [v, c]));
  const start = new Int32Array(numGraphs + 1);
  indicator.forEach((gid) => start[gid]!++);
  for (let gi = 0; gi < numGraphs; gi++) start[gi + 1]! += start[gi]!;

  const graphEdges: [number, number][][] = Array.from({ length: numGraphs }, () => []);
  const seen: Set<number>[] = Array.from({ length: numGraphs }, () => new Set());
  edges.forEach(([r, c], i) => {
    if (r! < 1 || r! > numNodes || c! < 1 || c! > numNodes)
      throw new LabError(
        'MALFORMED_FILE',
        `${ds}_A.txt: line ${i + 1}: node id outside [1, ${numNodes}]: '${r}, ${c}'`,
      );
    const gi = indicator[r! - 1]! - 1;
    if (indicator[c! - 1]! - 1 !== gi)
      throw new LabError(
        'MALFORMED_FILE',
        `${ds}_A.txt: line ${i + 1}: edge ${r} → ${c} joins graphs ${gi + 1} and ${indicator[c! - 1]}`,
      );
    if (o.removeSelfLoops && r === c) return;
    const u = r! - 1 - start[gi]!;
    const v = c! - 1 - start[gi]!;
    const key = u * numNodes + v;
    if (o.removeDuplicates && seen[gi]!.has(key)) return;
    seen[gi]!.add(key);
    graphEdges[gi]!.push([u, v]);
  });

  const graphs: Graph[] = [];
  for (let gi = 0; gi < numGraphs; gi++) {
    const n = start[gi + 1]! - start[gi]!;
    const x = new Float32Array(n * featDim);
    for (let i = 0; i < n; i++) {
      const node = start[gi]! + i;
      if (attrs) x.set(attrs[node]!, i * featDim);
      if (nodeLabels) x[i * featDim + attrCols + nodeLabels[node]!] = 1;
      if (featDim === 1 && !attrs && !nodeLabels) x[i] = 1;
    }
    const e = graphEdges[gi]!;
    graphs.push({
      numNodes: n,
      featDim,
      x,
      src: Int32Array.from(e, ([u]) => u),
      dst: Int32Array.from(e, ([, v]) => v),
      label: classOf.get(graphLabelsRaw[gi]!)!,
    });
  }
  return {
    name: ds,
    graphs,
    numClasses: classValues.length,
    classValues,
    numNodeLabels: nodeLabelCols,
    numNodeAttributes: attrCols,
  };
}

/**
 * Reads a TU dataset folder (e.g. an unpacked `MUTAG/` holding `MUTAG_A.txt`, …) and parses it with
 * {@link parseTUDataset}. The dataset name defaults to the prefix of the folder's `*_A.txt` file.
 */
export function loadTUDataset(dir: string, name?: string, options: Partial<TUDatasetOptions> = {}): TUDataset {
  if (!existsSync(dir)) throw new LabError('NOT_FOUND', `dir: folder '${dir}' does not exist`);
  const entries = readdirSync(dir).filter((f) => f.endsWith('.txt'));
  const ds = name ?? entries.find((f) => f.endsWith('_A.txt'))?.slice(0, -'_A.txt'.length);
  if (!ds)
    throw new LabError('NOT_FOUND', `dir: expected a '<name>_A.txt' file in '${dir}', found [${entries.join(', ')}]`);
  const files: Record<string, string> = {};
  for (const f of entries) if (f.startsWith(`${ds}_`)) files[f] = readFileSync(join(dir, f), 'utf8');
  return parseTUDataset(files, ds, options);
}
