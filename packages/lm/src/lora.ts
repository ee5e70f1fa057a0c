import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Dropout,
  LabError,
  Rng,
  loadSafetensors,
  saveSafetensors,
  strictOptions,
  tf,
  writeFileAtomic,
} from '@lab/core';
import type { CausalLM } from './causal-lm.js';

/**
 * Initial A/B of a LoRA module, PEFT's `init_lora_weights`: `default` (true: A kaiming-uniform
 * U(±1/√in), B zero, so the adapter starts as the identity), `gaussian` (A normal(0, 1/r), B zero),
 * `random` (false: A and B both nn.Linear's default U(±1/√fan_in); the adapter changes the output at once).
 */
export type LoraInit = 'default' | 'gaussian' | 'random';

/** Hand-given weights of one LoRA module, in the PEFT layout: `A` `[r, in]`, `B` `[out, r]` (row-major). */
export interface LoraWeights {
  A: Float32Array | number[] | tf.Tensor;
  B: Float32Array | number[] | tf.Tensor;
}

/**
 * A LoRA configuration (Hu et al. 2021), in PEFT's terms: ΔW = (alpha / r) · B·A on every targeted linear
 * (alpha / √r with `useRslora`).
 */
export interface LoraConfig {
  /** Rank r of A `[r, in]` and B `[out, r]`. */
  r: number;
  /** `lora_alpha` (PEFT default 8): the update is scaled by alpha / r. */
  alpha?: number;
  /** `lora_dropout` on the adapter's input while the model is in training mode (`model.train()`); default 0. */
  dropout?: number;
  /**
   * PEFT `target_modules`, matched against the HF module paths (`model.layers.0.self_attn.q_proj`,
   * `transformer.h.0.attn.c_attn`): a list matches a path equal to an entry or ending in `.<entry>`; a
   * string is a regular expression the whole path must match; `'all-linear'` takes every block linear.
   */
  targetModules: readonly string[] | string;
  /** PEFT `bias`: only `'none'` (biases stay frozen and unchanged). */
  bias?: 'none';
  /** Scale by alpha / √r (rank-stabilised LoRA, PEFT `use_rslora`). Default false. */
  useRslora?: boolean;
  /** Initial weights (PEFT `init_lora_weights`); default `'default'`. */
  init?: LoraInit;
  /** Hand-given A/B by module (HF module path or short name); those modules skip `init`. */
  weights?: Readonly<Record<string, LoraWeights>>;
  /** Seed of the random initial weights. Default 0. */
  seed?: number;
}

/** `adapter_model.safetensors` tensor name of a module's A or B (PEFT: `base_model.model.<module>.lora_A.weight`). */
export function peftTensorName(modulePath: string, which: 'A' | 'B'): string {
  return `base_model.model.${modulePath}.lora_${which}.weight`;
}

interface LoraModule {
  /** Short name in the model (`layers.0.self_attn.q_proj`). */
  name: string;
  /** HF module path (`model.layers.0.self_attn.q_proj`). */
  path: string;
  /** `[r, in]` */
  A: tf.Variable;
  /** `[out, r]` */
  B: tf.Variable;
}

const LORA_DEFAULTS: Required<Omit<LoraConfig, 'weights' | 'r' | 'targetModules'>> &
  Pick<LoraConfig, 'weights' | 'r' | 'targetModules'> = {
  r: 8,
  alpha: 8,
  dropout: 0,
  targetModules: [],
  bias: 'none',
  useRslora: false,
  init: 'default',
  weights: undefined,
  seed: 0,
};

/** HF module path of every block linear of a model, by short name. */
function modulePaths(model: CausalLM): Map<string, string> {
  const byVariable = new Map<tf.Variable, string>();
  for (const [name, v] of model.params) byVariable.set(v, name);
  return new Map(
    model.linearNames().map((short) => [short, byVariable.get(model.linear(short).weight)!.replace(/\.weight$/, '')]),
  );
}

function matchesTarget(path: string, target: LoraConfig['targetModules']): boolean {
  if (target === 'all-linear') return true;
  if (typeof target === 'string') return new RegExp(`^(?:${target})$`).test(path);
  return target.some((t) => path === t || path.endsWith(`.${t}`));
}

