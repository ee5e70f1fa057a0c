import {
  LabError,
  buildReport,
  compareMethods,
  currentBackend,
  resolveSeeds,
  strictOptions,
  tf,
  type Criterion,
  type PairedComparison,
  type ReplicationReport,
  type ReplicationRow,
} from '@lab/core';
import { bfsDistances, undirectedEdges } from '@lab/graph';
import { ciaLoss, ciaLraLoss, hopMatrix, irmPenalty, lraPairs, vrexPenalty, type LraPairs } from './cia-lra.js';
import {
  PRESETS,
  PRESET_CONFIGS,
  SCALE_GRAPHS,
  defaultCbasOptions,
  defaultCiaReplicateOptions,
  nodeOODMethods,
  replicationLambdas,
  type CiaReplicateOptions,
  type NodeOODMethod,
} from './config.js';
import { cbasGraph } from './data.js';
import type { NodeGraph } from './graph.js';
import { trainNodeOOD, type NodeOODResult } from './train.js';

const CLAIM =
  'Under node-level concept shift (CBAS-like colour shortcut), cross-environment intra-class alignment (CIA) and its environment-label-free localized variant (CIA-LRA) raise OOD test accuracy over ERM, IRM and VREx.';

/** The golden graph of the spec §6 (closed-form inputs) and the reference values it quotes (float64, PyTorch). */
function goldenSelfCheck(): { maxRelError: number; detail: string } {
  const edges: [number, number][] = [
    [0, 1],
    [1, 2],
    [0, 2],
    [2, 3],
    [3, 4],
    [4, 5],
    [5, 3],
    [5, 6],
    [6, 7],
    [7, 8],
    [8, 9],
    [9, 6],
    [9, 10],
    [10, 11],
    [11, 0],
  ];
  const y = Int32Array.from([0, 0, 1, 1, 2, 0, 1, 2, 2, 0, 1, 2]);
  const env = Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, -1, -1]);
  const { src, dst } = undirectedEdges(edges);
  const g = { numNodes: 12, src, dst, y, numClasses: 3, trainMask: Uint8Array.from(env, (e) => (e >= 0 ? 1 : 0)) };
  const reference = {
    cia: 2.143728533744874,
    lraExact: 1.4035273763699265,
    lraOfficial: 1.2529784138377382,
    irm: 0.6219685661831978,
    vrex: 0.28235855271313337,
  };
  const measured = tf.tidy(() => {
    const h = tf.tensor2d(
      Array.from({ length: 12 }, (_, i) =>
        Array.from({ length: 5 }, (_, j) => Math.sin(0.7 * i - 0.45 * j) + 0.05 * j),
      ),
    );
    const z = tf.tensor2d(
      Array.from({ length: 12 }, (_, i) => Array.from({ length: 3 }, (_, k) => 2 * Math.sin(0.2 * i + 0.9 * k))),
    );
    const value = (t: tf.Scalar) => t.dataSync()[0]!;
    return {
      cia: value(ciaLoss(h, y, env)),
      lraExact: value(ciaLraLoss(h, lraPairs(g, { labelScope: 'all', hopMode: 'exact' }))),
      lraOfficial: value(ciaLraLoss(h, lraPairs(g, { labelScope: 'all', hopMode: 'official' }))),
      irm: value(irmPenalty(z, y, env)),
      vrex: value(vrexPenalty(z, y, env)),
    };
  });
  const exact = hopMatrix(g, 3, 'exact');
  const official = hopMatrix(g, 3, 'official');
  let differ = 0;
  for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) if (exact.get(i, j) !== official.get(i, j)) differ++;
  let maxRelError = differ === 16 ? 0 : Infinity;
  const parts: string[] = [`hop entries differing exact vs official: ${differ} (reference 16)`];
  for (const key of Object.keys(reference) as (keyof typeof reference)[]) {
    const rel = Math.abs(measured[key] - reference[key]) / Math.abs(reference[key]);
    maxRelError = Math.max(maxRelError, rel);
    parts.push(`${key} ${measured[key].toFixed(7)} (reference ${reference[key].toFixed(7)})`);
  }
  return { maxRelError, detail: parts.join('; ') };
}

/**
 * Checks every kept pair of a CIA-LRA table against an independent BFS (core's `bfsDistances`): same
 * class, both training nodes (label scope 'train'), 1 ≤ hop ≤ t, weight in (threshold, 1]; and that
 * every dropped candidate has weight ≤ threshold or NaN. Returns the number of violations.
 */
