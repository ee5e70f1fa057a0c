import {
  LabError,
  Rng,
  assertInRange,
  buildReport,
  compareMethods,
  knnAccuracy,
  linearProbe,
  loadMnist,
  pairedStatistics,
  resolveSeeds,
  selectImages,
  splitIndices,
  strictOptions,
  tf,
  type Criterion,
  type LabeledImages,
  type PairedComparison,
  type ReplicationReport,
  type ReplicationRow,
  type Verdict,
} from '@lab/core';
import { replicationChart } from './chart.js';
import {
  PRESETS,
  REV_FORMS,
  replicationChecks,
  symNceReplicationPresets,
  type NoiseSetting,
  type ReplicationArm,
  type RevForm,
  type SymNcePreset,
  type SymNceReplicateOptions,
  type SymNceReplicationConfig,
} from './config.js';
import type { ContrastiveEncoder } from './encoder.js';
import { ASYM_MAPS, asymmetricNoise, symmetricNoise, truePositiveShare } from './noise.js';
import { pairStats } from './symnce.js';
import { extractFeatures, trainContrastive, type GradientShare } from './train.js';

/** The metrics of every row, in points on the clean test set; `probeClean` is the primary one. */
export const REPLICATION_METRICS = ['probeClean', 'knnNoisy', 'probeNoisyES'] as const;
const PRIMARY = 'probeClean';

/** The report's name of a noise setting, e.g. `sym η=0.8` or `asym η=0.4`. */
export function settingName(s: NoiseSetting): string {
  return `${s.type === 'symmetric' ? 'sym' : 'asym'} η=${s.rate}`;
}

const armOf = (form: RevForm): ReplicationArm => `SymNCE-${form}`;

/**
 * Miniature replication of Cui et al. (arXiv:2501.01130), redesigned after issue 17: on MNIST with heavy
 * label noise, SymNCE (SupCon + β·RevNCE after a SupCon-only warm-up) learns a better representation than
 * SupCon, measured by a linear probe trained on clean labels (primary), a cosine kNN (k = 50) on the noisy
 * labels and an early-stopped noisy-label probe (secondary).
 *
 * Per seed, one permutation draws the training images (noisy labels), the clean probe images and the test
 * images; every arm shares the permutation, the noise draw, the initialisation, the batch order and the views.
 * Arms, fixed in advance: SupCon; the oracle (SupCon on correctly labelled pairs only, the positive control);
 * SymNCE with each reverse form at a β whose gradient share is 0.1–2× SupCon's. The control runs first (SupCon
 * and oracle on every seed); when the oracle does not beat SupCon by `controlMinGain` points with a 95 % t
 * interval above 0, the setting cannot detect robustness and the verdict is `inconclusive` (the SymNCE arms are
 * then not run). Criterion on the primary form at the main setting: the mean of the paired clean-probe
 * differences ≥ +1 point with ≥ 8/10 seeds positive.
 */
