import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend, maxRelativeError, tf } from '@lab/core';
import { CausalLM } from '../src/causal-lm.js';
import { loadCausalLM, saveCausalLM } from '../src/hf.js';
import { hfHubCacheDir, isHfRepoId, resolveHfModelDir } from '../src/hub.js';
import { llamaConfig } from '../src/llama/config.js';
import { HfTokenizer } from '../src/tokenizer.js';
import { thrown } from './helpers.js';
import { sentencePieceJson } from './tokenizer-fixtures.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const MAIN = 'a'.repeat(40);
const DEV = '0123456789abcdef0123456789abcdef01234567';
const config = llamaConfig({ vocabSize: 11, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 8 });
const logitsOf = (model: CausalLM) =>
  tf.tidy(() =>
    model
      .forward({ ids: [1, 2, 3] })
      .logits!.dataSync()
      .slice(),
  );

/** A hub cache as huggingface_hub lays it out: blobs, snapshot files as symlinks to them, refs. */
function fakeCache(): { cache: string; models: Record<string, CausalLM> } {
  const cache = mkdtempSync(join(tmpdir(), 'lab-hub-'));
  const repo = join(cache, 'models--org--tiny');
  const models: Record<string, CausalLM> = {};
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  for (const [commit, seed, shards] of [
    [MAIN, 1, false],
    [DEV, 2, true],
  ] as const) {
    const snapshot = join(repo, 'snapshots', commit);
    mkdirSync(snapshot, { recursive: true });
    models[commit] = CausalLM.random(config, { seed });
    saveCausalLM(models[commit]!, snapshot, shards ? { maxShardBytes: 600 } : {});
    for (const f of readdirSync(snapshot)) {
      const blob = join(repo, 'blobs', `${commit.slice(0, 8)}-${f}`);
      renameSync(join(snapshot, f), blob);
      symlinkSync(join('..', '..', 'blobs', `${commit.slice(0, 8)}-${f}`), join(snapshot, f));
    }
  }
  const { tokenizer, config: tokConfig } = sentencePieceJson();
  writeFileSync(join(repo, 'snapshots', MAIN, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(join(repo, 'snapshots', MAIN, 'tokenizer_config.json'), JSON.stringify(tokConfig));
  mkdirSync(join(repo, 'refs'));
  writeFileSync(join(repo, 'refs', 'main'), MAIN);
  writeFileSync(join(repo, 'refs', 'dev'), `${DEV}\n`);
  return { cache, models };
}

const saved = { HF_HOME: process.env.HF_HOME, HF_HUB_CACHE: process.env.HF_HUB_CACHE };
afterEach(() => {
  for (const [k, v] of Object.entries(saved))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  vi.restoreAllMocks();
});

describe('loadCausalLM with a Hugging Face repo id (offline hub cache)', () => {
  it('resolves refs/main, a branch and a commit, through symlinked blobs and shards, without a network call', () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const { cache, models } = fakeCache();
    for (const [revision, commit] of [
      [undefined, MAIN],
      ['dev', DEV],
      [DEV, DEV],
      [MAIN, MAIN],
    ] as const) {
      const options = revision === undefined ? { cacheDir: cache } : { cacheDir: cache, revision };
      expect(resolveHfModelDir('org/tiny', options)).toBe(join(cache, 'models--org--tiny', 'snapshots', commit));
      const model = loadCausalLM('org/tiny', options);
      expect(maxRelativeError(logitsOf(model), logitsOf(models[commit]!)).error).toBe(0);
      model.dispose();
    }
    expect(HfTokenizer.fromDirectory('org/tiny', { cacheDir: cache }).vocabSize).toBeGreaterThan(0);
    expect(fetchSpy).not.toHaveBeenCalled();
    Object.values(models).forEach((m) => m.dispose());
  });

  it('finds the cache through HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub', () => {
    const { cache, models } = fakeCache();
    delete process.env.HF_HUB_CACHE;
    const home = mkdtempSync(join(tmpdir(), 'lab-hf-home-'));
    renameSync(cache, join(home, 'hub'));
    process.env.HF_HOME = home;
    expect(hfHubCacheDir()).toBe(join(home, 'hub'));
    const model = loadCausalLM('org/tiny');
    expect(maxRelativeError(logitsOf(model), logitsOf(models[MAIN]!)).error).toBe(0);
    model.dispose();
    process.env.HF_HUB_CACHE = '/elsewhere';
    expect(hfHubCacheDir()).toBe('/elsewhere');
    expect(hfHubCacheDir({ HOME: '/h' })).toMatch(/\.cache[/\\]huggingface[/\\]hub$/);
    Object.values(models).forEach((m) => m.dispose());
  });

  it('says clearly what is missing: the repo, the revision, the snapshot', () => {
    const { cache, models } = fakeCache();
    let e = thrown(() => loadCausalLM('org/absent', { cacheDir: cache }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toMatch(/models--org--absent.*nothing is downloaded/);
    e = thrown(() => loadCausalLM('org/tiny', { cacheDir: cache, revision: 'v2' }));
    expect(e.message).toMatch(/revision: expected 'v2'.*refs[/\\]v2/);
    e = thrown(() => loadCausalLM('org/tiny', { cacheDir: cache, revision: 'f'.repeat(40) }));
    expect(e.message).toMatch(/snapshot f{40}/);
    writeFileSync(join(cache, 'models--org--tiny', 'refs', 'main'), 'not-a-commit');
    expect(thrown(() => loadCausalLM('org/tiny', { cacheDir: cache })).code).toBe('MALFORMED_FILE');
    expect(thrown(() => resolveHfModelDir('org/tiny', { cacheDir: cache, revision: '../x' })).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(thrown(() => resolveHfModelDir('not a repo')).code).toBe('INVALID_ARGUMENT');
    expect([isHfRepoId('org/name'), isHfRepoId('../x'), isHfRepoId('a/b/c'), isHfRepoId('org/..')]).toEqual([
      true,
      false,
      false,
      false,
    ]);
    Object.values(models).forEach((m) => m.dispose());
  });

  it('a local folder wins over a repo id and refuses revision / cacheDir', () => {
    const { cache, models } = fakeCache();
    const local = join(cache, 'models--org--tiny', 'snapshots', DEV);
    const model = loadCausalLM(local);
    expect(maxRelativeError(logitsOf(model), logitsOf(models[DEV]!)).error).toBe(0);
    model.dispose();
    expect(() => loadCausalLM(local, { revision: 'main' })).toThrow(/expected only with a Hugging Face repo id/);
    expect(readFileSync(join(cache, 'models--org--tiny', 'refs', 'main'), 'utf8')).toBe(MAIN);
    Object.values(models).forEach((m) => m.dispose());
  });
});