function pairTableViolations(g: NodeGraph, pairs: LraPairs): { violations: number; checked: number } {
  const { t, keepThreshold } = pairs.options;
  let violations = 0;
  const distCache = new Map<number, Float64Array>();
  const dist = (i: number) => {
    let d = distCache.get(i);
    if (!d) {
      d = bfsDistances(g, i, t);
      distCache.set(i, d);
    }
    return d;
  };
  for (let p = 0; p < pairs.keptCount; p++) {
    const i = pairs.i[p]!;
    const j = pairs.j[p]!;
    const w = pairs.w[p]!;
    const d = dist(i)[j]!;
    const ok =
      g.y[i] === g.y[j] &&
      g.trainMask[i] === 1 &&
      g.trainMask[j] === 1 &&
      i !== j &&
      d >= 1 &&
      d <= t &&
      w > keepThreshold &&
      w <= 1;
    if (!ok) violations++;
  }
  for (const table of pairs.perClass) {
    for (let p = 0; p < table.i.length; p++) {
      const w = table.w[p]!;
      if (!table.kept[p] && w > keepThreshold) violations++;
      if (!Number.isNaN(w) && (w < 0 || w > 1)) violations++;
    }
  }
  return { violations, checked: pairs.keptCount + pairs.candidateCount };
}

/** `--seeds` as the CLI reads it: a count for 0 … n−1, else the list. */
function seedsFlag(seeds: readonly number[]): string {
  return seeds.every((s, i) => s === i) ? String(seeds.length) : seeds.join(',');
}

function mechanism(name: string, value: number, threshold: string, passed: boolean): Criterion {
  return { name: `[mechanism] ${name}`, value, threshold, passed };
}

/**
 * Miniature replication (spec §5): OOD test accuracy of ERM, IRM, VREx, CIA and CIA-LRA on CBAS-like
 * concept shift over paired seeds (data seed = model seed), λ fixed in advance
 * ({@link replicationLambdas}), plus the always-on mechanism checks (golden self-check, the LRA pair
 * table, λ = 0 ≡ ERM, CIA shrinks cross-environment distances). The accuracy claim is asserted only at
 * the `full` preset (large scale, 10 seeds: CIA-LRA ≥ ERM on ≥ 80 % of seeds with a positive mean).
 */
