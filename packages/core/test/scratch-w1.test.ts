import { test } from 'vitest';
import { initBackend, tf } from '@lab/core';
import { workloads } from '../bench/workloads.ts';

test('w cpu usage', async () => {
  await initBackend('wasm');
  for (const id of (process.env.WL ?? 'W1').split(',')) {
    const w = (workloads as any)[id]();
    w.step(); w.step();
    const c0 = process.cpuUsage(); const t0 = performance.now();
    const steps = Number(process.env.STEPS ?? 10);
    for (let i = 0; i < steps; i++) w.step();
    const wall = (performance.now() - t0) / steps; const c = process.cpuUsage(c0);
    console.log(`${id}: ${wall.toFixed(1)} ms/step, cpu ${((c.user + c.system) / 1000 / steps).toFixed(1)} ms/step`);
  }
}, 600_000);
import { afterAll } from 'vitest';
afterAll(() => { const s = (globalThis as any).__poolStats ?? {}; for (const [k, v] of Object.entries(s) as any) console.log(`${k}: calls ${v.calls} local ${(v.local / v.calls).toFixed(2)} wait ${(v.wait / v.calls).toFixed(2)}`); });
