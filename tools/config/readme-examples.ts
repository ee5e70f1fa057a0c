import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

export interface ReadmeExampleOptions {
  /** `## ` section titles whose examples must also leave `tf.memory().numTensors` unchanged. */
  leakFree?: string[];
  /** Returns the live tensor count (pass `() => tf.memory().numTensors`); needed with `leakFree`. */
  numTensors?: () => number;
  /** Per-example timeout in ms. */
  timeout?: number;
}

/**
 * Registers one vitest test per ```ts block of a README, grouped by `## ` section, so the documented
 * examples keep running. Each block is written to a temporary file and imported; '/tmp/' paths and
 * os.tmpdir() point at a scratch folder, and console/stderr output is silenced. Blocks fenced as
 * ```typescript are fragments and are not run.
 */
export function describeReadmeExamples(readmeUrl: URL, options: ReadmeExampleOptions = {}): void {
  const readme = readFileSync(readmeUrl, 'utf8');
  const sections = readme.split(/\n(?=## )/).filter((s) => s.startsWith('## '));
  const dir = mkdtempSync(join(tmpdir(), 'lab-readme-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('README has runnable examples', () => {
    expect(sections.some((s) => s.includes('```ts\n'))).toBe(true);
  });

  for (const section of sections) {
    const title = section.slice(3, section.indexOf('\n')).trim();
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    if (blocks.length === 0) continue;
    describe(`README: ${title}`, () => {
      blocks.forEach((code, i) => {
        it(`example ${i + 1} runs`, { timeout: options.timeout ?? 120_000 }, async () => {
          const file = join(dir, `${title.replace(/\W+/g, '-')}-${i + 1}.ts`);
          writeFileSync(file, code.replaceAll("'/tmp/", `'${dir}/`));
          const before = options.numTensors?.();
          const { write } = process.stderr;
          const { log } = console;
          const tmp = process.env.TMPDIR;
          process.env.TMPDIR = dir;
          process.stderr.write = (() => true) as typeof process.stderr.write; // progress output
          console.log = () => undefined;
          try {
            await import(/* @vite-ignore */ file);
          } finally {
            process.stderr.write = write;
            console.log = log;
            if (tmp === undefined) delete process.env.TMPDIR;
            else process.env.TMPDIR = tmp;
          }
          if (options.leakFree?.includes(title) && options.numTensors) expect(options.numTensors()).toBe(before);
        });
      });
    });
  }
}