function toTensor(value: LoraWeights['A'], shape: [number, number], what: string): tf.Tensor2D {
  const t = value instanceof tf.Tensor ? value.clone() : tf.tensor(Float32Array.from(value as ArrayLike<number>));
  if (t.size !== shape[0] * shape[1] || (value instanceof tf.Tensor && t.shape.join() !== shape.join())) {
    const got = t.shape.join(', ');
    t.dispose();
    throw new LabError('SHAPE_MISMATCH', `${what}: expected shape [${shape.join(', ')}], got [${got}]`);
  }
  const out = tf.tidy(() => tf.reshape(tf.cast(t, 'float32'), shape) as tf.Tensor2D); // [rows, cols]
  t.dispose();
  return out;
}

/**
 * LoRA adapters on a {@link CausalLM}'s named linears (PEFT `LoraModel` semantics): y = x·W + b +
 * (alpha / r) · dropout(x)·Aᵀ·Bᵀ, with A `[r, in]` and B `[out, r]` held in PEFT's layout. Injecting
 * freezes the base model, so `trainableVariables()` (or `model.trainableVariables()`) lists only A and B.
 * Build with {@link injectLora} or {@link loadLoraAdapter}; write with {@link saveLoraAdapter}.
 */
export class LoraAdapters {
  /** Scale of the update: alpha / r (alpha / √r with rsLoRA). */
  readonly scaling: number;
  private readonly modules: LoraModule[];
  private readonly drop: Dropout | null;
  private isMerged = false;
  private disposed = false;

  /** Use {@link injectLora} or {@link loadLoraAdapter}; `config` is checked there. */
  constructor(
    readonly model: CausalLM,
    readonly config: Readonly<Required<Omit<LoraConfig, 'weights'>>>,
    weights: LoraConfig['weights'] = {},
  ) {
    const { r, alpha, dropout, targetModules, init, seed, useRslora } = config;
    this.scaling = useRslora ? alpha / Math.sqrt(r) : alpha / r;
    const paths = modulePaths(model);
    if (typeof targetModules === 'string' && targetModules !== 'all-linear') {
      try {
        new RegExp(targetModules);
      } catch (err) {
        throw new LabError('INVALID_ARGUMENT', `targetModules: expected a regular expression, got '${targetModules}'`, {
          cause: err,
        });
      }
    }
    const chosen = [...paths].filter(([, path]) => matchesTarget(path, targetModules));
    if (chosen.length === 0) {
      throw new LabError(
        'NOT_FOUND',
        `targetModules: expected names of the model's linears (e.g. '${[...paths.values()][0]}'), got ${JSON.stringify(targetModules)}, which matches none`,
      );
    }
    const given = weights as Record<string, LoraWeights>;
    const known = new Set([...chosen.flatMap(([short, path]) => [short, path])]);
    const stray = Object.keys(given).filter((k) => !known.has(k));
    if (stray.length > 0)
      throw new LabError(
        'NOT_FOUND',
        `weights: expected targeted modules, got ${stray.map((s) => `'${s}'`).join(', ')} (not targeted)`,
      );
    const rng = new Rng(seed);
    this.modules = [];
    try {
      for (const [name, path] of chosen) {
        const { weight } = model.linear(name);
        const [inF, outF] = weight.shape as [number, number];
        const hand = given[path] ?? given[name];
        let a: tf.Tensor2D;
        let b: tf.Tensor2D;
        if (hand) {
          a = toTensor(hand.A, [r, inF], `weights['${path}'].A`);
          b = toTensor(hand.B, [outF, r], `weights['${path}'].B`);
        } else {
          const g = rng.fork(path);
          const uniform = (n: number, fanIn: number) => g.uniformArray(n, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
          a = tf.tensor2d(init === 'gaussian' ? g.normalArray(r * inF, 0, 1 / r) : uniform(r * inF, inF), [r, inF]);
          b = tf.tensor2d(init === 'random' ? uniform(outF * r, r) : new Float32Array(outF * r), [outF, r]);
        }
        this.modules.push({ name, path, A: tf.variable(a, true), B: tf.variable(b, true) });
        tf.dispose([a, b]);
      }
    } catch (err) {
      for (const m of this.modules) tf.dispose([m.A, m.B]);
      throw err;
    }
    this.drop = dropout > 0 ? new Dropout(dropout, { rng: rng.fork('dropout') }) : null;
    model.freeze();
    this.install();
  }

  private install(): void {
    for (const m of this.modules) {
      this.model.setAdapter(m.name, (x, y) =>
        tf.tidy(() => {
          const input = this.drop && this.model.training ? (this.drop.forward(x) as tf.Tensor2D) : x; // [N, in]
          const low = tf.matMul(input, m.A, false, true); // [N, r]
          return tf.add(y, tf.mul(tf.matMul(low, m.B, false, true), this.scaling)) as tf.Tensor2D; // [N, out]
        }),
      );
    }
  }

  private uninstall(): void {
    for (const m of this.modules) this.model.setAdapter(m.name, null);
  }

  private check(): void {
    if (this.disposed) throw new LabError('INVALID_ARGUMENT', 'LoraAdapters: used after dispose()');
  }

  /** Short names of the adapted linears (`layers.0.self_attn.q_proj`), in forward order. */
  moduleNames(): string[] {
    return this.modules.map((m) => m.name);
  }

  /** HF module paths of the adapted linears (`model.layers.0.self_attn.q_proj`), in forward order. */
  modulePaths(): string[] {
    return this.modules.map((m) => m.path);
  }

  /** A `[r, in]` and B `[out, r]` of a module, by short name or HF module path. */
  weights(name: string): { A: tf.Variable; B: tf.Variable } {
    const m = this.modules.find((x) => x.name === name || x.path === name);
    if (!m)
      throw new LabError(
        'NOT_FOUND',
        `name: expected one of the adapted modules (${this.moduleNames().join(', ')}), got '${name}'`,
      );
    return { A: m.A, B: m.B };
  }

  /** The trainable LoRA parameters by their `adapter_model.safetensors` names (`base_model.model.<module>.lora_A.weight`, …). */
  namedParameters(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const m of this.modules) {
      out.set(peftTensorName(m.path, 'A'), m.A);
      out.set(peftTensorName(m.path, 'B'), m.B);
    }
    return out;
  }

