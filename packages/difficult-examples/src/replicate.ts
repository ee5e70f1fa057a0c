/**
 * Miniature replication (spec §5): ω-mixed MNIST. Mixing cross-class "difficult" images into SimCLR's training
 * data hurts the linear probe; removing them (oracle, or by supervised margin, beating random removal) or the
 * label-free in-loss edit of Eq. 16 recovers accuracy.
 */
import {
  LabError,
  Rng,
  buildReport,
  compareMethods,
  currentBackend,
  defaultLinearProbeOptions,
  knnAccuracy,
  linearProbe,
  loadMnist,
  resolveSeeds,
  strictOptions,
  tf,
  type Criterion,
  type PairedComparison,
  type ReplicationReport,
  type ReplicationRow,
} from '@lab/core';
import {
  PRESETS,
  PRESET_CONFIGS,
  REPLICATION_VARIANTS,
  defaultReplicateOptions,
  defaultTrainOptions,
  type AugmentOptions,
  type DEPreset,
  type DEReplicateOptions,
  type DifficultLossMode,
  type ReplicationVariant,
} from './config.js';
import { mnistRows } from './data.js';
import { selectDifficultPairs } from './difficult-examples.js';
import { encode, trainSimCLR, twoViews, type SimCLRModel } from './model.js';
import {
  estimateAlphaBetaGamma,
  keptIndices,
  lowestMarginPerClass,
  mixDifficult,
  outOfFoldMargins,
  randomRemoval,
} from './scoring.js';

const CLAIM =
  "Mixing cross-class 'difficult' images into SimCLR's training data hurts the linear probe; removing them (oracle, or by supervised margin, beating random removal) or the label-free in-loss margin + temperature edit (Eq. 16) recovers accuracy.";

/**
 * The `--seeds` value that selects exactly `seeds` (the inverse of core's parseSeeds): a count for 0 … n−1,
 * `a..a` for one other seed, else a comma list.
 */
export function seedsFlag(seeds: readonly number[]): string {
  if (seeds.every((s, i) => s === i)) return String(seeds.length);
  if (seeds.length === 1) return `${seeds[0]}..${seeds[0]}`;
  return seeds.join(',');
}

/** Training mode and which rows of the (mixed) training set a variant uses. */
function lossMode(variant: ReplicationVariant): DifficultLossMode {
  return variant === 'inloss_remove' ? 'remove' : variant === 'inloss_combined' ? 'combined' : 'ntxent';
}

/**
 * Selection precision on a labelled batch: the fraction of selected pairs whose items have different classes,
 * next to that rate among the unselected candidate pairs (spec §5 mechanism check).
 */
function selectionPrecision(
  model: SimCLRModel,
  x: tf.Tensor2D,
  labels: Int32Array,
  augment: AugmentOptions,
  rng: Rng,
): { precision: number; unselectedDifferent: number } {
  const b = x.shape[0];
  const h = tf.tidy(() => model.backbone(twoViews(x, augment, 28, rng))); // [2B, featureDim]
  const sel = selectDifficultPairs(h, defaultTrainOptions.selection);
  const P = sel.P.dataSync();
  tf.dispose([h, sel.P]);
  const n = 2 * b;
  let selDiff = 0,
    selAll = 0,
    unDiff = 0,
    unAll = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j || j === (i + b) % n) continue;
      const different = labels[i % b] !== labels[j % b];
      if (P[i * n + j]) {
        selAll++;
        if (different) selDiff++;
      } else {
        unAll++;
        if (different) unDiff++;
      }
    }
  }
  return {
    precision: selAll ? selDiff / selAll : Number.NaN,
    unselectedDifferent: unAll ? unDiff / unAll : Number.NaN,
  };
}

function strictCriterion(name: string, value: number, threshold: string, passed: boolean): Criterion {
  return { name, value, threshold, passed: Number.isFinite(value) && passed };
}

/**
 * Runs the ω-mixed MNIST miniature (spec §5) and returns the shared {@link ReplicationReport}: per seed and
 * variant the linear-probe and kNN accuracy (in %) on 2,000 clean test digits, the selected-pair fraction and
 * selection precision, paired differences against `baseline`, and the verdict by the spec's criterion.
 * `preset: 'quick'` (1 seed, 3 variants, 10 epochs) cannot test the whole claim and reports `inconclusive`.
 * Requires an initialised backend (`await initBackend()`), and the optional `mnist` package.
 */
