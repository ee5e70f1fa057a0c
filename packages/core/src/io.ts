import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LabError } from './errors.js';

const TEMP = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files that interrupted writes in `dir` left behind (their process is gone), for the
 * targets `name` accepts (a file name, or a test for names such as checkpoints' step-numbered files).
 */
export function removeStaleTemps(dir: string, name: string | ((target: string) => boolean)): void {
  const wanted = typeof name === 'string' ? (target: string) => target === name : name;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = TEMP.exec(entry);
    if (m && wanted(m[1]!) && !alive(Number(m[2]))) rmSync(join(dir, entry), { force: true });
  }
}

/**
 * Writes a file atomically: the data goes to a temporary file in the same folder, which is then renamed over
 * the target, so a crash never leaves a half-written checkpoint or report. Temporary files that an earlier,
 * interrupted write of the same target left behind are removed first. A file-system failure is a `LabError`
 * (code `IO_ERROR`) naming the path and what to do.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    removeStaleTemps(dir, basename(path));
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is unusable: nothing was written there
    }
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new LabError(
      'IO_ERROR',
      `cannot write '${path}' (${code}: ${(err as Error).message}); check that its folder can be created and written and that the disk has space`,
      { cause: err },
    );
  }
}