export async function replicate(options: SymNceReplicateOptions = {}): Promise<ReplicationReport> {
  const started = Date.now();
  const o = strictOptions<SymNceReplicateOptions>(
    options,
    { preset: 'standard', seeds: undefined, onProgress: undefined, revForm: undefined, overrides: undefined },
    'replicate options',
    { preset: PRESETS, revForm: REV_FORMS },
  );
  const preset = o.preset as SymNcePreset;
  const { seeds: defaultSeeds, ...base } = symNceReplicationPresets[preset];
  const cfg = strictOptions<SymNceReplicationConfig>(
    { ...(o.revForm ? { primaryForm: o.revForm } : {}), ...(o.overrides ?? {}) },
    base,
    'replicate overrides',
    replicationChecks,
  );
  checkConfig(cfg);
  const seeds = resolveSeeds(o.seeds, defaultSeeds);

  const mnist = await loadMnist();
  const needed = cfg.trainSize + cfg.probeSize + cfg.testSize;
  if (needed > mnist.count) {
    throw new LabError(
      'OUT_OF_RANGE',
      `overrides: trainSize + probeSize + testSize must be at most ${mnist.count}, got ${needed}`,
    );
  }
  const main = settingName(cfg.noise[0]!);
  const stepsPerRun = cfg.epochs * Math.ceil(cfg.trainSize / cfg.batchSize);
  const totalSteps = seeds.length * cfg.noise.length * (2 + cfg.forms.length) * stepsPerRun;
  let stepsDone = 0;

  // Per seed: the splits and, per setting, the noisy labels (shared by every arm).
  const data = seeds.map((seed) => {
    const rng = new Rng(seed);
    const [trainIdx, probeIdx, testIdx] = splitIndices(
      mnist.count,
      [cfg.trainSize, cfg.probeSize, cfg.testSize],
      rng.fork('split'),
    );
    const train = selectImages(mnist, trainIdx!);
    const noisy = cfg.noise.map((s) =>
      s.type === 'symmetric'
        ? symmetricNoise(train.labels, s.rate, 10, rng.fork(`noise-${s.rate}`), 'flipToOther')
        : asymmetricNoise(train.labels, s.rate, ASYM_MAPS.mnist, rng.fork(`noise-asym-${s.rate}`)),
    );
    return { seed, train, noisy, probe: selectImages(mnist, probeIdx!), test: selectImages(mnist, testIdx!) };
  });

  const rows: ReplicationRow[] = [];
  const notes: string[] = [];
  const shares: { arm: ReplicationArm; setting: string; seed: number; share: GradientShare }[] = [];
  const run = async (arm: ReplicationArm) => {
    for (const d of data) {
      for (const [k, s] of cfg.noise.entries()) {
        const setting = settingName(s);
        const stage = `seed ${d.seed} · ${arm} · ${setting}`;
        const offset = stepsDone;
        const form = arm.startsWith('SymNCE-') ? (arm.slice(7) as RevForm) : undefined;
        const noisy = d.noisy[k]!;
        const { encoder, gradientShare } = await trainContrastive(
          { x: d.train.images, labels: noisy },
          {
            loss: form ? 'symnce' : 'supcon',
            temperature: cfg.temperature,
            beta: form ? cfg.betas[form] : 0,
            revForm: form ?? cfg.primaryForm,
            warmupEpochs: cfg.warmupEpochs,
            epochs: cfg.epochs,
            batchSize: cfg.batchSize,
            lr: cfg.lr,
            augment: { maxShift: cfg.maxShift },
            seed: d.seed,
            measureGradientShare: form !== undefined,
            ...(arm === 'oracle' ? { oracleLabels: d.train.labels } : {}),
            onProgress: (p) => options.onProgress?.({ stage, done: offset + p.done, total: totalSteps }),
          },
        );
        stepsDone = offset + stepsPerRun;
        if (gradientShare) shares.push({ arm, setting, seed: d.seed, share: gradientShare });
        try {
          const metrics = await measure(encoder, d.train, noisy, d.probe, d.test, cfg);
          rows.push({ method: arm, setting, seed: d.seed, metrics });
        } finally {
          encoder.dispose();
        }
        options.onProgress?.({ stage, done: stepsDone, total: totalSteps });
      }
    }
  };

  // 1. The positive control, before any comparison: SupCon and the oracle on every seed.
  await run('SupCon');
  await run('oracle');
  const control = compareMethods(rows, { method: 'oracle', baseline: 'SupCon', metric: PRIMARY, setting: main });
  const controlStats = pairedStatistics(control.differences);
  const controlPassed = control.mean >= cfg.controlMinGain && (control.seeds.length < 2 || controlStats.ci.low > 0);
  // 2. The comparison (skipped when the control failed: its verdict could only be `inconclusive`).
  if (controlPassed) for (const form of cfg.forms) await run(armOf(form));
  else stepsDone = totalSteps;

  for (const d of data) {
    for (const [k, s] of cfg.noise.entries()) {
      const share = truePositiveShare(d.noisy[k]!, d.train.labels);
      const expected =
        s.type === 'symmetric' ? ` (q⁺ = ${(100 * pairStats(10, s.rate).qPlus).toFixed(1)} % expected)` : '';
      notes.push(
        `seed ${d.seed}, ${settingName(s)}: ${(100 * share).toFixed(1)} % of same-label pairs of different images are truly positive${expected}.`,
      );
    }
  }

  const arms = [...new Set(rows.map((r) => r.method))].filter((m) => m !== 'SupCon');
  const comparisons: PairedComparison[] = [];
  for (const s of cfg.noise)
    for (const arm of arms)
      for (const metric of REPLICATION_METRICS)
        comparisons.push(compareMethods(rows, { method: arm, baseline: 'SupCon', metric, setting: settingName(s) }));

  const primaryShares = shares.filter((s) => s.arm === armOf(cfg.primaryForm) && s.setting === main);
  const { criteria, verdict, reasons } = judge(comparisons, cfg, seeds.length, controlPassed, primaryShares);
  notes.unshift(...reasons, ...explain(comparisons));
  notes.push(...shareNotes(shares, cfg));
  notes.push(
    `Reverse forms (reconstructions: the paper's Eqs. 17–18 could not be read): ${cfg.forms.map((f) => `'${f}' β = ${cfg.betas[f]}`).join(', ')}; primary '${cfg.primaryForm}'; τ = ${cfg.temperature} in both terms; ${cfg.warmupEpochs} SupCon-only warm-up epochs; the oracle is SupCon on correctly labelled pairs only.`,
  );

  const built = buildReport({
    package: '@lab/symnce',
    paper:
      'An Inclusive Theoretical Framework of Robust Supervised Contrastive Loss against Label Noise (Cui, Zhang, Liu, Wang; arXiv:2501.01130, 2025)',
    claim: `Under ${main} label noise on MNIST, SymNCE ('${cfg.primaryForm}' reverse term) learns a better representation than SupCon: clean-label linear-probe gain ≥ +${cfg.minGain} point (mean of paired differences) with ≥ ${Math.round(100 * cfg.minPositiveShare)} % of ${cfg.minSeeds} seeds positive, once the oracle control shows the setting can detect robustness.`,
    metric: PRIMARY,
    preset,
    config: {
      ...cfg,
      seeds: seeds.length,
      metricsUnit: 'accuracy in points (×100) on the clean test set',
    },
    seeds,
    rows,
    comparisons,
    criteria,
    verdict,
    notes,
    command: commandFor(preset, options),
    seconds: (Date.now() - started) / 1000,
    backend: tf.getBackend(),
  });
  const chart = replicationChart(built, cfg);
  return chart ? { ...built, chart } : built;
}