export async function replicate(options: DEReplicateOptions = {}): Promise<ReplicationReport> {
  const started = performance.now();
  const size = { min: 2, integer: true };
  const o = strictOptions<DEReplicateOptions>(options, { ...defaultReplicateOptions }, 'replicate options', {
    preset: PRESETS,
    omega: { min: 0, max: 1 },
    epochs: { min: 1, integer: true },
    batchSize: size,
    trainSize: size,
    probeSize: size,
    testSize: size,
    scorerEpochs: { min: 0, integer: true },
    probeEpochs: { min: 1, integer: true },
  });
  const preset = o.preset as DEPreset;
  const base = PRESET_CONFIGS[preset];
  const seeds = resolveSeeds(o.seeds, base.seeds);
  const omega = o.omega!;
  const epochs = o.epochs ?? base.epochs;
  const batchSize = o.batchSize!;
  const trainSize = o.trainSize!;
  const probeSize = o.probeSize!;
  const testSize = o.testSize!;
  const scorerEpochs = o.scorerEpochs!;
  if (trainSize + probeSize + testSize > 10000) {
    throw new LabError(
      'OUT_OF_RANGE',
      `trainSize + probeSize + testSize: expected at most the 10,000 MNIST digits, got ${trainSize + probeSize + testSize}`,
    );
  }
  const requested = o.variants ?? base.variants;
  for (const v of requested)
    if (!REPLICATION_VARIANTS.includes(v))
      throw new LabError(
        'INVALID_ARGUMENT',
        `variants: expected names from ${REPLICATION_VARIANTS.join(', ')}, got '${v}'`,
      );
  const variants = REPLICATION_VARIANTS.filter((v) => v === 'baseline' || requested.includes(v));
  const augment: AugmentOptions = strictOptions(
    o.augment,
    { ...defaultTrainOptions.augment },
    'replicate augment options',
  );
  const train = { ...defaultTrainOptions, epochs, batchSize, augment };

  const mnist = await loadMnist();
  const rows: ReplicationRow[] = [];
  const setting = `omega=${omega}`;
  const total = seeds.length * variants.length * epochs;
  let done = 0;
  const report = (stage: string) => o.onProgress?.({ stage, done, total });

  for (const seed of seeds) {
    const rng = new Rng(seed);
    const perm = rng.fork('split').permutation(mnist.count);
    const pick = (from: number, count: number) => perm.slice(from, from + count);
    const trainIdx = pick(0, trainSize);
    const probeIdx = pick(trainSize, probeSize);
    const testIdx = pick(trainSize + probeSize, testSize);
    const { x: trainX, labels: trainY } = mnistRows(mnist, trainIdx);
    const probe = mnistRows(mnist, probeIdx);
    const test = mnistRows(mnist, testIdx);
    const probeY = probe.labels;
    const testY = test.labels;
    const mixed = mixDifficult(trainX, trainY, omega, rng.fork('mix'));
    const flagged = new Uint8Array(trainSize);
    mixed.mixedIdx.forEach((i) => (flagged[i] = 1));
    const nMixed = mixed.mixedIdx.length;

    const probeT = tf.tensor2d(probe.x, [probeSize, 784]);
    const testT = tf.tensor2d(test.x, [testSize, 784]);
    const cleanT = tf.tensor2d(trainX, [trainSize, 784]);
    const mixedT = tf.tensor2d(mixed.x, [trainSize, 784]);
    const precisionBatch = Math.min(128, testSize);
    const precisionT = testT.slice([0, 0], [precisionBatch, -1]) as tf.Tensor2D;
    try {
      // Which rows of the mixed set each removal variant keeps.
      const kept: Partial<Record<ReplicationVariant, Int32Array>> = {};
      const extra: Partial<Record<ReplicationVariant, Record<string, number>>> = {};
      if (variants.includes('oracle_remove')) kept.oracle_remove = keptIndices(trainSize, mixed.mixedIdx);
      if (variants.includes('margin_remove')) {
        report(`seed ${seed} · margin scorer (5-fold)`);
        const margins = await outOfFoldMargins(mixedT, trainY, { folds: 5, hidden: 128, epochs: scorerEpochs, seed });
        // frac = ω makes the per-class drop counts add up to (about) the number of mixed images.
        const removed = lowestMarginPerClass(margins, trainY, nMixed / trainSize);
        kept.margin_remove = keptIndices(trainSize, removed);
        const caught = Array.from(removed).filter((i) => flagged[i]).length;
        extra.margin_remove = { removed: removed.length, mixedCaught: nMixed ? (100 * caught) / nMixed : Number.NaN };
      }
      if (variants.includes('random_remove')) {
        const removed = randomRemoval(trainSize, nMixed, rng.fork('random-removal'));
        kept.random_remove = keptIndices(trainSize, removed);
        extra.random_remove = {
          removed: removed.length,
          mixedCaught: nMixed ? (100 * removed.filter((i) => flagged[i]).length) / nMixed : Number.NaN,
        };
      }

      for (const variant of variants) {
        const source = variant === 'clean' ? cleanT : mixedT;
        const rowsKept = kept[variant];
        const data = rowsKept
          ? tf.tidy(() => tf.gather(source, tf.tensor1d(rowsKept, 'int32')) as tf.Tensor2D)
          : source;
        let model: SimCLRModel | null = null;
        try {
          const stage = `seed ${seed} · ${variant}`;
          report(stage);
          // Same seed for every variant: same initialisation, batch order stream and augmentation stream (paired).
          const result = await trainSimCLR(
            { x: data },
            { ...train, mode: lossMode(variant), seed },
            {
              onEpoch: () => {
                done++;
                report(stage);
              },
            },
          );
          model = result.model;
          const hProbe = encode(model, probeT);
          const hTest = encode(model, testT);
          const hTrain = encode(model, mixedT);
          let probeAcc: number, knnAcc: number, abg: { alpha: number; beta: number; gamma: number };
          try {
            probeAcc =
              100 *
              (
                await linearProbe(hProbe, probeY, hTest, testY, {
                  seed,
                  ...(o.probeEpochs === undefined ? {} : { epochs: o.probeEpochs }),
                })
              ).accuracy;
            knnAcc = 100 * knnAccuracy(hProbe, probeY, hTest, testY, { k: Math.min(20, probeSize) });
            abg = estimateAlphaBetaGamma(hTrain, trainY, flagged);
          } finally {
            tf.dispose([hProbe, hTest, hTrain]);
          }
          const precision = selectionPrecision(
            model,
            precisionT,
            testY.subarray(0, precisionBatch),
            augment,
            rng.fork('precision'),
          );
          const last = result.log[result.log.length - 1]!;
          rows.push({
            method: variant,
            setting,
            seed,
            metrics: {
              probeAcc,
              knnAcc,
              selectedFraction: last.selectedFraction,
              selectionPrecision: 100 * precision.precision,
              unselectedDifferentClass: 100 * precision.unselectedDifferent,
              trainImages: data.shape[0],
              finalLoss: last.loss,
              // α, β, γ of the representation on the mixed training set (mixed images flagged), spec §2.5.
              alpha: abg.alpha,
              beta: abg.beta,
              gamma: abg.gamma,
              ...extra[variant],
            },
          });
        } finally {
          model?.dispose();
          if (data !== source) data.dispose();
        }
      }
    } finally {
      tf.dispose([probeT, testT, cleanT, mixedT, precisionT]);
    }
  }

  const config = {
    omega,
    variants,
    epochs,
    batchSize,
    trainSize,
    probeSize,
    testSize,
    scorerEpochs,
    probe: {
      ...defaultLinearProbeOptions,
      ...(o.probeEpochs === undefined ? {} : { epochs: o.probeEpochs }),
    },
    knn: { k: 20, reference: 'clean probe set' },
    augment,
    selection: defaultTrainOptions.selection,
    loss: defaultTrainOptions.loss,
    lr: defaultTrainOptions.lr,
    model: defaultTrainOptions.model,
  };
  return finishReport(rows, {
    preset,
    seeds,
    config,
    seconds: (performance.now() - started) / 1000,
    backend: currentBackend(),
  });
}

