import { beforeAll, describe, expect, it } from 'vitest';
import { LabError, initBackend, tensorLeak } from '@lab/core';
import { cbasGraph } from '../src/data.js';
import { resolveNodeOODOptions, trainNodeOOD } from '../src/train.js';

// A small CBAS graph (40 base nodes + 12 houses = 100 nodes) keeps every run well under a second.
const small = () => cbasGraph({ baseNodes: 40, houses: 12, m: 3, seed: 2 });
const quick = { epochs: 6, hidden: 16, seed: 3 };

describe('trainNodeOOD', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('trains every method, returns accuracies in [0, 1] and a selected epoch, and leaks no tensors', async () => {
    const g = small();
    for (const method of ['erm', 'irm', 'vrex', 'groupdro', 'coral', 'cia', 'cia-lra'] as const) {
      let result: Awaited<ReturnType<typeof trainNodeOOD>> | undefined;
      const leaked = await tensorLeak(async () => {
        result = await trainNodeOOD(g, { ...quick, method, lambda: 0.1 });
      });
      expect(leaked, method).toBe(0);
      const r = result!;
      for (const v of [r.oodTest, r.oodVal, r.trainAcc]) expect(v).toBeGreaterThanOrEqual(0);
      for (const v of [r.oodTest, r.oodVal, r.trainAcc]) expect(v).toBeLessThanOrEqual(1);
      expect(r.bestEpoch).toBeGreaterThanOrEqual(0);
      expect(r.bestEpoch).toBeLessThan(quick.epochs);
      expect(r.history.loss).toHaveLength(quick.epochs);
      expect(Number.isFinite(r.crossEnvDistance)).toBe(true);
      expect(r.oodVal).toBe(Math.max(...r.history.oodVal));
      expect(r.keptPairs !== undefined).toBe(method === 'cia-lra');
    }
  });

  it('λ = 0 reproduces ERM exactly; λ > 0 changes the trajectory', async () => {
    const g = small();
    const erm = await trainNodeOOD(g, { ...quick, method: 'erm' });
    for (const method of ['cia', 'cia-lra', 'irm', 'vrex', 'coral'] as const) {
      const zero = await trainNodeOOD(g, { ...quick, method, lambda: 0 });
      expect(zero.history, method).toEqual(erm.history);
    }
    const cia = await trainNodeOOD(g, { ...quick, method: 'cia', lambda: 1 });
    expect(cia.history.loss).not.toEqual(erm.history.loss);
    // Before penaltyStartEpoch (2) the objective is plain ERM.
    expect(cia.history.loss.slice(0, 2)).toEqual(erm.history.loss.slice(0, 2));
  });

  it('CIA-LRA trains without environment labels; CIA, IRM and VREx refuse', async () => {
    const g = { ...small(), env: new Int32Array(100).fill(-1) };
    await expect(trainNodeOOD(g, { ...quick, method: 'cia-lra' })).resolves.toBeDefined();
    await expect(trainNodeOOD(g, { ...quick, method: 'erm' })).resolves.toBeDefined();
    for (const method of ['cia', 'irm', 'vrex'] as const) {
      await expect(trainNodeOOD(g, { ...quick, method })).rejects.toThrow(
        /graph.env: method '.*' needs environment ids/,
      );
    }
  });

  it('rejects labels out of range, empty classes in the training split, λ < 0 and t < 1', async () => {
    const g = small();
    const badY = g.y.slice();
    badY[0] = 7;
    await expect(trainNodeOOD({ ...g, y: badY }, quick)).rejects.toThrow(
      /graph.y: expected labels in \[0, 4\), got 7 at node 0/,
    );
    const noRoof = Uint8Array.from(g.trainMask, (m, v) => (g.y[v] === 3 ? 0 : m));
    await expect(trainNodeOOD({ ...g, trainMask: noRoof }, quick)).rejects.toThrow(
      /classes \[3\] have 0 training nodes/,
    );
    await expect(trainNodeOOD(g, { ...quick, lambda: -1 })).rejects.toThrow(/lambda: expected a number >= 0, got -1/);
    await expect(trainNodeOOD(g, { ...quick, lra: { t: 0 } })).rejects.toThrow(/t: expected an integer >= 1/);
    await expect(trainNodeOOD(g, { ...quick, method: 'dro' as never })).rejects.toThrow(LabError);
    await expect(trainNodeOOD(g, { ...quick, select: 'idVal' })).rejects.toThrow(/idValMask/);
  });

  it('uses graph edge weights in the GCN normalisation (unit weights change nothing) and validates them', async () => {
    const g = small();
    const plain = await trainNodeOOD(g, { ...quick, method: 'erm' });
    const unit = await trainNodeOOD(
      { ...g, edgeWeight: new Float32Array(g.src.length).fill(1) },
      { ...quick, method: 'erm' },
    );
    expect(unit.history).toEqual(plain.history);
    const halved = await trainNodeOOD(
      { ...g, edgeWeight: new Float32Array(g.src.length).fill(0.5) },
      { ...quick, method: 'erm' },
    );
    expect(halved.history.loss).not.toEqual(plain.history.loss);
    await expect(trainNodeOOD({ ...g, edgeWeight: new Float32Array(3) }, quick)).rejects.toThrow(
      /graph.edgeWeight: expected \d+ weights/,
    );
  });

  it('faithful switches CIA-LRA to the official hop and label quirks', () => {
    expect(resolveNodeOODOptions({}).lra).toMatchObject({ hopMode: 'exact', labelScope: 'train', t: 3, layers: 3 });
    expect(resolveNodeOODOptions({ faithful: true }).lra).toMatchObject({ hopMode: 'official', labelScope: 'all' });
    expect(resolveNodeOODOptions({ faithful: true, lra: { labelScope: 'train' } }).lra.labelScope).toBe('train');
  });

  it("sampler 'roots' takes stepsPerEpoch sampled steps per epoch, leaks no tensors, and λ = 0 still equals ERM", async () => {
    const g = small();
    const opts = { ...quick, epochs: 3, sampler: 'roots', stepsPerEpoch: 4, batchRoots: 30 } as const;
    let steps = 0;
    let roots: Awaited<ReturnType<typeof trainNodeOOD>> | undefined;
    const leaked = await tensorLeak(async () => {
      roots = await trainNodeOOD(g, { ...opts, method: 'cia-lra', lambda: 0.5 }, { onProgress: () => void steps++ });
    });
    expect(leaked).toBe(0);
    expect(roots!.history.loss).toHaveLength(3);
    const erm = await trainNodeOOD(g, { ...opts, method: 'erm' });
    const zero = await trainNodeOOD(g, { ...opts, method: 'cia-lra', lambda: 0 });
    expect(zero.history).toEqual(erm.history);
    // Sampled batches differ from the full batch; 4 full-batch steps per epoch differ from 1.
    const full4 = await trainNodeOOD(g, { ...opts, method: 'erm', sampler: 'full' });
    const full1 = await trainNodeOOD(g, { ...opts, method: 'erm', sampler: 'full', stepsPerEpoch: 1 });
    expect(full4.history.loss).not.toEqual(erm.history.loss);
    expect(full4.history.loss).not.toEqual(full1.history.loss);
  });

  it('measures the gradient share of the penalty after the warm-up: none for ERM, 0 at λ = 0, linear in λ', async () => {
    const g = small();
    const share = async (method: 'erm' | 'cia' | 'cia-lra', lambda: number) =>
      (await trainNodeOOD(g, { ...quick, epochs: 3, method, lambda })).gradientShare;
    expect(await share('erm', 0)).toBeUndefined();
    for (const method of ['cia', 'cia-lra'] as const) {
      const zero = (await share(method, 0))!;
      expect(zero.penalty).toBe(0);
      expect(zero.share).toBe(0);
      const one = (await share(method, 1))!;
      const two = (await share(method, 2))!;
      // Measured at the same (warm-up) state: the CE gradient is the same, the penalty's scales with λ.
      expect(one.ce).toBeCloseTo(zero.ce, 5);
      expect(two.penalty / one.penalty).toBeCloseTo(2, 4);
      expect(one.share).toBeGreaterThan(0);
      expect(one.share).toBeLessThanOrEqual(1.0001);
      expect(two.share).toBeGreaterThan(one.share);
    }
  });
});
