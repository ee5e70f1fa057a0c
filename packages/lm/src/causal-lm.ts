import { tf } from '@lab/core';
import { LabError, assertInRange } from '@lab/core';
import { Rng } from '@lab/core';
import { Module } from '@lab/core';
import { causalAttention } from './attention.js';
import { type CausalLMConfig, validateConfig } from './config.js';
import { applyRope, ropeCosSin, ropeFrequencies } from './rope.js';

/**
 * A linear layer's parameters inside a {@link CausalLM}. `weight` is stored `[in, out]` (so
 * `y = x·W + b` needs no transpose); Hugging Face LLaMA checkpoints store `[out, in]` and are
 * transposed on load and save. GPT-2's Conv1D weights are already `[in, out]`.
 */
export interface LinearParams {
  weight: tf.Variable;
  bias: tf.Variable | null;
}

/**
 * Replaces or augments a named linear layer (LoRA-style adapters): receives the layer input `[N, in]`
 * and the frozen layer's output `[N, out]`, returns the output to use `[N, out]`.
 */
export type LinearAdapter = (input: tf.Tensor2D, baseOutput: tf.Tensor2D, name: string) => tf.Tensor2D;

/** Per-layer key/value cache for incremental decoding; owned by the caller (call `dispose()`). */
export class KVCache {
  /** `keys[l]`, `values[l]`: `[B, Hkv, S, D]`, already rotated (RoPE). */
  keys: (tf.Tensor4D | null)[];
  values: (tf.Tensor4D | null)[];
  /** Number of cached positions S. */
  length = 0;

  constructor(numLayers: number) {
    this.keys = new Array<tf.Tensor4D | null>(numLayers).fill(null);
    this.values = new Array<tf.Tensor4D | null>(numLayers).fill(null);
  }

  /** A copy that can be extended independently (e.g. one shared prompt prefix, many continuations). */
  clone(): KVCache {
    const c = new KVCache(this.keys.length);
    c.keys = this.keys.map((t) => (t ? tf.keep(t.clone()) : null));
    c.values = this.values.map((t) => (t ? tf.keep(t.clone()) : null));
    c.length = this.length;
    return c;
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(null);
    this.values.fill(null);
    this.length = 0;
  }
}

/** Input and switches of {@link CausalLM.forward}. */
export interface CausalLMForwardInput {
  /** Token ids: `[T]` (batch 1) or `[B, T]` int32. Exactly one of `ids` / `inputEmbeds`. */
  ids?: Int32Array | number[] | tf.Tensor1D | tf.Tensor2D;
  /** Input embeddings `[B, T, hidden]`, e.g. one-hot `[B, T, V]` · embedding matrix, so gradients reach token choices. */
  inputEmbeds?: tf.Tensor3D;
  /** Post-softmax attention of these layers is returned: `'all'`, `'last'` or layer indices. */
  returnAttention?: 'all' | 'last' | number[];
  /** Attention window override for this call (tier-2 zoos); default `config.slidingWindow`. */
  attentionWindow?: number | null;
  /** Query block size of the attention (memory ∝ queryChunk · S per head). Default 256. */
  queryChunk?: number;
  /** Reads and extends this cache: positions continue from `cache.length`. */
  cache?: KVCache;
  /** With a cache: read it but leave it unchanged (score many continuations of one prefix). Default true. */
  updateCache?: boolean;
  /** Called with every named linear layer's input `[N, in]` (calibration statistics, e.g. SaLoRA). */
  onLinearInput?: (name: string, input: tf.Tensor2D) => void;
  /** Compute logits (default true); false returns only the final hidden states. */
  logits?: boolean;
}

/** Output of {@link CausalLM.forward}; tensors belong to the caller. */
export interface CausalLMForwardOutput {
  /** `[B, T, V]` (absent with `logits: false`). */
  logits?: tf.Tensor3D;
  /** Final-norm hidden states `[B, T, hidden]`. */
  hidden: tf.Tensor3D;
  /** Layer index → post-softmax attention `[B, H, T, S]` for the requested layers. */
  attentions: Map<number, tf.Tensor4D>;
}

