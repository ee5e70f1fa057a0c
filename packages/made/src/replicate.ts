import {
  LabError,
  buildReport,
  compareMethods,
  criterion,
  resolveSeeds,
  strictOptions,
  tf,
  type Criterion,
  type ReplicationReport,
  type ReplicationRow,
  type PairedComparison,
} from '@lab/core';
import {
  ARMS,
  PRESETS,
  PRESET_CONFIGS,
  SETTINGS,
  defaultReplicationScale,
  replicationScaleChecks,
  type MadeArm,
  type MadePreset,
  type MadeReplicateOptions,
  type MadeReplicationScale,
  type MadeSetting,
} from './config.js';
import { backdoorTask, type BackdoorTask } from './data.js';
import { ablDefend, evaluateBackdoor, isolate, madeDefend, trainClassifier, type IsolationResult } from './defend.js';
import { isolationQuality } from './made.js';
import { GIN } from './models.js';

export type { MadeArm, MadeReplicateOptions } from './config.js';

const PAPER = 'MADE: Graph Backdoor Defense with Masked Unlearning (Lin, Li, Wang, arXiv:2411.18648, 2024)';
const CLAIM =
  'On a planted-trigger graph classification task, MADE-style masked unlearning drives the attack success rate near zero (median < 10 %) at < 3 points clean-accuracy cost, with a better ACC/ASR trade-off than ABL-style whole-graph unlearning.';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

type ResolvedOptions = MadeReplicateOptions & MadeReplicationScale;
const replicateDefaults: ResolvedOptions = {
  preset: 'quick',
  seeds: undefined,
  onProgress: undefined,
  settings: undefined,
  arms: undefined,
  ...defaultReplicationScale,
};

/** Checks a list option of replicate(): a non-empty array of distinct known names. */
function listOf<T extends string>(
  value: readonly T[] | undefined,
  allowed: readonly T[],
  name: string,
): T[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0)
    throw new LabError(
      'INVALID_ARGUMENT',
      `${name}: expected a non-empty list of ${allowed.join(', ')}, got ${String(value)}`,
    );
  for (const v of value)
    if (!allowed.includes(v))
      throw new LabError('INVALID_ARGUMENT', `${name}: expected items of ${allowed.join(', ')}, got '${String(v)}'`);
  if (new Set(value).size !== value.length)
    throw new LabError('INVALID_ARGUMENT', `${name}: expected distinct items, got ${value.join(', ')}`);
  return [...value];
}

