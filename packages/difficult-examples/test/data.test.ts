import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mnistRows, readImageFile } from '../src/data.js';

describe('readImageFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'de-data-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads images row-major with their labels, or without labels', () => {
    const path = join(dir, 'ok.json');
    writeFileSync(
      path,
      JSON.stringify({
        images: [
          [0, 0.5],
          [1, 0.25],
        ],
        labels: [1, 0],
      }),
    );
    const set = readImageFile(path, '--input');
    expect(set.count).toBe(2);
    expect(set.dim).toBe(2);
    expect(Array.from(set.x)).toEqual([0, 0.5, 1, 0.25]);
    expect(Array.from(set.labels!)).toEqual([1, 0]);
    writeFileSync(path, JSON.stringify({ images: [[0, 0.5]] }));
    expect(readImageFile(path, '--input').labels).toBeNull();
  });

  it.each([
    ['{', /cannot read '.*' as JSON/],
    ['{"images": []}', /expected \{ "images": number\[\]\[\] \} with at least 1 image/],
    ['{"images": [[1, 2]], "labels": [0, 1]}', /"labels" .* an array of 1 class ids/],
    ['{"images": [[1, 2]], "labels": [-1]}', /labels\[0\] .*expected an integer class id in \[0, 10000\), got -1/],
    ['{"images": [[1, 2]], "labels": [0.5]}', /labels\[0\] .*got 0.5/],
    ['{"images": [[1, null]]}', /images\[0\]\[1\] .*expected a finite number, got null/],
  ])('%s is refused', (text, message) => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, text);
    expect(() => readImageFile(path, '--input')).toThrow(message);
  });

  it('names the flag and path of a missing file', () => {
    expect(() => readImageFile(join(dir, 'nope.json'), '--input')).toThrow(/--input: cannot read '.*nope.json'/);
  });
});

describe('mnistRows', () => {
  it('gathers the rows and labels at the given indices, in order', () => {
    const images = Float32Array.from({ length: 3 * 784 }, (_, i) => Math.floor(i / 784));
    const { x, labels } = mnistRows({ images, labels: [7, 8, 9] }, Int32Array.from([2, 0]));
    expect(x.length).toBe(2 * 784);
    expect(x[0]).toBe(2);
    expect(x[784]).toBe(0);
    expect(Array.from(labels)).toEqual([9, 7]);
  });
});
