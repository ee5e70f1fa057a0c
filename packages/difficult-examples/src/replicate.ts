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
  pairedStatistics,
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
  type PairedStatistics,
  type Verdict,
  type ReplicationReport,
  type ReplicationRow,
} from '@lab/core';
import { replicationChart } from './chart.js';
import {
  CRITERION_MIN_SEEDS,
  CRITERION_VARIANTS,
  GRADIENT_SHARE_FLOOR,
  POSITIVE_CONTROL,
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
import { editGradientShare, selectDifficultPairs } from './difficult-examples.js';
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

/** The per-seed data every arm of a seed shares (paired: same split, mixtures and streams). */
interface SeedData {
  seed: number;
  rng: Rng;
  trainY: Int32Array;
  probeY: Int32Array;
  testY: Int32Array;
  flagged: Uint8Array;
  mixedIdx: Int32Array;
  probeT: tf.Tensor2D;
  testT: tf.Tensor2D;
  cleanT: tf.Tensor2D;
  mixedT: tf.Tensor2D;
  precisionT: tf.Tensor2D;
}

interface Sizes {
  trainSize: number;
  probeSize: number;
  testSize: number;
}

/** Draws a seed's split and mixtures (deterministic in the seed: every phase rebuilds the same data). */
function prepareSeed(mnist: Awaited<ReturnType<typeof loadMnist>>, seed: number, sz: Sizes, omega: number): SeedData {
  const rng = new Rng(seed);
  const perm = rng.fork('split').permutation(mnist.count);
  const pick = (from: number, count: number) => perm.slice(from, from + count);
  const { x: trainX, labels: trainY } = mnistRows(mnist, pick(0, sz.trainSize));
  const probe = mnistRows(mnist, pick(sz.trainSize, sz.probeSize));
  const test = mnistRows(mnist, pick(sz.trainSize + sz.probeSize, sz.testSize));
  const mixed = mixDifficult(trainX, trainY, omega, rng.fork('mix'));
  const flagged = new Uint8Array(sz.trainSize);
  mixed.mixedIdx.forEach((i) => (flagged[i] = 1));
  const testT = tf.tensor2d(test.x, [sz.testSize, 784]);
  return {
    seed,
    rng,
    trainY,
    probeY: probe.labels,
    testY: test.labels,
    flagged,
    mixedIdx: mixed.mixedIdx,
    probeT: tf.tensor2d(probe.x, [sz.probeSize, 784]),
    testT,
    cleanT: tf.tensor2d(trainX, [sz.trainSize, 784]),
    mixedT: tf.tensor2d(mixed.x, [sz.trainSize, 784]),
    precisionT: testT.slice([0, 0], [Math.min(128, sz.testSize), -1]) as tf.Tensor2D,
  };
}

function disposeSeed(d: SeedData): void {
  tf.dispose([d.probeT, d.testT, d.cleanT, d.mixedT, d.precisionT]);
}

/**
 * Gradient shares (in %) of the in-loss edit of `mode` on one batch (the first `batchSize` rows of `data`, two
 * fresh views): for `combined` also its margin-only (Eq. 14) and temperature-only (Eq. 15) parts.
 */
function gradientShares(
  model: SimCLRModel,
  data: tf.Tensor2D,
  mode: DifficultLossMode,
  batchSize: number,
  augment: AugmentOptions,
  rng: Rng,
): Record<string, number> {
  const views = tf.tidy(() => twoViews(data.slice([0, 0], [batchSize, -1]) as tf.Tensor2D, augment, 28, rng));
  const h = tf.tidy(() => model.backbone(views));
  const sel = selectDifficultPairs(h, defaultTrainOptions.selection);
  const z = tf.tidy(() => model.project(h));
  try {
    const share = (m: DifficultLossMode) =>
      100 * editGradientShare(z, sel.P, { ...defaultTrainOptions.loss, mode: m }).share;
    return mode === 'combined'
      ? {
          gradShareEdit: share('combined'),
          gradShareMargin: share('margin'),
          gradShareTemperature: share('temperature'),
        }
      : { gradShareEdit: share(mode) };
  } finally {
    tf.dispose([views, h, sel.P, z]);
  }
}

/** Orders rows by seed, then by the variants' order (the same for a run and for merged per-seed runs). */
function sortRows(rows: ReplicationRow[]): ReplicationRow[] {
  const order = (m: string) => REPLICATION_VARIANTS.indexOf(m as ReplicationVariant);
  return rows.sort((a, b) => a.seed - b.seed || order(a.method) - order(b.method));
}

/** The positive control's paired statistics, or null when the run has no control arm or fewer than 2 seeds. */
function controlStatistics(rows: readonly ReplicationRow[], setting: string): PairedStatistics | null {
  const control = POSITIVE_CONTROL.variant;
  if (!rows.some((r) => r.method === control)) return null;
  const c = compareMethods(rows, { method: control, baseline: 'baseline', metric: POSITIVE_CONTROL.metric, setting });
  return c.differences.length >= 2 ? pairedStatistics(c.differences, POSITIVE_CONTROL.level) : null;
}

/**
 * Runs the ω-mixed MNIST miniature (spec §5) and returns the shared {@link ReplicationReport}: per seed and
 * variant the linear-probe and kNN accuracy (in %) on 2,000 clean test digits, the selected-pair fraction and
 * selection precision, the in-loss edits' gradient shares, paired differences against `baseline`, and the
 * verdict by the spec's criterion. The positive control (`oracle_remove` against `baseline`, see
 * {@link POSITIVE_CONTROL}) runs first on every seed; when it fails on two or more seeds the comparison arms are
 * skipped and the verdict is `inconclusive`. `preset: 'standard'` (the default: 5 seeds, the criterion's six
 * arms, 10 epochs) is the smallest run the criterion can judge; `quick` (1 seed, 3 variants) cannot and reports
 * `inconclusive`. Requires an initialised backend (`await initBackend()`), and the optional `mnist` package.
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
  const sizes: Sizes = { trainSize: o.trainSize!, probeSize: o.probeSize!, testSize: o.testSize! };
  const { trainSize, probeSize, testSize } = sizes;
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
  let total = seeds.length * variants.length * epochs;
  let done = 0;
  const report = (stage: string) => o.onProgress?.({ stage, done, total });

  /** Trains one arm on one seed and measures it. */
  const runArm = async (d: SeedData, variant: ReplicationVariant): Promise<void> => {
    const nMixed = d.mixedIdx.length;
    let rowsKept: Int32Array | undefined;
    let extra: Record<string, number> = {};
    if (variant === 'oracle_remove') rowsKept = keptIndices(trainSize, d.mixedIdx);
    if (variant === 'margin_remove' || variant === 'random_remove') {
      let removed: Int32Array;
      if (variant === 'margin_remove') {
        report(`seed ${d.seed} · margin scorer (5-fold)`);
        const margins = await outOfFoldMargins(d.mixedT, d.trainY, {
          folds: 5,
          hidden: 128,
          epochs: scorerEpochs,
          seed: d.seed,
        });
        // frac = ω makes the per-class drop counts add up to (about) the number of mixed images.
        removed = lowestMarginPerClass(margins, d.trainY, nMixed / trainSize);
      } else removed = randomRemoval(trainSize, nMixed, d.rng.fork('random-removal'));
      rowsKept = keptIndices(trainSize, removed);
      const caught = Array.from(removed).filter((i) => d.flagged[i]).length;
      extra = { removed: removed.length, mixedCaught: nMixed ? (100 * caught) / nMixed : Number.NaN };
    }
    const source = variant === 'clean' ? d.cleanT : d.mixedT;
    const data = rowsKept ? tf.tidy(() => tf.gather(source, tf.tensor1d(rowsKept, 'int32')) as tf.Tensor2D) : source;
    const mode = lossMode(variant);
    let model: SimCLRModel | null = null;
    try {
      const stage = `seed ${d.seed} · ${variant}${variant === POSITIVE_CONTROL.variant ? ' (positive control)' : ''}`;
      report(stage);
      let shares: Record<string, number> = {};
      // Same seed for every variant: same initialisation, batch order stream and augmentation stream (paired).
      const result = await trainSimCLR(
        { x: data },
        { ...train, mode, seed: d.seed },
        {
          onEpoch: (log, current) => {
            // Issue 17: the edit's gradient share on the first batch after the warm-up (first) epoch.
            if (mode !== 'ntxent' && log.epoch === 0)
              shares = gradientShares(current, data, mode, batchSize, augment, d.rng.fork('gradient-share'));
            done++;
            report(stage);
          },
        },
      );
      model = result.model;
      const hProbe = encode(model, d.probeT);
      const hTest = encode(model, d.testT);
      const hTrain = encode(model, d.mixedT);
      let probeAcc: number, knnAcc: number, abg: { alpha: number; beta: number; gamma: number };
      try {
        probeAcc =
          100 *
          (
            await linearProbe(hProbe, d.probeY, hTest, d.testY, {
              seed: d.seed,
              ...(o.probeEpochs === undefined ? {} : { epochs: o.probeEpochs }),
            })
          ).accuracy;
        knnAcc = 100 * knnAccuracy(hProbe, d.probeY, hTest, d.testY, { k: Math.min(20, probeSize) });
        abg = estimateAlphaBetaGamma(hTrain, d.trainY, d.flagged);
      } finally {
        tf.dispose([hProbe, hTest, hTrain]);
      }
      const precisionBatch = d.precisionT.shape[0];
      const precision = selectionPrecision(
        model,
        d.precisionT,
        d.testY.subarray(0, precisionBatch),
        augment,
        d.rng.fork('precision'),
      );
      const last = result.log[result.log.length - 1]!;
      rows.push({
        method: variant,
        setting,
        seed: d.seed,
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
          ...shares,
          ...extra,
        },
      });
    } finally {
      model?.dispose();
      if (data !== source) data.dispose();
    }
  };

  /** Runs `arms` on every seed (each seed's data rebuilt identically). */
  const runPhase = async (arms: readonly ReplicationVariant[]) => {
    for (const seed of seeds) {
      const d = prepareSeed(mnist, seed, sizes, omega);
      try {
        for (const variant of arms) await runArm(d, variant);
      } finally {
        disposeSeed(d);
      }
    }
  };

  // Phase 1, the positive control: baseline and oracle_remove on every seed.
  const controlArms = variants.filter((v) => v === 'baseline' || v === POSITIVE_CONTROL.variant);
  await runPhase(controlArms);
  const control = controlStatistics(rows, setting);
  const rest = variants.filter((v) => !controlArms.includes(v));
  // Phase 2, the comparison arms, unless the control was judged (≥ 2 seeds) and failed.
  if (control !== null && !(control.ci.low > POSITIVE_CONTROL.ciLowAbove)) {
    total = done;
    report('positive control failed: comparison arms skipped');
  } else await runPhase(rest);

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
    positiveControl: POSITIVE_CONTROL,
  };
  return finishReport(sortRows(rows), {
    preset,
    seeds,
    config,
    seconds: (performance.now() - started) / 1000,
    backend: currentBackend(),
  });
}