  /** A and B of every module, for `optimizer.minimize(f, false, lora.trainableVariables())`. */
  trainableVariables(): tf.Variable[] {
    return [...this.namedParameters().values()];
  }

  /** PEFT's `print_trainable_parameters`: LoRA parameters, all parameters (base + LoRA) and the trainable share in %. */
  parameterCounts(): { trainable: number; total: number; percent: number } {
    const trainable = this.trainableVariables().reduce((n, v) => n + v.size, 0);
    const total = this.model.numParameters() + trainable;
    return { trainable, total, percent: (100 * trainable) / total };
  }

  /** Whether the updates are folded into the base weights. */
  get merged(): boolean {
    return this.isMerged;
  }

  /** Folds every update into its base weight, W += scaling · (B·A)ᵀ (`[in, out]`), and stops applying the adapters. */
  merge(): void {
    this.check();
    if (this.isMerged) return;
    this.foldInto(+1);
    this.uninstall();
    this.isMerged = true;
  }

  /** Undoes {@link merge} (W −= scaling · (B·A)ᵀ, exact up to float32 rounding) and applies the adapters again. */
  unmerge(): void {
    this.check();
    if (!this.isMerged) return;
    this.foldInto(-1);
    this.install();
    this.isMerged = false;
  }

  private foldInto(sign: 1 | -1): void {
    for (const m of this.modules) {
      const { weight } = this.model.linear(m.name);
      tf.tidy(() => {
        const delta = tf.matMul(m.A, m.B, true, true); // [in, out] = Aᵀ·Bᵀ
        weight.assign(tf.add(weight, tf.mul(delta, sign * this.scaling)));
      });
    }
  }

