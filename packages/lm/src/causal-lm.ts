import { LabError, Linear, Module, Rng, tf } from '@lab/core';
import type { CausalLMConfig } from './config.js';
import { ForwardContext, type LinearAdapter } from './context.js';
import { familyOf } from './families.js';
import type { DecoderModel } from './family.js';
import { toIds2d } from './ids.js';
import type { KVCache } from './kv-cache.js';
import { Weights, linear as linearFrom } from './weights.js';

/**
 * A linear layer's parameters inside a {@link CausalLM}. `weight` is stored `[in, out]` (so
 * `y = x·W + b` needs no transpose); Hugging Face LLaMA checkpoints store `[out, in]` and are
 * transposed on load and save. GPT-2's Conv1D weights are already `[in, out]`.
 */
export interface LinearParams {
  weight: tf.Variable;
  bias: tf.Variable | null;
}

/** Input and switches of {@link CausalLM.forward}. */
export interface CausalLMForwardInput {
  /** Token ids: `[T]` (batch 1) or `[B, T]` int32. Exactly one of `ids` / `inputEmbeds`. */
  ids?: Int32Array | number[] | tf.Tensor1D | tf.Tensor2D;
  /** Input embeddings `[B, T, hidden]`, e.g. one-hot `[B, T, V]` · embedding matrix, so gradients reach token choices. */
  inputEmbeds?: tf.Tensor3D;
  /** Post-softmax attention of these layers is returned: `'all'`, `'last'` or layer indices. */
  returnAttention?: 'all' | 'last' | number[];
  /** Attention window of every layer for this call (tier-2 zoos); default `config.slidingWindow` after `config.fullAttentionLayers`. */
  attentionWindow?: number | null;
  /** Query block size of the attention (memory ∝ queryChunk · S per head). Default 256. */
  queryChunk?: number;
  /** Reads and extends this cache: positions continue from `cache.length`. */
  cache?: KVCache;
  /** With a cache: read it but leave it unchanged (score many continuations of one prefix). Default true. */
  updateCache?: boolean;
  /** Called with every named linear layer's input `[N, in]` (calibration statistics, e.g. SaLoRA). */
  onLinearInput?: (name: string, input: tf.Tensor2D) => void;
  /** Compute logits (default true, false without a vocabulary); false returns only the final hidden states. */
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
 * untied head; `src/llama/`) and GPT-2 (Radford et al. 2019: learned positions, pre-LayerNorm,
 * GELU-tanh MLP; `src/gpt2/`).
 *
 * The family's base model (`LlamaModel`, `GPT2Model`) is registered under its HF prefix (`model`,
 * `transformer`) next to an untied `lm_head`, so parameters are `tf.Variable`s keyed by their
 * Hugging Face tensor names (`model.layers.0.self_attn.q_proj.weight`, `transformer.h.0.attn.c_attn.weight`);
 * linear weights are held `[in, out]`. Linear layers are also addressable by short names
 * (`layers.{i}.self_attn.q_proj`, `layers.{i}.mlp.down_proj`, GPT-2 `layers.{i}.attn.c_attn`) for
 * adapters and input capture.
 *
 * @example
 * const model = CausalLM.random(llamaConfig({ vocabSize: 64, hiddenSize: 32, numLayers: 2, numHeads: 4 }), { seed: 0 });
 * const { logits, attentions } = model.forward({ ids: [1, 2, 3], returnAttention: 'last' });
 */
export class CausalLM extends Module {
  readonly config: CausalLMConfig;
  /** Every parameter by Hugging Face tensor name (the same variables as `namedParameters()`). */
  readonly params: Map<string, tf.Variable>;
  private readonly base: DecoderModel;
  private readonly lmHead: Linear | null;
  /** Short name → linear layer of every block, in forward order (and the reverse map for the hooks). */
  private readonly linears = new Map<string, Linear>();
  private readonly linearNamesByLayer = new Map<Linear, string>();
  private readonly adapters = new Map<string, LinearAdapter>();