/** The rerun command of a report: the preset plus the seeds, settings and arms that were given. */
function rerunCommand(
  preset: MadePreset,
  options: MadeReplicateOptions,
  settings: MadeSetting[],
  arms: MadeArm[],
): string {
  const seeds = options.seeds;
  const seedText =
    seeds === undefined
      ? ''
      : typeof seeds === 'number'
        ? `--seeds ${seeds}`
        : seeds.every((s, i) => s === i)
          ? `--seeds ${seeds.length}`
          : `--seeds ${seeds.join(',')}`;
  return [
    `pnpm --filter @lab/made exec lab-made replicate --preset ${preset}`,
    seedText,
    options.settings ? `--settings ${settings.join(',')}` : '',
    options.arms ? `--arms ${arms.join(',')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * Miniature replication (spec §5): BA-2motif graphs with a planted K4 trigger (10 % of the training set, class 1 → 0),
 * a 3-layer GIN (hidden 32, sum pooling, Adam 0.01, batch 32, 40 epochs), and the arms on paired seeds. The hard gates
 * test the attack and the isolation signal; the MADE criterion decides the verdict. MADE's stages 2–3 are reconstructions.
 */
export async function replicate(options: MadeReplicateOptions = {}): Promise<ReplicationReport> {
  const started = Date.now();
  const o = strictOptions<ResolvedOptions>(options, replicateDefaults, 'replicate options', {
    ...replicationScaleChecks,
    preset: PRESETS,
  });
  const preset = o.preset as MadePreset;
  const p = PRESET_CONFIGS[preset];
  const seeds = resolveSeeds(o.seeds, p.seeds);
  const settings = listOf(o.settings, SETTINGS, 'settings') ?? p.settings;
  const arms = listOf(o.arms, ARMS, 'arms') ?? p.arms;
  const cfg = {
    numTrain: o.numTrain,
    numTest: o.numTest,
    epochs: o.epochs,
    isoEpochs: o.isoEpochs,
    unlearnEpochs: o.unlearnEpochs,
    hidden: o.hidden,
    layers: o.layers,
    rate: 0.1,
    ratio: 0.1,
    target: 0,
    trigger: 'fixed K4',
    isolation: 'LGA warm-up (γ = 0.5), rank sum of CE and graph homophily (shared by ABL and MADE: equal isolation)',
    made: {
      lambdaU: 1,
      clip: 2,
      betaSize: 0.05,
      betaEnt: 0.1,
      maskObjective: 'smallestTrigger' as const,
      isoBatchSize: 8,
    },
  };
  const rows: ReplicationRow[] = [];
  const notes: string[] = [];
  const needsWarm = arms.some((a) => a === 'abl' || a === 'made' || a === 'random-drop');
  const total = seeds.length * settings.length * (arms.length + (needsWarm ? 1 : 0));
  let done = 0;
  const progress = (stage: string) => o.onProgress?.({ stage, done: ++done, total });

  for (const setting of settings) {
    for (const seed of seeds) {
      const task: BackdoorTask = backdoorTask({ seed, setting, numTrain: cfg.numTrain, numTest: cfg.numTest });
      const fresh = () =>
        new GIN({ inDim: task.graphs[0]!.featDim, hidden: cfg.hidden, layers: cfg.layers, classes: 2, seed });
      const evalRow = (method: string, model: GIN, extra: Record<string, number> = {}) => {
        const { acc, asr } = evaluateBackdoor(model, task.cleanTest, task.triggeredTest, task.target);
        rows.push({ method, setting, seed, metrics: { acc, asr, ...extra } });
      };
      const train = { epochs: cfg.epochs, lr: 0.01, batchSize: 32, seed };

      if (arms.includes('none')) {
        const m = fresh();
        await trainClassifier(m, task.graphs, train);
        evalRow('none', m);
        m.dispose();
        progress(`${setting} · seed ${seed} · no defense`);
      }
      if (arms.includes('oracle')) {
        const poisonedSet = new Set(task.poisoned);
        const m = fresh();
        await trainClassifier(m, task.graphs, {
          ...train,
          indices: task.graphs.map((_, i) => i).filter((i) => !poisonedSet.has(i)),
        });
        evalRow('oracle', m);
        m.dispose();
        progress(`${setting} · seed ${seed} · clean oracle`);
      }
      let warm: GIN | null = null;
      let isolation: IsolationResult | null = null;
      if (needsWarm) {
        warm = fresh();
        isolation = await isolate(warm, task.graphs, {
          isoEpochs: cfg.isoEpochs,
          isoLoss: 'lga',
          gamma: 0.5,
          ratio: cfg.ratio,
          criterion: 'both',
          seed,
        });
        const q = (idx: Int32Array) => isolationQuality(idx, task.poisoned, { numGraphs: task.graphs.length });
        // homophily alone at exactly the poison count (the spec's gate)
        const atCount = Int32Array.from(
          Array.from(isolation.homophily, (h, i) => [h, i] as const)
            .sort((a, b) => a[0] - b[0] || a[1] - b[1])
            .slice(0, task.poisoned.length)
            .map(([, i]) => i),
        );
        rows.push({
          method: 'isolation',
          setting,
          seed,
          metrics: {
            precisionBoth: q(isolation.byCriterion.both).precision,
            recallBoth: q(isolation.byCriterion.both).recall,
            precisionLoss: q(isolation.byCriterion.loss).precision,
            recallLoss: q(isolation.byCriterion.loss).recall,
            precisionHomophily: q(isolation.byCriterion.homophily).precision,
            recallHomophily: q(isolation.byCriterion.homophily).recall,
            homophilyPrecisionAtPoisonCount: q(atCount).precision,
          },
        });
        progress(`${setting} · seed ${seed} · isolation warm-up`);
      }
      const iq = isolation
        ? isolationQuality(isolation.isolated, task.poisoned, { numGraphs: task.graphs.length })
        : { precision: NaN, recall: NaN };
      const unlearn = { unlearnEpochs: cfg.unlearnEpochs, lr: 0.01, batchSize: 32, seed, ...cfg.made };
      let madeMaskMean = 0.5;
      if (arms.includes('abl') && warm && isolation) {
        const m = warm.clone();
        await ablDefend(m, task.graphs, {
          isolation,
          schedule: 'joint',
          epochs: cfg.unlearnEpochs,
          lambdaU: 1,
          clip: 2,
          isoBatchSize: 8,
          seed,
        });
        evalRow('abl', m, { isoPrecision: iq.precision, isoRecall: iq.recall });
        m.dispose();
        progress(`${setting} · seed ${seed} · ABL`);
      }
      if (arms.includes('made') && warm && isolation) {
        const m = warm.clone();
        const r = await madeDefend(m, task.graphs, { ...unlearn, isolation });
        madeMaskMean = r.log.length > 0 ? r.log[r.log.length - 1]!.maskMean : madeMaskMean;
        // how much of the final mask sits on trigger edges of truly poisoned isolated graphs
        evalRow('made', m, { isoPrecision: iq.precision, isoRecall: iq.recall, maskMean: madeMaskMean });
        r.generator?.dispose();
        m.dispose();
        progress(`${setting} · seed ${seed} · MADE-R`);
      }
      if (arms.includes('random-drop') && warm && isolation) {
        const m = warm.clone();
        const r = await madeDefend(m, task.graphs, {
          ...unlearn,
          isolation,
          randomDropRate: Math.min(1, Math.max(0, 1 - madeMaskMean)),
        });
        evalRow('random-drop', m, { isoPrecision: iq.precision, isoRecall: iq.recall, dropRate: 1 - madeMaskMean });
        r.generator?.dispose();
        m.dispose();
        progress(`${setting} · seed ${seed} · random edge drop`);
      }
      if (arms.includes('made-oracle-iso')) {
        const m = warm ? warm.clone() : fresh();
        const oracleIso: IsolationResult = {
          isolated: task.poisoned,
          scores: new Float32Array(task.graphs.length),
          ce: new Float32Array(task.graphs.length),
          homophily: new Float32Array(task.graphs.length),
          byCriterion: { loss: task.poisoned, homophily: task.poisoned, both: task.poisoned },
        };
        const r = await madeDefend(m, task.graphs, { ...unlearn, isolation: oracleIso });
        evalRow('made-oracle-iso', m, { isoPrecision: 1, isoRecall: 1 });
        r.generator?.dispose();
        m.dispose();
        progress(`${setting} · seed ${seed} · MADE-R with oracle isolation`);
      }
      warm?.dispose();
    }
  }

  // ── criteria ─────────────────────────────────────────────────────────────────────────
  const criteria: Criterion[] = [];
  const comparisons: PairedComparison[] = [];
  const metricOf = (method: string, setting: string, metric: string) =>
    rows.filter((r) => r.method === method && r.setting === setting).map((r) => r.metrics[metric]!);
  const primary = settings.includes('feature') ? 'feature' : settings[0]!;
  let gatesPassed = true;
  for (const setting of settings) {
    if (arms.includes('none')) {
      const asr = mean(metricOf('none', setting, 'asr'));
      const acc = mean(metricOf('none', setting, 'acc'));
      const a = criterion(`gate · ${setting}: no-defense ASR > 0.9`, asr, { atLeast: 0.9 });
      const b = criterion(`gate · ${setting}: no-defense clean accuracy > 0.9`, acc, { atLeast: 0.9 });
      criteria.push(a, b);
      gatesPassed &&= a.passed && b.passed;
    }
  }
  if (settings.includes('feature') && needsWarm) {
    const c = criterion(
      'gate · feature: homophily isolation precision at the poison count >= 0.9',
      mean(metricOf('isolation', 'feature', 'homophilyPrecisionAtPoisonCount')),
      { atLeast: 0.9 },
    );
    criteria.push(c);
    gatesPassed &&= c.passed;
  }
  let madePassed = false;
  if (arms.includes('made')) {
    const asr = metricOf('made', primary, 'asr');
    const c1 = criterion(`MADE · ${primary}: median ASR < 0.10`, median(asr), { atMost: 0.1 });
    const below = asr.filter((v) => v < 0.2).length / asr.length;
    const c2 = criterion(`MADE · ${primary}: share of seeds with ASR < 0.20 (>= 4/5)`, below, { atLeast: 0.8 });
    criteria.push(c1, c2);
    madePassed = c1.passed && c2.passed;
    if (arms.includes('none')) {
      const drop = mean(metricOf('none', primary, 'acc')) - mean(metricOf('made', primary, 'acc'));
      const c3 = criterion(`MADE · ${primary}: mean clean-accuracy drop vs no defense < 0.03`, drop, { atMost: 0.03 });
      criteria.push(c3);
      madePassed &&= c3.passed;
      comparisons.push(compareMethods(rows, { method: 'made', baseline: 'none', metric: 'acc', setting: primary }));
    }
    if (arms.includes('abl')) {
      // trade-off = ASR + accuracy lost vs the best clean accuracy of the two; lower is better
      const score = (m: string) => mean(metricOf(m, primary, 'asr')) - mean(metricOf(m, primary, 'acc'));
      const c4 = criterion(
        `MADE · ${primary}: (ASR − ACC) of MADE minus that of ABL < 0 (better trade-off, equal isolation)`,
        score('made') - score('abl'),
        { atMost: -1e-9 },
      );
      criteria.push(c4);
      madePassed &&= c4.passed;
      comparisons.push(compareMethods(rows, { method: 'made', baseline: 'abl', metric: 'asr', setting: primary }));
    }
  }
  const verdict = !gatesPassed ? 'inconclusive' : madePassed ? 'reproduced' : 'not-reproduced';

  // ── notes ────────────────────────────────────────────────────────────────────────────
  notes.push(
    'MADE stages 2–3 (mask objective, masked-unlearning loss, schedule) are reconstructions [R] of a paper whose method section could not be read; no official code exists. Until they are confirmed, only the gates (attack works, homophily isolates feature triggers) are hard requirements.',
  );
  for (const setting of settings) {
    const line = arms
      .filter((a) => rows.some((r) => r.method === a && r.setting === setting))
      .map(
        (a) =>
          `${a}: ACC ${mean(metricOf(a, setting, 'acc')).toFixed(3)}, ASR ${mean(metricOf(a, setting, 'asr')).toFixed(3)} (${metricOf(
            a,
            setting,
            'asr',
          )
            .map((v) => v.toFixed(2))
            .join(' ')})`,
      )
      .join('; ');
    notes.push(`${setting} trigger — ${line}.`);
    if (needsWarm) {
      const f = (k: string) => mean(metricOf('isolation', setting, k)).toFixed(2);
      notes.push(
        `${setting} trigger — isolation at ρ = ${cfg.ratio}: precision/recall loss-only ${f('precisionLoss')}/${f('recallLoss')}, homophily-only ${f('precisionHomophily')}/${f('recallHomophily')}, both ${f('precisionBoth')}/${f('recallBoth')}; homophily precision at the poison count ${f('homophilyPrecisionAtPoisonCount')}.`,
      );
    }
  }
  if (arms.includes('made')) {
    const maskMean = mean(metricOf('made', primary, 'maskMean'));
    if (maskMean > 0.9) {
      notes.push(
        `The mask generator kept almost every edge on the isolated graphs (final mean mask ${maskMean.toFixed(3)} with β_size = 0.05, β_ent = 0.1): the smallest-trigger objective did not single out the trigger, so "masked" unlearning acted as whole-graph unlearning here.`,
      );
      if (arms.includes('abl')) {
        notes.push(
          "With m ≈ 1, MADE-R reduces to ABL's joint schedule on the same warm model and isolation, so any MADE-vs-ABL difference in this run is noise, not evidence that masking helps.",
        );
      }
    }
    if (arms.includes('none')) {
      const accDrop = mean(metricOf('none', primary, 'acc')) - mean(metricOf('made', primary, 'acc'));
      if (accDrop > 0.1 && mean(metricOf('made', primary, 'asr')) < 0.2) {
        notes.push(
          `MADE-R's low ASR came with a clean-accuracy collapse (−${(100 * accDrop).toFixed(1)} points): the model drifted to the non-target class, so the low ASR is not a removed backdoor. Ascent on the falsely isolated clean graphs (isolation precision ${mean(metricOf('made', primary, 'isoPrecision')).toFixed(2)}) is the likely cause; see the oracle-isolation arm.`,
        );
      }
    }
  }
  if (arms.includes('random-drop')) {
    const rate = mean(metricOf('random-drop', primary, 'dropRate'));
    if (rate < 0.01) {
      notes.push(
        `The random-drop baseline matched MADE-R's drop rate (${rate.toFixed(3)}), i.e. it dropped almost nothing and equals ABL-joint up to sampling order; the gap between these two arms (ASR ${mean(metricOf('random-drop', primary, 'asr')).toFixed(3)} vs ${arms.includes('abl') ? mean(metricOf('abl', primary, 'asr')).toFixed(3) : 'n/a'}) measures the run-to-run noise of the unlearning stage.`,
      );
    }
  }
  if (arms.includes('made-oracle-iso') && arms.includes('made')) {
    notes.push(
      `Oracle isolation separates the stages: MADE-R with the true poisoned set reaches ASR ${mean(metricOf('made-oracle-iso', primary, 'asr')).toFixed(3)} vs ${mean(metricOf('made', primary, 'asr')).toFixed(3)} with its own isolation (${primary} trigger).`,
    );
  }
  if (verdict === 'not-reproduced') {
    notes.push(
      "The claim does not hold at this scale with the reconstruction (the spec's PyTorch prototype also stalled, at ASR ≈ 0.13–0.16, no better than ABL); the notes above say which stage failed here. Likely gaps: the paper's isolation rule, its exact mask objective and schedule (one generator step per classifier step is a guess), and whether masks are also applied at inference. λ, ρ and β were fixed in advance and not tuned.",
    );
  }
  if (verdict === 'inconclusive')
    notes.push(
      'A hard gate failed (attack or isolation signal), so the defense comparison is not meaningful on this run.',
    );
  return buildReport({
    package: '@lab/made',
    paper: PAPER,
    claim: CLAIM,
    metric: 'asr',
    preset,
    config: { preset, settings, arms, ...cfg },
    seeds,
    rows,
    comparisons,
    criteria,
    verdict,
    notes,
    command: rerunCommand(preset, options, settings, arms),
    seconds: (Date.now() - started) / 1000,
    backend: tf.getBackend(),
  });
}