  /**
   * Removes the adapters from the model and frees A and B. Merged weights stay merged (PEFT
   * `merge_and_unload`); unmerged, the base model is unchanged (`unload`). The base stays frozen.
   */
  dispose(): void {
    if (this.disposed) return;
    if (!this.isMerged) this.uninstall();
    for (const m of this.modules) tf.dispose([m.A, m.B]);
    this.drop?.dispose();
    this.disposed = true;
  }
}

function checkLoraConfig(
  config: LoraConfig,
  where: string,
): Required<Omit<LoraConfig, 'weights'>> & Pick<LoraConfig, 'weights'> {
  if (config === null || typeof config !== 'object' || config.r === undefined || config.targetModules === undefined)
    throw new LabError(
      'INVALID_ARGUMENT',
      `${where}: expected an object with r and targetModules, got ${JSON.stringify(config)}`,
    );
  const t = config.targetModules;
  if (!(typeof t === 'string' || (Array.isArray(t) && t.every((x) => typeof x === 'string'))))
    throw new LabError(
      'INVALID_ARGUMENT',
      `targetModules: expected a list of names or a regular expression, got ${JSON.stringify(t)}`,
    );
  const { targetModules, ...rest } = config;
  const checked = strictOptions({ ...rest, targetModules: [] }, LORA_DEFAULTS, where, {
    r: { min: 1, integer: true },
    alpha: { min: 0, minExclusive: true },
    dropout: { min: 0, max: 1, maxExclusive: true },
    bias: ['none'],
    init: ['default', 'gaussian', 'random'],
    seed: { integer: true },
  });
  return { ...checked, targetModules } as Required<Omit<LoraConfig, 'weights'>> & Pick<LoraConfig, 'weights'>;
}

/**
 * Injects LoRA adapters into a model's targeted linears (PEFT `get_peft_model`) and freezes the base.
 * Only block linears can be targeted (not the embedding or the head).
 *
 * @example
 * const lora = injectLora(model, { r: 4, alpha: 8, targetModules: ['q_proj', 'v_proj'] });
 * optimizer.minimize(loss, false, lora.trainableVariables());
 */
export function injectLora(model: CausalLM, config: LoraConfig): LoraAdapters {
  const { weights, ...checked } = checkLoraConfig(config, 'injectLora config');
  return new LoraAdapters(model, checked, weights);
}

/** Options of {@link saveLoraAdapter}. */
export interface SaveLoraAdapterOptions {
  /** `base_model_name_or_path` of `adapter_config.json` (the HF repo id of the base model); default null. */
  baseModelNameOrPath?: string | null;
}

/**
 * Writes adapters in PEFT's format: `adapter_config.json` (peft_type LORA, task_type CAUSAL_LM, r,
 * lora_alpha, lora_dropout, target_modules, bias, fan_in_fan_out — true for GPT-2's Conv1D, …) and
 * `adapter_model.safetensors` with `base_model.model.<module>.lora_A.weight` `[r, in]` and
 * `lora_B.weight` `[out, r]` (F32), which PEFT's `PeftModel.from_pretrained` reads. Writes the
 * unmerged A and B whether or not they are merged.
 */
export function saveLoraAdapter(lora: LoraAdapters, dir: string, options: SaveLoraAdapterOptions = {}): void {
  const { baseModelNameOrPath } = strictOptions<SaveLoraAdapterOptions>(
    options,
    { baseModelNameOrPath: undefined },
    'saveLoraAdapter options',
  );
  const c = lora.config;
  const initLoraWeights = { default: true, gaussian: 'gaussian', random: false }[c.init];
  const adapterConfig = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModelNameOrPath ?? null,
    bias: c.bias,
    fan_in_fan_out: lora.model.config.architecture === 'gpt2',
    inference_mode: true,
    init_lora_weights: initLoraWeights,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: c.r,
    rank_pattern: {},
    revision: null,
    target_modules: typeof c.targetModules === 'string' ? c.targetModules : [...c.targetModules],
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: c.useRslora,
  };
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'adapter_config.json'), `${JSON.stringify(adapterConfig, null, 2)}\n`);
  saveSafetensors(join(dir, 'adapter_model.safetensors'), Object.fromEntries(lora.namedParameters()), { format: 'pt' });
}