/** The checks {@link replicationChecks} cannot express. */
function checkConfig(cfg: SymNceReplicationConfig): void {
  assertInRange(cfg.knnK, 'overrides.knnK', { min: 1, max: cfg.trainSize, integer: true });
  if (!Array.isArray(cfg.noise) || cfg.noise.length === 0)
    throw new LabError(
      'INVALID_ARGUMENT',
      `overrides.noise: expected a non-empty list of { type, rate }, got ${JSON.stringify(cfg.noise)}`,
    );
  cfg.noise.forEach((s, i) => {
    const { type, rate } = strictOptions<NoiseSetting>(s, { type: 'symmetric', rate: 0 }, `overrides.noise[${i}]`, {});
    if (type !== 'symmetric' && type !== 'asymmetric')
      throw new LabError(
        'INVALID_ARGUMENT',
        `overrides.noise[${i}].type: expected one of 'symmetric', 'asymmetric', got '${String(type)}'`,
      );
    assertInRange(rate, `overrides.noise[${i}].rate`, { min: 0, max: 1 });
    if (type === 'symmetric' && rate >= 0.9)
      throw new LabError(
        'OUT_OF_RANGE',
        `overrides.noise[${i}].rate: expected a symmetric rate < 0.9 (at 0.9 with 10 classes the noisy labels carry no signal), got ${rate}`,
      );
  });
  if (!Array.isArray(cfg.forms) || cfg.forms.length === 0)
    throw new LabError(
      'INVALID_ARGUMENT',
      `overrides.forms: expected a non-empty list of reverse forms, got ${JSON.stringify(cfg.forms)}`,
    );
  cfg.forms.forEach((f, i) => {
    if (!REV_FORMS.includes(f))
      throw new LabError(
        'INVALID_ARGUMENT',
        `overrides.forms[${i}]: expected one of ${REV_FORMS.map((x) => `'${x}'`).join(', ')}, got '${String(f)}'`,
      );
  });
  if (!cfg.forms.includes(cfg.primaryForm))
    throw new LabError(
      'INVALID_ARGUMENT',
      `primaryForm: expected one of the arms' forms [${cfg.forms.join(', ')}], got '${cfg.primaryForm}'`,
    );
  const betas = strictOptions(cfg.betas, { linear: 1, mass: 1, mae: 1 }, 'overrides.betas', {});
  for (const f of REV_FORMS) assertInRange(betas[f], `overrides.betas.${f}`, { min: 0, minExclusive: true });
  const [lo, hi] = Array.isArray(cfg.shareRange) ? cfg.shareRange : [Number.NaN, Number.NaN];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo! > 0 && hi! > lo!))
    throw new LabError(
      'OUT_OF_RANGE',
      `overrides.shareRange: expected [low, high] with 0 < low < high, got ${JSON.stringify(cfg.shareRange)}`,
    );
  const { holdout, epochs } = strictOptions(cfg.noisyProbe, { holdout: 0.2, epochs: [1] }, 'overrides.noisyProbe', {});
  assertInRange(holdout, 'overrides.noisyProbe.holdout', { min: 0, max: 0.5, minExclusive: true });
  if (!Array.isArray(epochs) || epochs.length === 0)
    throw new LabError(
      'INVALID_ARGUMENT',
      `overrides.noisyProbe.epochs: expected a non-empty list of epoch counts, got ${JSON.stringify(epochs)}`,
    );
  epochs.forEach((e, i) => assertInRange(e, `overrides.noisyProbe.epochs[${i}]`, { min: 1, integer: true }));
  if (Math.floor(holdout * cfg.trainSize) < 1)
    throw new LabError(
      'OUT_OF_RANGE',
      `overrides.noisyProbe.holdout: leaves no held-out row of ${cfg.trainSize}, got ${holdout}`,
    );
}