/** Comparisons, criteria (spec §5), verdict and notes from the measured rows. */
function finishReport(
  rows: ReplicationRow[],
  ctx: {
    preset: DEPreset;
    seeds: number[];
    config: Record<string, unknown> & { omega: number; variants: ReplicationVariant[] };
    seconds: number;
    backend: string;
  },
): ReplicationReport {
  const { preset, seeds, config } = ctx;
  const variants = config.variants;
  const setting = `omega=${config.omega}`;
  const notes: string[] = [];
  const comparisons: PairedComparison[] = [];
  const has = (v: ReplicationVariant) => variants.includes(v);
  for (const v of variants) {
    if (v === 'baseline') continue;
    for (const metric of ['probeAcc', 'knnAcc'])
      comparisons.push(compareMethods(rows, { method: v, baseline: 'baseline', metric, setting }));
  }
  const diff = (v: ReplicationVariant) => comparisons.find((c) => c.method === v && c.metric === 'probeAcc');
  const criteria: Criterion[] = [];
  if (has('clean'))
    criteria.push(
      strictCriterion(
        'clean − baseline (probe, mean paired, points)',
        diff('clean')!.mean,
        '> 0',
        diff('clean')!.mean > 0,
      ),
    );
  if (has('oracle_remove'))
    criteria.push(
      strictCriterion(
        'oracle_remove − baseline (probe, points)',
        diff('oracle_remove')!.mean,
        '> 0',
        diff('oracle_remove')!.mean > 0,
      ),
    );
  if (has('margin_remove') && has('random_remove')) {
    const gap = diff('margin_remove')!.mean - diff('random_remove')!.mean;
    criteria.push(
      strictCriterion('(margin_remove − baseline) − (random_remove − baseline) (probe, points)', gap, '> 0', gap > 0),
    );
  }
  if (has('inloss_combined')) {
    const c = diff('inloss_combined')!;
    const needed = Math.ceil(0.8 * seeds.length); // spec: ≥ 4 of 5 seeds
    criteria.push(strictCriterion('inloss_combined − baseline (probe, points)', c.mean, '> 0', c.mean > 0));
    criteria.push(
      strictCriterion(
        'inloss_combined seeds with a positive paired difference',
        c.positive,
        `>= ${needed} of ${seeds.length}`,
        c.positive >= needed,
      ),
    );
  }
  const complete = REPLICATION_VARIANTS.every(has) && seeds.length >= 5;
  if (!complete) {
    notes.push(
      `Verdict 'inconclusive': the spec's criterion needs all seven variants and 5 paired seeds; this run had ${variants.length} variant(s) and ${seeds.length} seed(s). The criteria above are reported for information.`,
    );
  }
  const baselineAcc = rows.filter((r) => r.method === 'baseline').map((r) => r.metrics.probeAcc!);
  if (baselineAcc.length > 1) {
    notes.push(
      `Baseline probe accuracy ranges over ${(Math.max(...baselineAcc) - Math.min(...baselineAcc)).toFixed(2)} points across seeds (seed noise).`,
    );
  }
  notes.push(
    `Per seed: ${config.trainSize} training images (${config.omega * 100}% replaced by 50/50 cross-class mixtures), ${config.probeSize} clean probe images, ${config.testSize} clean test images; MLP 784-128-64 encoder, 64-64-32 head, NT-Xent τ = 0.5, Adam 1e-3, batch ${config.batchSize}, ${config.epochs} epochs. Accuracies in %.`,
  );
  return buildReport({
    package: '@lab/difficult-examples',
    paper:
      'Difficult Examples Hurt Unsupervised Contrastive Learning: A Theoretical Perspective (Zhang, Cui, Li, Wang; ICLR 2026; arXiv:2501.01317)',
    claim: CLAIM,
    metric: 'probeAcc',
    preset,
    config,
    seeds,
    rows,
    comparisons,
    criteria,
    notes,
    command: `npx lab-difficult-examples replicate --preset ${preset} --seeds ${seedsFlag(seeds)}`,
    seconds: ctx.seconds,
    backend: ctx.backend,
    ...(complete ? {} : { verdict: 'inconclusive' as const }),
  });
}

