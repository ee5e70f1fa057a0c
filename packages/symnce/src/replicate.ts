import {
  LabError,
  Rng,
  assertInRange,
  buildReport,
  compareMethods,
  criterion,
  knnAccuracy,
  linearProbe,
  loadMnist,
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
import {
  PRESETS,
  replicationChecks,
  symNceReplicationPresets,
  type SymNcePreset,
  type SymNceReplicateOptions,
  type SymNceReplicationConfig,
} from './config.js';
import { symmetricNoise, truePositiveShare } from './noise.js';
import { pairStats } from './symnce.js';
import { extractFeatures, trainContrastive } from './train.js';

const METHODS = ['SupCon', 'SymNCE'] as const;
const METRICS = ['knnNoisy', 'probeNoisy', 'probeClean'] as const;
const setting = (eta: number) => `eta=${eta}`;

/**
 * Miniature replication of Cui et al. (arXiv:2501.01130), spec §5: on MNIST with 60 % symmetric label
 * noise, SymNCE (SupCon + β·RevNCE-mae, after a SupCon-only warm-up) learns better representations than
 * SupCon; at 0 % noise it costs at most 1 point.
 *
 * Per seed: one permutation draws 1,000 training images (noisy labels), 1,000 clean probe images and
 * 2,000 test images; both methods share the permutation, the noise draw, the initialisation, the batch
 * order and the augmentation stream (paired seeds). Metrics on the 64-d representation h, in points
 * (accuracy × 100) on the clean test set: kNN (k = 20, cosine) with the noisy training labels, a linear
 * probe on the noisy training labels, and a linear probe on the clean probe set.
 *
 * Verdict (`full`, needs η ∈ {0, 0.6} and ≥ 5 seeds): at η = 0.6 the mean kNN(noisy) gain is ≥ 1.5
 * points with ≥ 80 % of seeds positive and a positive mean probe(noisy) gain, and at η = 0 the kNN
 * difference is ≥ −1 point. The `quick` preset (1 seed) cannot test the claim: it checks SymNCE ≥
 * SupCon − 1 at η = 0.6 (a guard against a broken reverse term) and reports `inconclusive`.
 */
export async function replicate(options: SymNceReplicateOptions = {}): Promise<ReplicationReport> {
  const started = Date.now();
  const o = strictOptions<SymNceReplicateOptions>(
    options,
    { preset: 'quick', seeds: undefined, onProgress: undefined, revForm: undefined, overrides: undefined },
    'replicate options',
    { preset: PRESETS, revForm: ['mae', 'linear'] },
  );
  const preset = o.preset as SymNcePreset;
  const { seeds: defaultSeeds, ...base } = symNceReplicationPresets[preset];
  const cfg = strictOptions<SymNceReplicationConfig>(
    { ...(o.revForm ? { revForm: o.revForm } : {}), ...(o.overrides ?? {}) },
    base,
    'replicate overrides',
    replicationChecks,
  );
  checkNoiseRates(cfg);
  const seeds = resolveSeeds(o.seeds, defaultSeeds);

  const mnist = await loadMnist();
  const needed = cfg.trainSize + cfg.probeSize + cfg.testSize;
  if (needed > mnist.count) {
    throw new LabError(
      'OUT_OF_RANGE',
      `overrides: trainSize + probeSize + testSize must be at most ${mnist.count}, got ${needed}`,
    );
  }
  const stepsPerRun = cfg.epochs * Math.ceil(cfg.trainSize / cfg.batchSize);
  const totalSteps = seeds.length * cfg.noiseRates.length * METHODS.length * stepsPerRun;
  let stepsDone = 0;

  const rows: ReplicationRow[] = [];
  const notes: string[] = [];
  for (const seed of seeds) {
    const rng = new Rng(seed);
    const [trainIdx, probeIdx, testIdx] = splitIndices(
      mnist.count,
      [cfg.trainSize, cfg.probeSize, cfg.testSize],
      rng.fork('split'),
    );
    const train = selectImages(mnist, trainIdx!);
    const probe = selectImages(mnist, probeIdx!);
    const test = selectImages(mnist, testIdx!);
    for (const eta of cfg.noiseRates) {
      const noisy = symmetricNoise(train.labels, eta, 10, rng.fork(`noise-${eta}`), 'flipToOther');
      if (eta > 0) {
        const share = truePositiveShare(noisy, train.labels);
        notes.push(
          `seed ${seed}, η=${eta}: ${(100 * share).toFixed(1)} % of same-label pairs of different images are truly positive (q⁺ = ${(100 * pairStats(10, eta).qPlus).toFixed(1)} % expected).`,
        );
      }
      for (const method of METHODS) {
        const stage = `seed ${seed} · ${method} · η=${eta}`;
        const offset = stepsDone;
        const { encoder } = await trainContrastive(
          { x: train.images, labels: noisy },
          {
            loss: method === 'SupCon' ? 'supcon' : 'symnce',
            temperature: cfg.temperature,
            beta: cfg.beta,
            revForm: cfg.revForm,
            warmupEpochs: cfg.warmupEpochs,
            epochs: cfg.epochs,
            batchSize: cfg.batchSize,
            lr: cfg.lr,
            augment: { maxShift: cfg.maxShift },
            seed,
            onProgress: (p) => options.onProgress?.({ stage, done: offset + p.done, total: totalSteps }),
          },
        );
        stepsDone = offset + stepsPerRun;
        try {
          const metrics = await measure(encoder, train, noisy, probe, test, cfg);
          rows.push({ method, setting: setting(eta), seed, metrics });
        } finally {
          encoder.dispose();
        }
        options.onProgress?.({ stage, done: stepsDone, total: totalSteps });
      }
    }
  }

  const comparisons: PairedComparison[] = [];
  for (const eta of cfg.noiseRates) {
    for (const metric of METRICS)
      comparisons.push(compareMethods(rows, { method: 'SymNCE', baseline: 'SupCon', metric, setting: setting(eta) }));
  }
  const { criteria, verdict } = judge(comparisons, cfg, seeds.length);
  notes.unshift(...explain(comparisons, verdict, cfg, seeds.length));
  notes.push(
    `Reverse term: RevNCE '${cfg.revForm}' (a reconstruction: the paper's Eqs. 17–18 were not available), β = ${cfg.beta}, τ = ${cfg.temperature} in both terms, ${cfg.warmupEpochs} SupCon-only warm-up epochs for SymNCE.`,
  );

  return buildReport({
    package: '@lab/symnce',
    paper:
      'An Inclusive Theoretical Framework of Robust Supervised Contrastive Loss against Label Noise (Cui, Zhang, Liu, Wang; arXiv:2501.01130, 2025)',
    claim:
      'At 60 % symmetric label noise on MNIST, SymNCE beats SupCon in kNN accuracy with noisy labels (≥ +1.5 points, ≥ 4/5 seeds), and at 0 % noise it costs ≤ 1 point.',
    metric: 'knnNoisy',
    preset,
    config: { ...cfg, seeds: seeds.length, metricsUnit: 'accuracy in points (×100) on the clean test set' },
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
}

/** The checks {@link replicationChecks} cannot express: a non-empty list of rates, and k within the training set. */
function checkNoiseRates(cfg: SymNceReplicationConfig): void {
  assertInRange(cfg.knnK, 'overrides.knnK', { min: 1, max: cfg.trainSize, integer: true });
  if (!Array.isArray(cfg.noiseRates) || cfg.noiseRates.length === 0) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `overrides.noiseRates: expected a non-empty list of rates in [0, 1], got ${JSON.stringify(cfg.noiseRates)}`,
    );
  }
  cfg.noiseRates.forEach((r, i) => assertInRange(r, `overrides.noiseRates[${i}]`, { min: 0, max: 1 }));
}

async function measure(
  encoder: Awaited<ReturnType<typeof trainContrastive>>['encoder'],
  train: LabeledImages,
  noisy: Int32Array,
  probe: LabeledImages,
  test: LabeledImages,
  cfg: SymNceReplicationConfig,
): Promise<Record<string, number>> {
  const hTrain = extractFeatures(encoder, train.images);
  const hProbe = extractFeatures(encoder, probe.images);
  const hTest = extractFeatures(encoder, test.images);
  try {
    const knnNoisy = knnAccuracy(hTrain, noisy, hTest, test.labels, { k: cfg.knnK, numClasses: 10 });
    const probeNoisy = (await linearProbe(hTrain, noisy, hTest, test.labels, { ...cfg.probe, numClasses: 10 }))
      .accuracy;
    const probeClean = (await linearProbe(hProbe, probe.labels, hTest, test.labels, { ...cfg.probe, numClasses: 10 }))
      .accuracy;
    return { knnNoisy: 100 * knnNoisy, probeNoisy: 100 * probeNoisy, probeClean: 100 * probeClean };
  } finally {
    tf.dispose([hTrain, hProbe, hTest]);
  }
}

function find(comparisons: PairedComparison[], eta: number, metric: string): PairedComparison | undefined {
  return comparisons.find((c) => c.setting === setting(eta) && c.metric === metric);
}

/** The spec's success criterion (§5), or the quick preset's smoke guard. */
function judge(
  comparisons: PairedComparison[],
  cfg: SymNceReplicationConfig,
  numSeeds: number,
): { criteria: Criterion[]; verdict: Verdict } {
  const criteria: Criterion[] = [];
  const noisyKnn = find(comparisons, 0.6, 'knnNoisy');
  const noisyProbe = find(comparisons, 0.6, 'probeNoisy');
  const cleanKnn = find(comparisons, 0, 'knnNoisy');
  const canTestClaim = noisyKnn !== undefined && noisyProbe !== undefined && cleanKnn !== undefined && numSeeds >= 5;
  if (canTestClaim) {
    const needed = Math.ceil(0.8 * numSeeds);
    criteria.push(
      criterion('η=0.6: mean kNN(noisy) gain of SymNCE over SupCon (points)', noisyKnn.mean, { atLeast: 1.5 }),
    );
    criteria.push(
      criterion(`η=0.6: seeds with a positive kNN(noisy) gain (of ${numSeeds})`, noisyKnn.positive, {
        atLeast: needed,
      }),
    );
    criteria.push({
      name: 'η=0.6: mean probe(noisy) gain has the same sign (points)',
      value: noisyProbe.mean,
      threshold: '> 0',
      passed: noisyProbe.mean > 0,
    });
    criteria.push(
      criterion('η=0: mean kNN difference SymNCE − SupCon (points; costs at most 1)', cleanKnn.mean, { atLeast: -1 }),
    );
    return { criteria, verdict: criteria.every((c) => c.passed) ? 'reproduced' : 'not-reproduced' };
  }
  // Too small to test the claim: keep the spec's CI guard (a broken reverse term would lose clearly).
  const guard = noisyKnn ?? find(comparisons, cfg.noiseRates[0]!, 'knnNoisy')!;
  const worst = Math.min(...guard.differences);
  criteria.push(
    criterion(`smoke guard, ${guard.setting}: worst per-seed kNN(noisy) difference SymNCE − SupCon (points)`, worst, {
      atLeast: -1,
    }),
  );
  return { criteria, verdict: criteria[0]!.passed ? 'inconclusive' : 'not-reproduced' };
}

function explain(
  comparisons: PairedComparison[],
  verdict: Verdict,
  cfg: SymNceReplicationConfig,
  numSeeds: number,
): string[] {
  const lines: string[] = [];
  for (const c of comparisons) {
    const per = c.differences.map((d, i) => `seed ${c.seeds[i]}: ${d >= 0 ? '+' : ''}${d.toFixed(2)}`).join(', ');
    lines.push(
      `${c.setting} ${c.metric}: SymNCE − SupCon = ${c.mean >= 0 ? '+' : ''}${c.mean.toFixed(2)} ± ${c.std.toFixed(2)} points, ${c.positive}/${c.seeds.length} seeds positive (${per}).`,
    );
  }
  if (verdict === 'inconclusive') {
    lines.unshift(
      `Not a test of the claim: ${numSeeds} seed(s) and noise rates [${cfg.noiseRates.join(', ')}] (the claim needs ≥ 5 paired seeds at η = 0 and 0.6; run the full preset). Only the smoke guard (SymNCE ≥ SupCon − 1 point) is checked.`,
    );
  } else if (verdict === 'not-reproduced') {
    const k = find(comparisons, 0.6, 'knnNoisy');
    lines.unshift(
      k
        ? `The claim did not hold at this scale: the η=0.6 kNN(noisy) gain was ${k.mean.toFixed(2)} points with ${k.positive}/${k.seeds.length} seeds positive. The spec's prototype saw about +2.5 points with a seed spread of about 1.5 points, so an effect of this size can vanish in seed noise; no hyper-parameter was tuned per seed.`
        : 'The smoke guard failed: SymNCE lost more than 1 point to SupCon on some seed.',
    );
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