async function measure(
  encoder: ContrastiveEncoder,
  train: LabeledImages,
  noisy: Int32Array,
  probe: LabeledImages,
  test: LabeledImages,
  cfg: SymNceReplicationConfig,
): Promise<Record<string, number>> {
  const hTrain = extractFeatures(encoder, train.images);
  const hProbe = extractFeatures(encoder, probe.images);
  const hTest = extractFeatures(encoder, test.images);
  const nVal = Math.floor(cfg.noisyProbe.holdout * cfg.trainSize);
  const nFit = cfg.trainSize - nVal;
  const hFit = hTrain.slice([0, 0], [nFit, -1]);
  const hVal = hTrain.slice([nFit, 0], [nVal, -1]);
  const probeOptions = { ...cfg.probe, numClasses: 10 };
  try {
    const knnNoisy = knnAccuracy(hTrain, noisy, hTest, test.labels, { k: cfg.knnK, numClasses: 10 });
    const probeClean = (await linearProbe(hProbe, probe.labels, hTest, test.labels, probeOptions)).accuracy;
    // Early stopping on noisy labels only: the epoch count with the best held-out noisy-label accuracy.
    const yFit = noisy.subarray(0, nFit);
    const yVal = noisy.subarray(nFit);
    let best = cfg.noisyProbe.epochs[0]!;
    let bestVal = -1;
    for (const epochs of cfg.noisyProbe.epochs) {
      const val = (await linearProbe(hFit, yFit, hVal, yVal, { ...probeOptions, epochs })).accuracy;
      if (val > bestVal) [best, bestVal] = [epochs, val];
    }
    const probeNoisyES = (await linearProbe(hFit, yFit, hTest, test.labels, { ...probeOptions, epochs: best }))
      .accuracy;
    return { probeClean: 100 * probeClean, knnNoisy: 100 * knnNoisy, probeNoisyES: 100 * probeNoisyES };
  } finally {
    tf.dispose([hTrain, hProbe, hTest, hFit, hVal]);
  }
}

function find(comparisons: PairedComparison[], setting: string, method: string, metric: string) {
  return comparisons.find((c) => c.setting === setting && c.method === method && c.metric === metric);
}

const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;