/**
 * Merges reports of the same configuration run on disjoint seeds (e.g. one process per seed, since the WASM
 * backend uses one core) into one report: rows are concatenated and the paired comparisons, criteria and verdict
 * recomputed. `seconds` is the longest of the runs (their wall time when run side by side).
 */
export function mergeReplicationReports(reports: ReplicationReport[]): ReplicationReport {
  if (reports.length === 0) throw new LabError('EMPTY_INPUT', 'reports: expected at least 1 report, got 0');
  const first = reports[0]!;
  const strip = (c: Record<string, unknown>) => JSON.stringify({ ...c, variants: undefined });
  for (const [i, r] of reports.entries()) {
    if (r.package !== '@lab/difficult-examples')
      throw new LabError(
        'INVALID_ARGUMENT',
        `reports[${i}]: expected a @lab/difficult-examples report, got '${r.package}'`,
      );
    if (
      strip(r.config) !== strip(first.config) ||
      JSON.stringify(r.config.variants) !== JSON.stringify(first.config.variants) ||
      r.preset !== first.preset
    ) {
      throw new LabError('INVALID_ARGUMENT', `reports[${i}]: expected the same preset and config as reports[0]`);
    }
  }
  const seeds = reports.flatMap((r) => r.seeds);
  if (new Set(seeds).size !== seeds.length)
    throw new LabError('INVALID_ARGUMENT', `reports: expected disjoint seeds, got [${seeds.join(', ')}]`);
  const rows = reports.flatMap((r) => r.rows).sort((a, b) => a.seed - b.seed);
  return finishReport(rows, {
    preset: first.preset as DEPreset,
    seeds: [...seeds].sort((a, b) => a - b),
    config: first.config as Record<string, unknown> & { omega: number; variants: ReplicationVariant[] },
    seconds: Math.max(...reports.map((r) => r.seconds)),
    backend: first.backend,
  });
}