/** Options of {@link CausalLM.random}. */
export interface RandomInitOptions {
  seed?: number;
  /** Standard deviation of the normal initialiser (HF `initializer_range`, 0.02). */
  initStd?: number;
}

/**
 * A decoder-only language model in the Hugging Face layouts: the LLaMA family (Touvron et al. 2023:
 * pre-RMSNorm, RoPE, SwiGLU, optional grouped-query attention and q/k/v bias as in Qwen2, tied or
 * untied head) and GPT-2 (Radford et al. 2019: learned positions, pre-LayerNorm, GELU-tanh MLP).
 *
 * Parameters are `tf.Variable`s keyed by their Hugging Face tensor names (`model.layers.0.self_attn.q_proj.weight`,
 * `transformer.h.0.attn.c_attn.weight`); linear weights are held `[in, out]`. Linear layers are also
 * addressable by short names (`layers.{i}.self_attn.q_proj`, `layers.{i}.mlp.down_proj`, GPT-2
 * `layers.{i}.attn.c_attn`) for adapters and input capture.
 *
 * @example
 * const model = CausalLM.random(llamaConfig({ vocabSize: 64, hiddenSize: 32, numLayers: 2, numHeads: 4 }), { seed: 0 });
 * const { logits, attentions } = model.forward({ ids: [1, 2, 3], returnAttention: 'last' });
 */
export class CausalLM extends Module {
  readonly config: CausalLMConfig;
  /** Every parameter by Hugging Face tensor name (the same variables as `namedParameters()`). */
  readonly params: Map<string, tf.Variable>;
  private readonly adapters = new Map<string, LinearAdapter>();

