import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { LabError, strictOptions } from '@lab/core';

/** Options of {@link resolveHfModelDir}. */
export interface ResolveHfModelOptions {
  /** Branch, tag or 40-hex commit (default `main`): a name is read from `refs/<name>`, a commit names the snapshot. */
  revision?: string;
  /** The hub cache folder; default `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  cacheDir?: string;
}

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9_.-]+$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** Whether a string has the shape of a Hugging Face repo id (`org/name`). */
export function isHfRepoId(value: string): boolean {
  return REPO_ID.test(value) && !value.includes('..');
}

/** The hub cache folder Hugging Face's libraries use (`HF_HUB_CACHE`, `HF_HOME/hub`, `~/.cache/huggingface/hub`). */
export function hfHubCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const hub = env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE;
  if (hub) return hub;
  return join(env.HF_HOME ?? join(homedir(), '.cache', 'huggingface'), 'hub');
}

/**
 * The local snapshot folder of a Hugging Face model repo in the hub cache, offline:
 * `<cache>/models--<org>--<name>/snapshots/<commit>/`, the commit read from `refs/<revision>` (default
 * `main`) unless the revision is a commit hash itself. Never touches the network: a repo or revision
 * that is not in the cache throws {@link LabError} `NOT_FOUND` naming the folder it looked in.
 */
export function resolveHfModelDir(repoId: string, options: ResolveHfModelOptions = {}): string {
  const { revision, cacheDir } = strictOptions<ResolveHfModelOptions>(
    options,
    { revision: 'main', cacheDir: undefined },
    'resolveHfModelDir options',
  );
  if (typeof repoId !== 'string' || !isHfRepoId(repoId))
    throw new LabError(
      'INVALID_ARGUMENT',
      `repoId: expected a Hugging Face repo id 'org/name', got ${JSON.stringify(repoId)}`,
    );
  const rev = revision!;
  if (rev === '' || rev.split('/').some((part) => part === '' || part === '.' || part === '..') || isAbsolute(rev))
    throw new LabError('INVALID_ARGUMENT', `revision: expected a branch, tag or commit, got ${JSON.stringify(rev)}`);
  const cache = cacheDir ?? hfHubCacheDir();
  const repo = join(cache, `models--${repoId.replace('/', '--')}`);
  const offline = `nothing is downloaded: fetch it first, e.g. \`huggingface-cli download ${repoId}\``;
  if (!existsSync(repo))
    throw new LabError(
      'NOT_FOUND',
      `repoId: expected '${repoId}' in the Hugging Face cache, got no folder '${repo}' (${offline})`,
    );
  let commit = rev;
  if (!COMMIT.test(rev)) {
    const ref = join(repo, 'refs', rev);
    if (!existsSync(ref))
      throw new LabError(
        'NOT_FOUND',
        `revision: expected '${rev}' of '${repoId}' in the cache, got no ref file '${ref}' (${offline})`,
      );
    commit = readFileSync(ref, 'utf8').trim();
    if (!COMMIT.test(commit))
      throw new LabError(
        'MALFORMED_FILE',
        `revision: ref file '${ref}' should hold a 40-hex commit, got ${JSON.stringify(commit)}`,
      );
  }
  const snapshot = join(repo, 'snapshots', commit);
  if (!existsSync(snapshot) || !statSync(snapshot).isDirectory())
    throw new LabError(
      'NOT_FOUND',
      `revision: expected snapshot ${commit} of '${repoId}' in the cache, got no folder '${snapshot}' (${offline})`,
    );
  return snapshot;
}

/**
 * A model location as a folder: an existing local path as it is, else a repo id resolved in the hub
 * cache ({@link resolveHfModelDir}). `revision` and `cacheDir` apply only to repo ids.
 */
export function resolveModelLocation(dirOrRepoId: string, options: ResolveHfModelOptions, where: string): string {
  if (existsSync(dirOrRepoId)) {
    if (options.revision !== undefined || options.cacheDir !== undefined)
      throw new LabError(
        'INVALID_ARGUMENT',
        `${where}: revision / cacheDir: expected only with a Hugging Face repo id, got the local folder '${dirOrRepoId}'`,
      );
    return dirOrRepoId;
  }
  if (typeof dirOrRepoId === 'string' && isHfRepoId(dirOrRepoId)) {
    const resolved: ResolveHfModelOptions = {};
    if (options.revision !== undefined) resolved.revision = options.revision;
    if (options.cacheDir !== undefined) resolved.cacheDir = options.cacheDir;
    return resolveHfModelDir(dirOrRepoId, resolved);
  }
  return dirOrRepoId; // a missing local folder: the caller reports the missing file
}