/** The criteria (each names its statistic) and the verdict with the reasons when it is `inconclusive`. */
function judge(
  comparisons: PairedComparison[],
  cfg: SymNceReplicationConfig,
  numSeeds: number,
  controlPassed: boolean,
  primaryShares: { seed: number; share: GradientShare }[],
): { criteria: Criterion[]; verdict: Verdict; reasons: string[] } {
  const main = settingName(cfg.noise[0]!);
  const criteria: Criterion[] = [];
  const control = find(comparisons, main, 'oracle', PRIMARY)!;
  const cs = pairedStatistics(control.differences);
  criteria.push({
    name: `positive control, ${main}: oracle − SupCon clean-probe gain (points; mean of the paired differences, 95 % t interval)`,
    value: control.mean,
    threshold: `>= ${cfg.controlMinGain}, interval above 0`,
    passed: controlPassed,
  });
  const reasons: string[] = [];
  if (!controlPassed)
    reasons.push(
      `Inconclusive: the positive control failed — the oracle (SupCon on correctly labelled pairs only) gained ${signed(control.mean)} clean-probe points over SupCon (95 % t interval ${signed(cs.ci.low)} to ${signed(cs.ci.high)}), so this setting cannot show a robustness gain even where one exists; the SymNCE arms were not run.`,
    );
  const primary = find(comparisons, main, armOf(cfg.primaryForm), PRIMARY);
  if (primary) {
    const needed = Math.ceil(cfg.minPositiveShare * primary.seeds.length);
    const median = [...primaryShares.map((s) => s.share.share)].sort((a, b) => a - b)[
      Math.floor(primaryShares.length / 2)
    ];
    const [lo, hi] = cfg.shareRange;
    const shareOk = median !== undefined && median >= lo && median <= hi;
    criteria.push({
      name: `validity, ${main}: median gradient share ‖∇β·RevNCE‖/‖∇SupCon‖ of SymNCE-${cfg.primaryForm} on the first batch after warm-up`,
      value: median ?? Number.NaN,
      threshold: `in [${lo}, ${hi}]`,
      passed: shareOk,
    });
    criteria.push({
      name: `${main}: SymNCE-${cfg.primaryForm} − SupCon clean-probe gain (points; mean of the paired differences)`,
      value: primary.mean,
      threshold: `>= ${cfg.minGain}`,
      passed: primary.mean >= cfg.minGain,
    });
    criteria.push({
      name: `${main}: seeds with a positive clean-probe gain (count of paired differences > 0, of ${primary.seeds.length})`,
      value: primary.positive,
      threshold: `>= ${needed}`,
      passed: primary.positive >= needed,
    });
    if (!shareOk)
      reasons.push(
        `Inconclusive: the primary arm's reverse term carried a median ${median?.toFixed(3)}× SupCon's gradient, outside [${lo}, ${hi}]: the arm does not test the form at an active β.`,
      );
  }
  if (numSeeds < cfg.minSeeds)
    reasons.push(
      `Not a test of the claim: ${numSeeds} paired seed(s), the criterion needs ${cfg.minSeeds} (run the standard or full preset).`,
    );
  let verdict: Verdict;
  if (reasons.length > 0) verdict = 'inconclusive';
  else verdict = criteria.every((c) => c.passed) ? 'reproduced' : 'not-reproduced';
  return { criteria, verdict, reasons };
}

function explain(comparisons: PairedComparison[]): string[] {
  const lines: string[] = [];
  for (const c of comparisons) {
    const s = pairedStatistics(c.differences);
    const per = c.differences.map((d, i) => `${c.seeds[i]}: ${signed(d)}`).join(', ');
    const ci = s.n > 1 ? `, 95 % t interval ${signed(s.ci.low)} to ${signed(s.ci.high)}` : '';
    const p = s.pValue !== null && s.n > 1 ? `, sign-flip p = ${s.pValue.toPrecision(2)}` : '';
    lines.push(
      `${c.setting} ${c.metric}: ${c.method} − SupCon = ${signed(c.mean)} ± ${c.std.toFixed(2)} points${ci}${p}, ${c.positive}/${c.seeds.length} seeds positive (${per}).`,
    );
  }
  return lines;
}

function shareNotes(
  shares: { arm: ReplicationArm; setting: string; seed: number; share: GradientShare }[],
  cfg: SymNceReplicationConfig,
): string[] {
  const lines: string[] = [];
  for (const form of cfg.forms) {
    for (const s of cfg.noise) {
      const own = shares.filter((x) => x.arm === armOf(form) && x.setting === settingName(s));
      if (own.length === 0) continue;
      const values = own.map((x) => x.share.share);
      const low = values.filter((v) => v < 0.05).length;
      lines.push(
        `gradient share of β·RevNCE-'${form}' (β = ${cfg.betas[form]}) on the first batch after warm-up, ${settingName(s)}: ${values.map((v) => v.toFixed(3)).join(', ')} × SupCon's (seeds ${own.map((x) => x.seed).join(', ')})${low > 0 ? ` — below 5 % on ${low} seed(s): the term barely acts there` : ''}.`,
      );
    }
  }
  return lines;
}

function commandFor(preset: string, options: SymNceReplicateOptions): string {
  const parts = ['npx lab-symnce replicate', `--preset ${preset}`];
  if (options.seeds !== undefined)
    parts.push(`--seeds ${Array.isArray(options.seeds) ? options.seeds.join(',') : options.seeds}`);
  if (options.revForm) parts.push(`--rev-form ${options.revForm}`);
  if (options.overrides) parts.push(`(with overrides ${JSON.stringify(options.overrides)}: replicate() API only)`);
  return parts.join(' ');
}