  /**
   * Builds a model from parameters keyed by HF tensor name (linear weights `[in, out]`). Takes
   * ownership of the tensors (they are wrapped into the module's variables and disposed); on a
   * missing, mis-shaped or unexpected parameter it throws before taking anything.
   */
  constructor(config: CausalLMConfig, params: Map<string, tf.Tensor>) {
    super();
    const family = familyOf(config);
    this.config = family.validate(config);
    const expected = family.parameterShapes(config);
    checkParameters(expected, params);
    const weights = new Weights(params);
    this.base = this.addModule(family.baseModelPrefix, family.create(this.config, weights.at(family.baseModelPrefix)));
    const { vocabSize: V, hiddenSize: C } = this.config;
    this.lmHead =
      this.config.tieWordEmbeddings || V === 0
        ? null
        : this.addModule('lm_head', linearFrom(weights.at('lm_head'), C, V, false));
    this.params = new Map(Object.entries(this.namedParameters()));
    for (let l = 0; l < this.base.blocks.length; l++) {
      for (const [path, m] of this.base.blocks.at(l).namedModules()) {
        if (!(m instanceof Linear)) continue;
        this.linears.set(`layers.${l}.${path}`, m);
        this.linearNamesByLayer.set(m, `layers.${l}.${path}`);
      }
    }
  }

  /** A model with seeded random weights (normal(0, initStd), norms 1, biases 0; GPT-2 output projections scaled by 1/√(2L)). */
  static random(config: CausalLMConfig, options: RandomInitOptions = {}): CausalLM {
    const family = familyOf(config);
    family.validate(config);
    const { seed = 0, initStd = 0.02 } = options;
    const rng = new Rng(seed);
    const params = new Map<string, tf.Tensor>();
    for (const [name, shape] of family.parameterShapes(config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      const init = family.initialValue(name, config, initStd);
      const data =
        'fill' in init ? new Float32Array(size).fill(init.fill) : rng.fork(name).normalArray(size, 0, init.std);
      params.set(name, tf.tensor(data, shape, 'float32'));
    }
    return new CausalLM(config, params);
  }

  /** Short names of every linear layer, in forward order. */
  linearNames(): string[] {
    return [...this.linears.keys()];
  }

  /** The parameters of a linear layer by short name (`layers.0.self_attn.q_proj`, or `lm_head` when untied). */
  linear(name: string): LinearParams {
    const layer = name === 'lm_head' ? this.lmHead : this.linears.get(name);
    if (!layer) {
      throw new LabError(
        'NOT_FOUND',
        `linear: no layer named '${name}' (expected one of linearNames(), e.g. '${this.linearNames()[0]}')`,
      );
    }
    return { weight: layer.weight, bias: layer.bias };
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

  /** The token-embedding matrix `[V, hidden]` (a model with `vocabSize` 0 has none: LabError). */
  embeddingMatrix(): tf.Variable {
    const table = this.base.tokenEmbedding;
    if (!table)
      throw new LabError(
        'UNSUPPORTED',
        'embeddingMatrix: expected a model with token embeddings, got vocabSize 0 (pass inputEmbeds, read hidden)',
      );
    return table.weight;
  }

  /**
   * Token embeddings `[B, T, hidden]`. Uses `gather`, or a one-hot product when the backend lacks the
   * kernel gather's gradient needs (`UnsortedSegmentSum`, missing on stock WASM) and the vocabulary is small.
   */
  embed(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      const { vocabSize: V, hiddenSize: C } = this.config;
      const table = this.embeddingMatrix(); // [V, C]
      const useOneHot = tf.getKernel('UnsortedSegmentSum', tf.getBackend()) === undefined && V <= 4096;
      const flat = tf.reshape(ids, [B * T]) as tf.Tensor1D; // [B·T]
      const rows = useOneHot ? tf.matMul(tf.oneHot(flat, V), table) : tf.gather(table, flat); // [B·T, C]
      return tf.reshape(rows, [B, T, C]) as tf.Tensor3D; // [B, T, C]
    });
  }

