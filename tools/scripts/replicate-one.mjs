// Runs one package's replicate() in its own process (own tfjs engine and WASM heap, so a crash or a leak
// in one package never takes the others down). Talks to tools/scripts/replicate.mjs through JSON lines on
// stdout: {"progress": {...}} while running, then {"report": {...}} or {"error": "..."}.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [packageDir, preset, seedsArg] = process.argv.slice(2);
const send = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);
// Packages log freely; keep stdout for the protocol.
console.log = (...args) => process.stderr.write(`${args.join(' ')}\n`);
console.info = console.log;

try {
  const core = await import(pathToFileURL(join(packageDir, '..', 'core', 'dist', 'index.js')).href);
  await core.initBackend();
  const mod = await import(pathToFileURL(join(packageDir, 'dist', 'index.js')).href);
  if (typeof mod.replicate !== 'function') throw new Error(`${packageDir} does not export replicate()`);
  const seeds = seedsArg ? Number(seedsArg) : undefined;
  let last = 0;
  const report = await mod.replicate({
    preset,
    seeds,
    onProgress: (p) => {
      const now = Date.now();
      if (now - last > 200 || p.done === p.total) {
        last = now;
        send({ progress: p });
      }
    },
  });
  send({ report });
} catch (err) {
  send({ error: err?.stack ?? String(err) });
  process.exitCode = 1;
}