const fmt = (v: number, digits = 2) => (v >= 0 ? '+' : '−') + Math.abs(v).toFixed(digits);

/** `mean [low, high], p, k/n positive` of paired differences, for the notes. */
function describeStatistics(s: PairedStatistics): string {
  if (s.n < 2) return `${fmt(s.mean)} points (1 seed: no interval)`;
  const p = s.pValue === null ? '' : `, exact sign-flip p = ${s.pValue.toFixed(4)}`;
  return `${fmt(s.mean)} points (sd ${s.std.toFixed(2)}; ${Math.round(100 * s.ci.level)} % t interval [${fmt(s.ci.low)}, ${fmt(s.ci.high)}]${p}; ${s.positive} of ${s.n} seeds positive)`;
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
  const measured = (v: ReplicationVariant) => rows.some((r) => r.method === v);
  // An arm counts when it was measured on every seed of the run (phase 2 may have been skipped).
  const has = (v: ReplicationVariant) =>
    variants.includes(v) && seeds.every((s) => rows.some((r) => r.method === v && r.seed === s));
  for (const v of variants) {
    if (v === 'baseline' || !measured(v)) continue;
    for (const metric of ['probeAcc', 'knnAcc'])
      comparisons.push(compareMethods(rows, { method: v, baseline: 'baseline', metric, setting }));
  }
  const diff = (v: ReplicationVariant) => comparisons.find((c) => c.method === v && c.metric === 'probeAcc')!;
  const stats = (d: number[]) => pairedStatistics(d, 0.95);
  const criteria: Criterion[] = [];
  const control = controlStatistics(rows, setting);
  const controlFailed = control !== null && !(control.ci.low > POSITIVE_CONTROL.ciLowAbove);
  if (control !== null)
    criteria.push(
      strictCriterion(
        `positive control: oracle_remove − baseline (probe, lower end of the 95 % t interval of the paired differences, points)`,
        control.ci.low,
        `> ${POSITIVE_CONTROL.ciLowAbove}`,
        !controlFailed,
      ),
    );
  const statNotes: string[] = [];
  const meanCriterion = (name: string, differences: number[]) => {
    const s = stats(differences);
    statNotes.push(`${name}: ${describeStatistics(s)}`);
    criteria.push(
      strictCriterion(`${name} (probe, mean of the paired differences, points)`, s.mean, '> 0', s.mean > 0),
    );
  };
  if (has('clean')) meanCriterion('clean − baseline', diff('clean').differences);
  if (has('oracle_remove')) meanCriterion('oracle_remove − baseline', diff('oracle_remove').differences);
  if (has('margin_remove') && has('random_remove')) {
    const m = diff('margin_remove').differences;
    const r = diff('random_remove').differences;
    meanCriterion(
      '(margin_remove − baseline) − (random_remove − baseline)',
      m.map((v, i) => v - r[i]!),
    );
  }
  if (has('inloss_combined')) {
    const c = diff('inloss_combined');
    const needed = Math.ceil(0.8 * seeds.length); // spec: ≥ 4 of 5 seeds
    meanCriterion('inloss_combined − baseline', c.differences);
    criteria.push(
      strictCriterion(
        'inloss_combined seeds with a positive paired difference (count of seeds)',
        c.positive,
        `>= ${needed} of ${seeds.length}`,
        c.positive >= needed,
      ),
    );
  }
  const complete = CRITERION_VARIANTS.every(has) && seeds.length >= CRITERION_MIN_SEEDS;
  let verdict: Verdict | undefined;
  if (controlFailed) {
    verdict = 'inconclusive';
    notes.push(
      `Verdict 'inconclusive': the positive control failed. Removing exactly the mixed images (oracle_remove) changed the probe by ${describeStatistics(control)}; the interval does not lie above ${POSITIVE_CONTROL.ciLowAbove}, so this run cannot detect the claimed effect${measured('clean') || measured('inloss_combined') ? '' : ' and the comparison arms were skipped'}.`,
    );
  } else if (!complete) {
    verdict = 'inconclusive';
    notes.push(
      `Verdict 'inconclusive': the spec's criterion needs the arms ${CRITERION_VARIANTS.join(', ')} on ${CRITERION_MIN_SEEDS} paired seeds; this run had ${variants.length} variant(s) and ${seeds.length} seed(s). The criteria above are reported for information.`,
    );
  }
  if (control !== null && !controlFailed)
    notes.push(`Positive control passed: oracle_remove − baseline ${describeStatistics(control)}.`);
  if (statNotes.length > 0)
    notes.push(
      `Statistics of the paired probe differences (core's pairedStatistics; the spec's criteria use the mean, and the sign count for inloss_combined): ${statNotes.join('; ')}.`,
    );
  for (const v of ['inloss_remove', 'inloss_combined'] as const) {
    const shares = rows.filter((r) => r.method === v && r.metrics.gradShareEdit !== undefined);
    if (shares.length === 0) continue;
    const mean = (key: string) => shares.reduce((a, r) => a + r.metrics[key]!, 0) / shares.length;
    const terms: [string, string][] = [[`the ${v} edit`, 'gradShareEdit']];
    if (v === 'inloss_combined')
      terms.push(
        ['its margin σ alone (Eq. 14)', 'gradShareMargin'],
        ['its temperature ρ alone (Eq. 15)', 'gradShareTemperature'],
      );
    const text = terms.map(([name, key]) => `${name} ${mean(key).toFixed(1)} %`).join(', ');
    const weak = terms.filter(([, key]) => mean(key) < 100 * GRADIENT_SHARE_FLOOR).map(([name]) => name);
    notes.push(
      `Gradient share on the first batch after the warm-up epoch, ‖∇z L_edit − ∇z L_NT-Xent‖ / ‖∇z L_edit‖, mean over ${shares.length} seed(s) at the paper's σ = ${defaultTrainOptions.loss.sigma}, ρ = ${defaultTrainOptions.loss.rho}: ${text}.${weak.length ? ` Below ${100 * GRADIENT_SHARE_FLOOR} % of the gradient (the edit barely acts): ${weak.join(', ')}.` : ''}`,
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
  const built = buildReport({
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
    ...(verdict ? { verdict } : {}),
  });
  const chart = replicationChart(built);
  return chart ? { ...built, chart } : built;
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
  const rows = sortRows(reports.flatMap((r) => r.rows));
  return finishReport(rows, {
    preset: first.preset as DEPreset,
    seeds: [...seeds].sort((a, b) => a - b),
    config: first.config as Record<string, unknown> & { omega: number; variants: ReplicationVariant[] },
    seconds: Math.max(...reports.map((r) => r.seconds)),
    backend: first.backend,
  });
}
