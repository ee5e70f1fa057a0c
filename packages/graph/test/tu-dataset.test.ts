import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTUDataset, parseTUDataset } from '../src/index.js';

describe('TU dataset loader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-tu-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Two graphs: a triangle (nodes 1-3, label -1) and an edge with a self-loop (nodes 4-5, label 1).
  const files: Record<string, string> = {
    'TOY_A.txt': '1, 2\n2, 1\n2, 3\n3, 2\n1, 3\n3, 1\n4, 5\n5, 4\n4, 4\n4, 5\n',
    'TOY_graph_indicator.txt': '1\n1\n1\n2\n2\n',
    'TOY_graph_labels.txt': '-1\n1\n',
    'TOY_node_labels.txt': '0\n1\n2\n0\n0\n',
    'TOY_node_attributes.txt': '0.5, 1\n1.5, 2\n2.5, 3\n3.5, 4\n4.5, 5\n',
  };

  it('reads a folder: remapped labels, one-hot node labels, self-loops and duplicates removed', () => {
    const folder = join(dir, 'TOY');
    mkdirSync(folder);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
    const ds = loadTUDataset(folder);
    expect(ds.name).toBe('TOY');
    expect(ds.numClasses).toBe(2);
    expect(ds.classValues).toEqual([-1, 1]);
    expect(ds.graphs.map((g) => g.label)).toEqual([0, 1]);
    const [a, b] = ds.graphs as [(typeof ds.graphs)[0], (typeof ds.graphs)[0]];
    expect(a.numNodes).toBe(3);
    expect(a.featDim).toBe(3);
    expect(Array.from(a.x)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(a.src.length).toBe(6);
    expect(Array.from(b.src)).toEqual([0, 1]);
    expect(Array.from(b.dst)).toEqual([1, 0]);
    const withAttr = loadTUDataset(folder, 'TOY', {
      useNodeAttributes: true,
      removeSelfLoops: false,
      removeDuplicates: false,
    });
    expect(withAttr.graphs[1]!.featDim).toBe(5);
    expect(Array.from(withAttr.graphs[1]!.x.slice(0, 5))).toEqual([3.5, 4, 1, 0, 0]);
    expect(withAttr.graphs[1]!.src.length).toBe(4);
  });

  it('malformed files and missing files throw LabErrors naming file and line', () => {
    expect(() => parseTUDataset({ ...files, 'TOY_A.txt': '1, 2\n2 x\n' })).toThrow(/TOY_A.txt: line 2/);
    expect(() => parseTUDataset({ ...files, 'TOY_A.txt': '1, 4\n' })).toThrow(/joins graphs 1 and 2/);
    expect(() => parseTUDataset({ ...files, 'TOY_graph_indicator.txt': '1\n1\n3\n2\n2\n' })).toThrow(
      /line 3: graph id 3 skips graph 2/,
    );
    const { 'TOY_graph_labels.txt': _drop, ...rest } = files;
    expect(() => parseTUDataset(rest)).toThrow(/TOY_graph_labels.txt: required/);
    expect(() => loadTUDataset(join(dir, 'nope'))).toThrow(/does not exist/);
  });

  it('a node-label file as long as DD (335k lines) loads (no Math.min(...labels) stack overflow)', () => {
    const n = 335_000;
    const ds = parseTUDataset({
      'BIG_A.txt': '1, 2\n2, 1\n',
      'BIG_graph_indicator.txt': '1\n'.repeat(n),
      'BIG_graph_labels.txt': '0\n',
      'BIG_node_labels.txt': Array.from({ length: n }, (_, i) => (i % 3) + 1).join('\n'),
    });
    expect(ds.numNodeLabels).toBe(3);
    expect(ds.graphs[0]!.numNodes).toBe(n);
  });
});