  /**
   * Builds a model from parameters keyed by HF tensor name (linear weights `[in, out]`). Takes
   * ownership of the tensors (they are wrapped into the module's variables and disposed); on a
   * missing or mis-shaped parameter it throws before taking anything.
   */
  constructor(config: CausalLMConfig, params: Map<string, tf.Tensor>) {
    super();
    this.config = validateConfig(config);
    const expected = expectedParameterShapes(config);
    const missing = expected.filter(([name]) => !params.has(name));
    if (missing.length > 0) {
      throw new LabError(
        'NOT_FOUND',
        `CausalLM: missing parameter${missing.length > 1 ? 's' : ''} ${missing
          .slice(0, 5)
          .map(([n]) => `'${n}'`)
          .join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
      );
    }
    for (const [name, shape] of expected) {
      const got = params.get(name)!.shape;
      if (got.join() !== shape.join()) {
        throw new LabError(
          'SHAPE_MISMATCH',
          `CausalLM: parameter '${name}' expected shape [${shape.join(', ')}], got [${got.join(', ')}]`,
        );
      }
    }
    // Mirror the HF name tree with submodules, so Module's namedParameters / stateDict / freeze see HF names.
    const nodes = new Map<string, ParameterTree>();
    const nodeAt = (path: string[]): Module => {
      if (path.length === 0) return this;
      const key = path.join('.');
      let node = nodes.get(key);
      if (!node) {
        node = new ParameterTree();
        const parent = nodeAt(path.slice(0, -1));
        (parent as unknown as { addModule(n: string, m: Module): Module }).addModule(path[path.length - 1]!, node);
        nodes.set(key, node);
      }
      return node;
    };
    for (const [name] of expected) {
      const parts = name.split('.');
      const owner = nodeAt(parts.slice(0, -1));
      (owner as unknown as { addParameter(n: string, t: tf.Tensor): tf.Variable }).addParameter(
        parts[parts.length - 1]!,
        params.get(name)!,
      );
    }
    for (const [name, t] of params) if (!expected.some(([n]) => n === name)) t.dispose(); // unused extras
    this.params = new Map(Object.entries(this.namedParameters()));
  }

  /** A model with seeded random weights (normal(0, initStd), norms 1, biases 0; GPT-2 output projections scaled by 1/√(2L)). */
  static random(config: CausalLMConfig, options: RandomInitOptions = {}): CausalLM {
    validateConfig(config);
    const { seed = 0, initStd = 0.02 } = options;
    const rng = new Rng(seed);
    const params = new Map<string, tf.Tensor>();
    for (const [name, shape] of expectedParameterShapes(config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      let data: Float32Array;
      if (/(norm|ln_\d|ln_f)\.weight$/.test(name)) data = new Float32Array(size).fill(1);
      else if (name.endsWith('.bias')) data = new Float32Array(size);
      else {
        const residualOut = config.architecture === 'gpt2' && /c_proj\.weight$/.test(name);
        data = rng.fork(name).normalArray(size, 0, residualOut ? initStd / Math.sqrt(2 * config.numLayers) : initStd);
      }
      params.set(name, tf.tensor(data, shape, 'float32'));
    }
    return new CausalLM(config, params);
  }

  /** Short names of every linear layer, in forward order. */
  linearNames(): string[] {
    const names: string[] = [];
    for (let i = 0; i < this.config.numLayers; i++) {
      if (this.config.architecture === 'llama') {
        for (const p of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) names.push(`layers.${i}.self_attn.${p}`);
        for (const p of ['gate_proj', 'up_proj', 'down_proj']) names.push(`layers.${i}.mlp.${p}`);
      } else {
        names.push(
          `layers.${i}.attn.c_attn`,
          `layers.${i}.attn.c_proj`,
          `layers.${i}.mlp.c_fc`,
          `layers.${i}.mlp.c_proj`,
        );
      }
    }
    return names;
  }

  /** The parameters of a linear layer by short name (`layers.0.self_attn.q_proj`, or `lm_head` when untied). */
  linear(name: string): LinearParams {
    const prefix = linearPrefix(this.config, name);
    const weight = this.params.get(`${prefix}.weight`);
    if (!weight) {
      throw new LabError(
        'NOT_FOUND',
        `linear: no layer named '${name}' (expected one of linearNames(), e.g. '${this.linearNames()[0]}')`,
      );
    }
    return { weight, bias: this.params.get(`${prefix}.bias`) ?? null };
  }

  /** Installs (or with `null` removes) an adapter on a named linear layer. */
  setAdapter(name: string, adapter: LinearAdapter | null): void {
    this.linear(name); // validates the name
    if (adapter) this.adapters.set(name, adapter);
    else this.adapters.delete(name);
  }

  /** The trainable parameters as a list (`optimizer.minimize(f, false, model.trainableVariables())`); frozen ones are left out. */
  trainableVariables(): tf.Variable[] {
    return this.parameters({ trainableOnly: true });
  }

  /** The token-embedding matrix `[V, hidden]`. */
  embeddingMatrix(): tf.Variable {
    return this.params.get(
      this.config.architecture === 'llama' ? 'model.embed_tokens.weight' : 'transformer.wte.weight',
    )!;
  }

  /**
   * Token embeddings `[B, T, hidden]`. Uses `gather`, or a one-hot product when the backend lacks the
   * kernel gather's gradient needs (`UnsortedSegmentSum`, missing on stock WASM) and the vocabulary is small.
   */
  embed(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      const table = this.embeddingMatrix();
      const useOneHot =
        tf.getKernel('UnsortedSegmentSum', tf.getBackend()) === undefined && this.config.vocabSize <= 4096;
      const flat = tf.reshape(ids, [B * T]) as tf.Tensor1D;
      const rows = useOneHot ? tf.matMul(tf.oneHot(flat, this.config.vocabSize), table) : tf.gather(table, flat);
      return tf.reshape(rows, [B, T, this.config.hiddenSize]) as tf.Tensor3D;
    });
  }

  /** Projects final hidden states `[N, hidden]` to logits `[N, V]` (tied or untied head). */
  head(hidden: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      if (this.config.tieWordEmbeddings) return tf.matMul(hidden, this.embeddingMatrix(), false, true);
      return tf.matMul(hidden, this.params.get('lm_head.weight')!);
    });
  }

  /**
   * One forward pass. Returns the logits `[B, T, V]`, the final hidden states and the requested
   * attention probabilities. With `cache`, positions start at `cache.length` and the cache grows by T.
   */
  forward(input: CausalLMForwardInput): CausalLMForwardOutput {
    const cfg = this.config;
    const { cache, updateCache = true, onLinearInput, queryChunk = 256 } = input;
    const window = input.attentionWindow === undefined ? cfg.slidingWindow : input.attentionWindow;
    if ((input.ids === undefined) === (input.inputEmbeds === undefined)) {
      throw new LabError('INVALID_ARGUMENT', 'forward: expected exactly one of ids or inputEmbeds');
    }
    const wantAttention = attentionLayers(input.returnAttention, cfg.numLayers);
    const past = cache?.length ?? 0;
    const newKeys: tf.Tensor4D[] = [];
    const newValues: tf.Tensor4D[] = [];

    const result = tf.tidy(() => {
      let x: tf.Tensor3D;
      if (input.inputEmbeds) {
        const e = input.inputEmbeds;
        if (e.rank !== 3 || e.shape[2] !== cfg.hiddenSize) {
          throw new LabError(
            'SHAPE_MISMATCH',
            `inputEmbeds: expected [B, T, ${cfg.hiddenSize}], got [${e.shape.join(', ')}]`,
          );
        }
        x = e;
      } else {
        x = this.embed(toIds2d(input.ids!, cfg.vocabSize));
      }
      const [B, T] = x.shape;
      if (T < 1) throw new LabError('EMPTY_INPUT', 'forward: expected at least one token, got 0');
      if (cfg.architecture === 'gpt2') {
        if (past + T > cfg.maxPositionEmbeddings) {
          throw new LabError(
            'OUT_OF_RANGE',
            `forward: GPT-2 has ${cfg.maxPositionEmbeddings} positions, got ${past + T}`,
          );
        }
        const wpe = this.params.get('transformer.wpe.weight')!;
        x = tf.add(x, tf.slice(wpe, [past, 0], [T, cfg.hiddenSize])); // slice (not gather): has a gradient everywhere
      }
      let rope: { cos: tf.Tensor2D; sin: tf.Tensor2D } | null = null;
      if (cfg.architecture === 'llama') {
        const freqs = ropeFrequencies(cfg.headDim, cfg.ropeTheta, cfg.ropeScaling, past + T, cfg.maxPositionEmbeddings);
        rope = ropeCosSin(
          Int32Array.from({ length: T }, (_, t) => past + t),
          freqs,
        );
      }
      const attentions = new Map<number, tf.Tensor4D>();
      for (let l = 0; l < cfg.numLayers; l++) {
        const layer = tf.tidy(() => {
          const ctx = this.layerForward(l, x, B, T, rope, {
            cache,
            window,
            queryChunk,
            returnProbs: wantAttention.has(l),
            onLinearInput,
          });
          if (cache && updateCache) {
            newKeys[l] = tf.keep(ctx.kAll);
            newValues[l] = tf.keep(ctx.vAll);
          }
          return { x: ctx.x, probs: ctx.probs };
        });
        x = layer.x as tf.Tensor3D;
        if (layer.probs) attentions.set(l, layer.probs as tf.Tensor4D);
      }
      const hidden = this.finalNorm(x);
      const out: { hidden: tf.Tensor3D; logits?: tf.Tensor3D; attentions: Map<number, tf.Tensor4D> } = {
        hidden,
        attentions,
      };
      if (input.logits !== false) {
        const flat = tf.reshape(hidden, [B * T, cfg.hiddenSize]) as tf.Tensor2D;
        out.logits = tf.reshape(this.head(flat), [B, T, cfg.vocabSize]) as tf.Tensor3D;
      }
      return {
        hidden: out.hidden,
        logits: out.logits,
        attentions: [...attentions.entries()].map(([l, p]) => ({ l, p })),
      };
    });

    if (cache && updateCache) {
      cache.dispose();
      cache.keys = newKeys;
      cache.values = newValues;
      cache.length = past + result.hidden.shape[1];
    }
    const attentions = new Map<number, tf.Tensor4D>();
    for (const { l, p } of result.attentions as { l: number; p: tf.Tensor4D }[]) attentions.set(l, p);
    const out: CausalLMForwardOutput = { hidden: result.hidden as tf.Tensor3D, attentions };
    if (result.logits) out.logits = result.logits as tf.Tensor3D;
    return out;
  }

  /** Frees every parameter. */
  dispose(): void {
    super.dispose();
    this.params.clear();
  }

  /** x·W + b of a named linear layer, then its adapter, if any. */
  private applyLinear(
    name: string,
    x: tf.Tensor2D,
    onLinearInput?: (name: string, input: tf.Tensor2D) => void,
  ): tf.Tensor2D {
    onLinearInput?.(name, x);
    const { weight, bias } = this.linear(name);
    let y: tf.Tensor2D = tf.matMul(x, weight);
    if (bias) y = tf.add(y, bias);
    const adapter = this.adapters.get(name);
    return adapter ? adapter(x, y, name) : y;
  }

  private finalNorm(x: tf.Tensor3D): tf.Tensor3D {
    if (this.config.architecture === 'llama')
      return rmsNorm(x, this.params.get('model.norm.weight')!, this.config.normEps);
    return layerNorm(
      x,
      this.params.get('transformer.ln_f.weight')!,
      this.params.get('transformer.ln_f.bias')!,
      this.config.normEps,
    );
  }

  private layerForward(
    l: number,
    x: tf.Tensor3D,
    B: number,
    T: number,
    rope: { cos: tf.Tensor2D; sin: tf.Tensor2D } | null,
    opts: {
      cache?: KVCache;
      window: number | null;
      queryChunk: number;
      returnProbs: boolean;
      onLinearInput?: (name: string, input: tf.Tensor2D) => void;
    },
  ): { x: tf.Tensor3D; probs?: tf.Tensor4D; kAll: tf.Tensor4D; vAll: tf.Tensor4D } {
    const cfg = this.config;
    const { hiddenSize: Hd, numHeads: nh, numKvHeads: nkv, headDim: hd } = cfg;
    const p = (name: string) => this.params.get(name)!;
    const lin = (name: string, input: tf.Tensor2D) => this.applyLinear(name, input, opts.onLinearInput);
    const heads = (t: tf.Tensor2D, n: number) =>
      tf.transpose(tf.reshape(t, [B, T, n, hd]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, n, T, hd]

    let q: tf.Tensor4D;
    let k: tf.Tensor4D;
    let v: tf.Tensor4D;
    let h: tf.Tensor2D;
    const pre = cfg.architecture === 'llama' ? `model.layers.${l}` : `transformer.h.${l}`;
    if (cfg.architecture === 'llama') {
      h = tf.reshape(rmsNorm(x, p(`${pre}.input_layernorm.weight`), cfg.normEps), [B * T, Hd]) as tf.Tensor2D;
      q = heads(lin(`layers.${l}.self_attn.q_proj`, h), nh);
      k = heads(lin(`layers.${l}.self_attn.k_proj`, h), nkv);
      v = heads(lin(`layers.${l}.self_attn.v_proj`, h), nkv);
      q = applyRope(q, rope!.cos, rope!.sin);
      k = applyRope(k, rope!.cos, rope!.sin);
    } else {
      h = tf.reshape(layerNorm(x, p(`${pre}.ln_1.weight`), p(`${pre}.ln_1.bias`), cfg.normEps), [
        B * T,
        Hd,
      ]) as tf.Tensor2D;
      const qkv = lin(`layers.${l}.attn.c_attn`, h); // [BT, 3·Hd]
      const [qs, ks, vs] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      q = heads(qs, nh);
      k = heads(ks, nkv);
      v = heads(vs, nkv);
    }
    let kAll = k;
    let vAll = v;
    const cached = opts.cache;
    if (cached && cached.length > 0) {
      let ck = cached.keys[l]!;
      let cv = cached.values[l]!;
      if (ck.shape[0] !== B) {
        if (ck.shape[0] !== 1)
          throw new LabError('SHAPE_MISMATCH', `cache: batch ${ck.shape[0]} does not match input batch ${B}`);
        ck = tf.tile(ck, [B, 1, 1, 1]); // one shared prefix, B continuations
        cv = tf.tile(cv, [B, 1, 1, 1]);
      }
      kAll = tf.concat([ck, k], 2) as tf.Tensor4D;
      vAll = tf.concat([cv, v], 2) as tf.Tensor4D;
    }
    const att = causalAttention(q, kAll, vAll, {
      queryChunk: opts.queryChunk,
      window: opts.window,
      returnProbs: opts.returnProbs,
    });
    const merged = tf.reshape(tf.transpose(att.output, [0, 2, 1, 3]), [B * T, nh * hd]) as tf.Tensor2D; // [BT, nh·hd]
    const attnOut = lin(
      cfg.architecture === 'llama' ? `layers.${l}.self_attn.o_proj` : `layers.${l}.attn.c_proj`,
      merged,
    );
    let y = tf.add(x, tf.reshape(attnOut, [B, T, Hd])) as tf.Tensor3D;
    let mlp: tf.Tensor2D;
    if (cfg.architecture === 'llama') {
      const h2 = tf.reshape(rmsNorm(y, p(`${pre}.post_attention_layernorm.weight`), cfg.normEps), [
        B * T,
        Hd,
      ]) as tf.Tensor2D;
      const gate = lin(`layers.${l}.mlp.gate_proj`, h2);
      const up = lin(`layers.${l}.mlp.up_proj`, h2);
      mlp = lin(`layers.${l}.mlp.down_proj`, tf.mul(silu(gate), up));
    } else {
      const h2 = tf.reshape(layerNorm(y, p(`${pre}.ln_2.weight`), p(`${pre}.ln_2.bias`), cfg.normEps), [
        B * T,
        Hd,
      ]) as tf.Tensor2D;
      mlp = lin(`layers.${l}.mlp.c_proj`, geluNew(lin(`layers.${l}.mlp.c_fc`, h2)));
    }
    y = tf.add(y, tf.reshape(mlp, [B, T, Hd])) as tf.Tensor3D;
    const out: { x: tf.Tensor3D; probs?: tf.Tensor4D; kAll: tf.Tensor4D; vAll: tf.Tensor4D } = { x: y, kAll, vAll };
    if (att.probs) out.probs = att.probs;
    return out;
  }
}

/** One node of the parameter-name tree (e.g. `model.layers.0.self_attn`); holds parameters and children. */
class ParameterTree extends Module {}

/** RMSNorm (Zhang & Sennrich 2019): x / √(mean(x²) + ε) · w over the last axis. */
export function rmsNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor, eps: number): T {
  return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), weight)) as T;
}

/** LayerNorm (Ba et al. 2016) over the last axis with biased variance, as in PyTorch. */
export function layerNorm<T extends tf.Tensor>(x: T, weight: tf.Tensor, bias: tf.Tensor, eps: number): T {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), weight), bias);
  }) as T;
}

/** SiLU x·σ(x) (the SwiGLU gate activation). */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x))) as T;
}

/** GPT-2's tanh GELU ("gelu_new"): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), written from primitives. */
export function geluNew<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  }) as T;
}

/** Parameter names and shapes (weights of linears `[in, out]`) for a configuration, in checkpoint order. */
export function expectedParameterShapes(config: CausalLMConfig): [string, number[]][] {
  const {
    hiddenSize: H,
    numHeads: nh,
    numKvHeads: nkv,
    headDim: hd,
    intermediateSize: I,
    vocabSize: V,
    numLayers: L,
  } = config;
  const out: [string, number[]][] = [];
  if (config.architecture === 'llama') {
    out.push(['model.embed_tokens.weight', [V, H]]);
    for (let l = 0; l < L; l++) {
      const pre = `model.layers.${l}`;
      out.push([`${pre}.input_layernorm.weight`, [H]]);
      out.push([`${pre}.self_attn.q_proj.weight`, [H, nh * hd]]);
      out.push([`${pre}.self_attn.k_proj.weight`, [H, nkv * hd]]);
      out.push([`${pre}.self_attn.v_proj.weight`, [H, nkv * hd]]);
      if (config.attentionBias) {
        out.push([`${pre}.self_attn.q_proj.bias`, [nh * hd]]);
        out.push([`${pre}.self_attn.k_proj.bias`, [nkv * hd]]);
        out.push([`${pre}.self_attn.v_proj.bias`, [nkv * hd]]);
      }
      out.push([`${pre}.self_attn.o_proj.weight`, [nh * hd, H]]);
      out.push([`${pre}.post_attention_layernorm.weight`, [H]]);
      out.push([`${pre}.mlp.gate_proj.weight`, [H, I]]);
      out.push([`${pre}.mlp.up_proj.weight`, [H, I]]);
      out.push([`${pre}.mlp.down_proj.weight`, [I, H]]);
    }
    out.push(['model.norm.weight', [H]]);
    if (!config.tieWordEmbeddings) out.push(['lm_head.weight', [H, V]]);
  } else {
    out.push(['transformer.wte.weight', [V, H]]);
    out.push(['transformer.wpe.weight', [config.maxPositionEmbeddings, H]]);
    for (let l = 0; l < L; l++) {
      const pre = `transformer.h.${l}`;
      out.push([`${pre}.ln_1.weight`, [H]], [`${pre}.ln_1.bias`, [H]]);
      out.push([`${pre}.attn.c_attn.weight`, [H, 3 * H]], [`${pre}.attn.c_attn.bias`, [3 * H]]);
      out.push([`${pre}.attn.c_proj.weight`, [H, H]], [`${pre}.attn.c_proj.bias`, [H]]);
      out.push([`${pre}.ln_2.weight`, [H]], [`${pre}.ln_2.bias`, [H]]);
      out.push([`${pre}.mlp.c_fc.weight`, [H, I]], [`${pre}.mlp.c_fc.bias`, [I]]);
      out.push([`${pre}.mlp.c_proj.weight`, [I, H]], [`${pre}.mlp.c_proj.bias`, [H]]);
    }
    out.push(['transformer.ln_f.weight', [H]], ['transformer.ln_f.bias', [H]]);
    if (!config.tieWordEmbeddings) out.push(['lm_head.weight', [H, V]]);
  }
  return out;
}

/** Whether a parameter is a linear weight stored `[out, in]` in Hugging Face LLaMA checkpoints (transposed here). */
export function isTransposedInCheckpoint(config: CausalLMConfig, name: string): boolean {
  if (name === 'lm_head.weight') return true;
  return config.architecture === 'llama' && /_proj\.weight$/.test(name);
}

function linearPrefix(config: CausalLMConfig, name: string): string {
  if (name === 'lm_head') return 'lm_head';
  const m = /^layers\.(\d+)\.(.+)$/.exec(name);
  if (!m) return `?${name}`;
  return config.architecture === 'llama' ? `model.layers.${m[1]}.${m[2]}` : `transformer.h.${m[1]}.${m[2]}`;
}

function attentionLayers(spec: CausalLMForwardInput['returnAttention'], numLayers: number): Set<number> {
  if (spec === undefined) return new Set();
  if (spec === 'all') return new Set(Array.from({ length: numLayers }, (_, i) => i));
  if (spec === 'last') return new Set([numLayers - 1]);
  for (const l of spec) {
    if (!Number.isInteger(l) || l < -numLayers || l >= numLayers) {
      throw new LabError('OUT_OF_RANGE', `returnAttention: layer ${l} outside [0, ${numLayers - 1}]`);
    }
  }
  return new Set(spec.map((l) => (l < 0 ? numLayers + l : l)));
}

/** Normalises ids to an int32 `[B, T]` tensor and checks they index the vocabulary. */
export function toIds2d(ids: Int32Array | number[] | tf.Tensor1D | tf.Tensor2D, vocabSize: number): tf.Tensor2D {
  if (ids instanceof tf.Tensor) {
    if (ids.dtype !== 'int32') throw new LabError('DTYPE_MISMATCH', `ids: expected an int32 tensor, got ${ids.dtype}`);
    if (ids.rank !== 1 && ids.rank !== 2)
      throw new LabError('SHAPE_MISMATCH', `ids: expected [T] or [B, T], got [${ids.shape.join(', ')}]`);
    checkIdRange(ids.dataSync(), vocabSize);
    return (ids.rank === 1 ? tf.expandDims(ids, 0) : ids) as tf.Tensor2D;
  }
  checkIdRange(ids, vocabSize);
  return tf.tensor2d(Int32Array.from(ids), [1, ids.length], 'int32');
}

function checkIdRange(ids: ArrayLike<number>, vocabSize: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new LabError(
        'OUT_OF_RANGE',
        `ids: token ${id} at position ${i} is outside the vocabulary [0, ${vocabSize - 1}]`,
      );
    }
  }
}

/** Checks a positive integer option (shared by the LM helpers). */
export function assertPositiveInt(value: number, name: string): void {
  assertInRange(value, name, { min: 1, integer: true });
}