/** PEFT `adapter_config.json` keys whose non-default values this loader cannot honour, with those defaults. */
const PEFT_UNSUPPORTED: [string, (v: unknown) => boolean, string][] = [
  ['use_dora', (v) => v === undefined || v === null || v === false, 'false'],
  ['lora_bias', (v) => v === undefined || v === null || v === false, 'false'],
  [
    'rank_pattern',
    (v) => v === undefined || v === null || (typeof v === 'object' && Object.keys(v).length === 0),
    '{}',
  ],
  [
    'alpha_pattern',
    (v) => v === undefined || v === null || (typeof v === 'object' && Object.keys(v).length === 0),
    '{}',
  ],
  ['layers_to_transform', (v) => v === undefined || v === null, 'null'],
  ['modules_to_save', (v) => v === undefined || v === null || (Array.isArray(v) && v.length === 0), 'null'],
  ['bias', (v) => v === undefined || v === 'none', "'none'"],
  ['task_type', (v) => v === undefined || v === null || v === 'CAUSAL_LM', "'CAUSAL_LM'"],
];

/**
 * Reads a PEFT LoRA adapter folder (`adapter_config.json` + `adapter_model.safetensors`, as PEFT's
 * `save_pretrained` writes it) onto a model and returns the injected adapters. Refuses, naming the key,
 * what it cannot honour (DoRA, rank/alpha patterns, `layers_to_transform`, `modules_to_save`, biases,
 * other task types) and a file whose tensors do not match the targeted modules.
 */
export function loadLoraAdapter(model: CausalLM, dir: string): LoraAdapters {
  const configPath = join(dir, 'adapter_config.json');
  const filePath = join(dir, 'adapter_model.safetensors');
  for (const p of [configPath, filePath])
    if (!existsSync(p)) throw new LabError('NOT_FOUND', `loadLoraAdapter: expected '${p}', got no such file`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new LabError(
      'MALFORMED_FILE',
      `loadLoraAdapter: '${configPath}' is not valid JSON (${(err as Error).message})`,
    );
  }
  if (json.peft_type !== 'LORA')
    throw new LabError(
      'UNSUPPORTED',
      `adapter_config.json: peft_type: expected 'LORA', got ${JSON.stringify(json.peft_type)}`,
    );
  for (const [key, ok, want] of PEFT_UNSUPPORTED)
    if (!ok(json[key]))
      throw new LabError(
        'UNSUPPORTED',
        `adapter_config.json: ${key}: expected ${want}, got ${JSON.stringify(json[key])}`,
      );
  const { tensors } = loadSafetensors(filePath);
  try {
    const targetModules = json.target_modules as LoraConfig['targetModules'];
    const config = checkLoraConfig(
      {
        r: json.r as number,
        alpha: (json.lora_alpha as number | undefined) ?? 8,
        dropout: (json.lora_dropout as number | undefined) ?? 0,
        targetModules,
        useRslora: json.use_rslora === true,
      },
      'adapter_config.json',
    );
    const paths = [...modulePaths(model).values()].filter((p) => matchesTarget(p, targetModules));
    const expected = new Set(paths.flatMap((p) => [peftTensorName(p, 'A'), peftTensorName(p, 'B')]));
    const names = Object.keys(tensors);
    const extra = names.filter((n) => !expected.has(n));
    const missing = [...expected].filter((n) => !(n in tensors));
    if (extra.length > 0 || missing.length > 0)
      throw new LabError(
        'MALFORMED_FILE',
        `adapter_model.safetensors: expected the lora_A/lora_B of the ${paths.length} targeted modules, got ${[
          missing.length ? `missing ${missing.slice(0, 4).join(', ')}` : '',
          extra.length ? `extra ${extra.slice(0, 4).join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; ')}`,
      );
    const weights = Object.fromEntries(
      paths.map((p) => [p, { A: tensors[peftTensorName(p, 'A')]!, B: tensors[peftTensorName(p, 'B')]! }]),
    );
    const { weights: _none, ...rest } = config;
    return new LoraAdapters(model, rest, weights);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