  /** Projects final hidden states `[N, hidden]` to logits `[N, V]` (tied or untied head). */
  head(hidden: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      if (!this.lmHead) return tf.matMul(hidden, this.embeddingMatrix(), false, true); // [N, V] (tied; none without a vocabulary)
      return tf.matMul(hidden, this.lmHead.weight); // [N, V]
    });
  }

  /**
   * One forward pass. Returns the logits `[B, T, V]`, the final hidden states and the requested
   * attention probabilities. With `cache`, positions start at `cache.length` and the cache grows by T.
   */
  forward(input: CausalLMForwardInput): CausalLMForwardOutput {
    const cfg = this.config;
    const { cache, updateCache = true } = input;
    if ((input.ids === undefined) === (input.inputEmbeds === undefined)) {
      throw new LabError('INVALID_ARGUMENT', 'forward: expected exactly one of ids or inputEmbeds');
    }
    const ctx = new ForwardContext({
      cache,
      updateCache,
      window: (l) =>
        input.attentionWindow !== undefined
          ? input.attentionWindow
          : l < cfg.fullAttentionLayers
            ? null
            : cfg.slidingWindow,
      queryChunk: input.queryChunk ?? 256,
      returnAttention: attentionLayers(input.returnAttention, cfg.numLayers),
      onLinearInput: input.onLinearInput,
      linearNames: this.linearNamesByLayer,
      adapters: this.adapters,
    });

    const result = tf.tidy(() => {
      if (input.ids !== undefined) this.embeddingMatrix(); // vocabSize 0: a clear error before the id check
      const x = input.inputEmbeds
        ? checkEmbeds(input.inputEmbeds, cfg.hiddenSize)
        : this.embed(toIds2d(input.ids!, cfg.vocabSize)); // [B, T, C]
      const [B, T] = x.shape;
      if (T < 1) throw new LabError('EMPTY_INPUT', 'forward: expected at least one token, got 0');
      const hidden = this.base.forward(x, ctx); // [B, T, C]
      const attentions = [...ctx.attentions.entries()].map(([l, p]) => ({ l, p })); // tidy keeps arrays, not Maps
      if (input.logits === false || (input.logits === undefined && cfg.vocabSize === 0)) return { hidden, attentions };
      const rows = tf.reshape(hidden, [B * T, cfg.hiddenSize]) as tf.Tensor2D; // [B·T, C]
      const logits = tf.reshape(this.head(rows), [B, T, cfg.vocabSize]) as tf.Tensor3D; // [B, T, V]
      return { hidden, logits, attentions };
    });

    if (cache && updateCache) {
      cache.dispose();
      cache.keys = ctx.newKeys;
      cache.values = ctx.newValues;
      cache.length = ctx.past + result.hidden.shape[1];
    }
    const out: CausalLMForwardOutput = {
      hidden: result.hidden as tf.Tensor3D,
      attentions: new Map(result.attentions.map(({ l, p }) => [l, p as tf.Tensor4D])),
    };
    if ('logits' in result) out.logits = result.logits as tf.Tensor3D;
    return out;
  }

  /** Frees every parameter. */
  dispose(): void {
    super.dispose();
    this.params.clear();
  }
}

/** Throws unless `params` holds exactly the expected names with their shapes (before anything is taken). */
function checkParameters(expected: [string, number[]][], params: Map<string, tf.Tensor>): void {
  const names = new Set(expected.map(([name]) => name));
  const extra = [...params.keys()].filter((name) => !names.has(name));
  if (extra.length > 0) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `CausalLM: params: expected only the parameters of the configuration, got unused ${extra
        .slice(0, 5)
        .map((n) => `'${n}'`)
        .join(', ')}${extra.length > 5 ? ` and ${extra.length - 5} more` : ''}`,
    );
  }
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
}

function checkEmbeds(e: tf.Tensor3D, hiddenSize: number): tf.Tensor3D {
  if (e.rank !== 3 || e.shape[2] !== hiddenSize) {
    throw new LabError('SHAPE_MISMATCH', `inputEmbeds: expected [B, T, ${hiddenSize}], got [${e.shape.join(', ')}]`);
  }
  return e;
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
