// Paths a command reads or writes, checked before any work starts: an hours-long run must never end
// in EACCES or ENOENT because its output folder was read-only or its input misspelt.
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LabError } from '../errors.js';

const reason = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** Checks that `path` exists and is a file (or a folder); `name` is the flag or argument shown in the error. */
export function checkInputPath(path: string, name: string, kind: 'file' | 'dir' = 'file'): string {
  const full = resolve(path);
  let isDir: boolean;
  try {
    isDir = statSync(full).isDirectory();
  } catch (err) {
    throw new LabError(
      'NOT_FOUND',
      `${name}: cannot read '${path}' (${reason(err)}); expected an existing ${kind === 'dir' ? 'folder' : 'file'}`,
    );
  }
  if (isDir !== (kind === 'dir'))
    throw new LabError(
      'INVALID_ARGUMENT',
      `${name}: expected a ${kind === 'dir' ? 'folder' : 'file'}, got a ${isDir ? 'folder' : 'file'} at '${path}'`,
    );
  return full;
}

/** Creates `dir` (and its parents) if needed and proves it writable by creating and removing a probe file. */
function probeWritableDir(dir: string, name: string, shown: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `${name}: cannot create the folder '${dir}' for '${shown}' (${reason(err)}); choose a writable location`,
    );
  }
  if (!statSync(dir).isDirectory())
    throw new LabError('INVALID_ARGUMENT', `${name}: '${dir}' is not a folder, so '${shown}' cannot be written`);
  const probe = join(dir, `.lab-write-check-${process.pid}-${Date.now()}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (err) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `${name}: cannot write in '${dir}' (${reason(err)}); choose a writable location for '${shown}'`,
    );
  } finally {
    rmSync(probe, { force: true });
  }
}

/**
 * Checks, before any work, that `path` can be written: its folder is created if missing and must accept a
 * new file, an existing target must be of the right kind, and with `existing: 'refuse'` an existing file is
 * an error that says which flag allows replacing it.
 */
export function checkOutputPath(
  path: string,
  name: string,
  options: { kind?: 'file' | 'dir'; existing?: 'replace' | 'refuse'; allowFlag?: string } = {},
): string {
  const { kind = 'file', existing = 'replace', allowFlag } = options;
  const full = resolve(path);
  if (existsSync(full)) {
    const isDir = statSync(full).isDirectory();
    if (isDir !== (kind === 'dir'))
      throw new LabError(
        'INVALID_ARGUMENT',
        `${name}: '${path}' is a ${isDir ? 'folder' : 'file'}, expected a ${kind === 'dir' ? 'folder' : 'file'} path`,
      );
    if (existing === 'refuse' && !isDir)
      throw new LabError(
        'INVALID_ARGUMENT',
        `${name}: '${path}' already exists and would be overwritten${allowFlag ? `; pass ${allowFlag} to replace it` : ''}`,
      );
  }
  probeWritableDir(kind === 'dir' ? full : dirname(full), name, path);
  return full;
}