export async function replicate(options: CiaReplicateOptions = {}): Promise<ReplicationReport> {
  const started = performance.now();
  const o = strictOptions(options, defaultCiaReplicateOptions, 'replicate options', {
    preset: PRESETS,
    scale: ['mini', 'large'],
    epochs: { min: 1, integer: true },
    hidden: { min: 1, integer: true },
  });
  const preset = o.preset as (typeof PRESETS)[number];
  const scale = o.scale ?? PRESET_CONFIGS[preset].scale;
  const seeds = resolveSeeds(o.seeds, PRESET_CONFIGS[preset].seeds);
  const epochs = o.epochs!;
  const hidden = o.hidden!;
  const methods = o.methods!;
  if (methods.length === 0 || methods.some((m) => !nodeOODMethods.includes(m)))
    throw new LabError(
      'INVALID_ARGUMENT',
      `methods: expected a non-empty list of ${nodeOODMethods.map((m) => `'${m}'`).join(', ')}, got [${methods.join(', ')}]`,
    );
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function')
    throw new LabError('INVALID_ARGUMENT', `onProgress: expected a function, got ${typeof o.onProgress}`);
  strictOptions(o.cbas, defaultCbasOptions, 'replicate options.cbas'); // unknown keys refused before any work
  const graphSize = { ...SCALE_GRAPHS[scale], ...o.cbas };
  const lambdaZeroEpochs = Math.min(epochs, 30);
  const trainConfig = {
    epochs,
    hidden,
    lr: 3e-3,
    layers: 3,
    dropout: 0.5,
    penaltyStartEpoch: 2,
    select: 'oodVal' as const,
  };
  const total = seeds.length * methods.length * epochs + 3 * lambdaZeroEpochs;
  let done = 0;
  const progress = (stage: string) => o.onProgress?.({ stage, done, total });

  const rows: ReplicationRow[] = [];
  const notes: string[] = [];
  const criteria: Criterion[] = [];
  const results = new Map<string, NodeOODResult>();

  // Mechanism 1: golden self-check (the package's tests pin every golden array; this recomputes the headline values).
  const golden = goldenSelfCheck();
  criteria.push(
    mechanism(
      'golden values reproduced (max relative error)',
      golden.maxRelError,
      '<= 1e-5',
      golden.maxRelError <= 1e-5,
    ),
  );
  notes.push(`Golden self-check: ${golden.detail}.`);

  for (const seed of seeds) {
    const g = cbasGraph({ ...graphSize, shift: 'concept', seed });
    const pairs = lraPairs(g, { details: seed === seeds[0] });
    if (seed === seeds[0]) {
      // Mechanism 2: the pair table, checked against an independent BFS.
      const check = pairTableViolations(g, pairs);
      criteria.push(
        mechanism(
          `LRA pair table: same class, training nodes, 1 ≤ hop ≤ 3, weight in (0.1, 1] (${check.checked} entries checked)`,
          check.violations,
          '= 0 violations',
          check.violations === 0,
        ),
      );
      notes.push(
        `Seed ${seed} graph: ${g.numNodes} nodes, ${g.src.length / 2} edges; CIA-LRA kept ${pairs.keptCount} of ${pairs.candidateCount} candidate pairs (t = 3, threshold 0.1, training labels only).`,
      );
    }
    for (const method of methods) {
      progress(`seed ${seed} · ${method}`);
      const base = done;
      const result = await trainNodeOOD(
        g,
        { ...trainConfig, method, lambda: replicationLambdas[method], seed },
        {
          pairs: method === 'cia-lra' ? pairs : undefined,
          onEpoch: (epoch) => {
            done = base + epoch + 1;
            if (epoch % 10 === 9) progress(`seed ${seed} · ${method}`);
          },
        },
      );
      results.set(`${method}/${seed}`, result);
      rows.push({
        method,
        setting: `cbas-${scale}-concept`,
        seed,
        metrics: {
          oodTest: result.oodTest,
          oodVal: result.oodVal,
          bestEpoch: result.bestEpoch,
          crossEnvDistance: result.crossEnvDistance,
          crossEnvRatio: result.crossEnvRatio,
          ...(result.keptPairs !== undefined ? { keptPairs: result.keptPairs } : {}),
          seconds: result.seconds,
        },
      });
    }
  }

  // Mechanism 3: λ = 0 reproduces ERM exactly (same seed, same trajectory), for CIA and CIA-LRA.
  {
    const seed = seeds[0]!;
    const g = cbasGraph({ ...graphSize, shift: 'concept', seed });
    const short = { ...trainConfig, epochs: lambdaZeroEpochs, seed };
    progress('λ = 0 check');
    const erm = await trainNodeOOD(g, { ...short, method: 'erm' });
    done += lambdaZeroEpochs;
    let maxDiff = 0;
    for (const method of ['cia', 'cia-lra'] as const) {
      const zero = await trainNodeOOD(g, { ...short, method, lambda: 0 });
      done += lambdaZeroEpochs;
      progress('λ = 0 check');
      for (const key of ['loss', 'oodVal', 'oodTest'] as const) {
        zero.history[key].forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - erm.history[key][k]!))));
      }
    }
    criteria.push(
      mechanism(
        `λ = 0 reproduces ERM (max |Δ| of per-epoch loss and accuracies over ${lambdaZeroEpochs} epochs, CIA and CIA-LRA)`,
        maxDiff,
        '= 0',
        maxDiff === 0,
      ),
    );
  }

  // Mechanism 4: CIA pulls same-class cross-environment representations together relative to ERM.
  const comparisons: PairedComparison[] = [];
  if (methods.includes('cia') && methods.includes('erm')) {
    const ratios = seeds.map(
      (s) => results.get(`cia/${s}`)!.crossEnvDistance / results.get(`erm/${s}`)!.crossEnvDistance,
    );
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    criteria.push(
      mechanism('CIA / ERM mean within-class cross-environment distance (mean over seeds)', mean, '< 1', mean < 1),
    );
    comparisons.push(
      compareMethods(rows, {
        method: 'cia',
        baseline: 'erm',
        metric: 'crossEnvDistance',
        setting: `cbas-${scale}-concept`,
      }),
    );
  }

  // The claim: paired per-seed OOD test accuracy against ERM.
  const setting = `cbas-${scale}-concept`;
  for (const method of methods) {
    if (method !== 'erm' && methods.includes('erm'))
      comparisons.push(compareMethods(rows, { method, baseline: 'erm', metric: 'oodTest', setting }));
  }
  const asserted = preset === 'full' && scale === 'large' && seeds.length >= 10;
  for (const method of ['cia-lra', 'cia'] as const) {
    const cmp = comparisons.find((c) => c.method === method && c.metric === 'oodTest');
    if (!cmp) continue;
    const atLeast = cmp.differences.filter((d) => d >= 0).length / cmp.differences.length;
    const passed = atLeast >= 0.8 && cmp.mean > 0;
    const tag = method === 'cia-lra' && asserted ? '[claim]' : '[reported]';
    criteria.push({
      name: `${tag} ${method === 'cia' ? 'CIA' : 'CIA-LRA'} ≥ ERM OOD test accuracy: fraction of seeds (mean Δ ${cmp.mean >= 0 ? '+' : ''}${cmp.mean.toFixed(4)})`,
      value: atLeast,
      threshold: '>= 0.8 and mean Δ > 0',
      passed,
    });
  }

  const mechanismOk = criteria.filter((c) => c.name.startsWith('[mechanism]')).every((c) => c.passed);
  const claim = criteria.find((c) => c.name.startsWith('[claim]'));
  const verdict = !mechanismOk
    ? 'not-reproduced'
    : claim
      ? claim.passed
        ? 'reproduced'
        : 'not-reproduced'
      : 'inconclusive';
  if (!claim) {
    notes.push(
      `The accuracy claim is asserted only with --preset full (large scale, 10 paired seeds); at ${scale} scale with ${seeds.length} seed(s) it is reported, and the verdict rests on the mechanism checks ('inconclusive' when they pass). A PyTorch prototype of CBAS-mini found no gap beyond seed noise (±0.08).`,
    );
  }
  const summary = (m: string) => {
    const v = rows.filter((r) => r.method === m).map((r) => r.metrics.oodTest!);
    return `${m} ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3)}`;
  };
  notes.push(`Mean OOD test accuracy: ${methods.map(summary).join(', ')}.`);
  const meanMetric = (m: string, key: string) => {
    const v = rows.filter((r) => r.method === m).map((r) => r.metrics[key]!);
    return v.reduce((a, b) => a + b, 0) / v.length;
  };
  notes.push(
    `Cross-environment / same-environment distance ratio of same-class training pairs (1 = no environment clustering): ${methods.map((m) => `${m} ${meanMetric(m, 'crossEnvRatio').toFixed(4)}`).join(', ')}; mean cross-environment distance: ${methods.map((m) => `${m} ${meanMetric(m, 'crossEnvDistance').toFixed(3)}`).join(', ')}.`,
  );
  notes.push(
    `λ fixed in advance from the official sweep ranges: ${methods.map((m) => `${m} ${replicationLambdas[m]}`).join(', ')}; 3-layer GCN (hidden ${hidden}, BN, dropout 0.5), Adam 3e-3, ${epochs} full-batch epochs, OOD-validation selection.`,
  );

  const report = buildReport({
    package: '@lab/cia-lra',
    paper: 'Dissecting the Failure of Invariant Learning on Graphs (Wang, Wang, Wang, Ying; NeurIPS 2024)',
    claim: CLAIM,
    metric: 'oodTest',
    preset,
    config: {
      scale,
      seeds,
      epochs,
      hidden,
      methods,
      lambdas: Object.fromEntries(methods.map((m) => [m, replicationLambdas[m]])),
      lra: { t: 3, keepThreshold: 0.1, hopMode: 'exact', labelScope: 'train' },
      ...graphSize,
    },
    seeds,
    rows,
    comparisons,
    criteria,
    verdict,
    notes,
    command: `npx lab-cia-lra replicate --preset ${preset}${o.seeds !== undefined ? ` --seeds ${seedsFlag(seeds)}` : ''}${o.scale ? ` --scale ${scale}` : ''}${o.epochs !== defaultCiaReplicateOptions.epochs ? ` --epochs ${epochs}` : ''}`,
    seconds: (performance.now() - started) / 1000,
    backend: currentBackend(),
  });
  o.onProgress?.({ stage: 'done', done: total, total });
  return report;
}
