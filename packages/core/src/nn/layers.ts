import * as tf from '@tensorflow/tfjs';
import { LabError, assertInRange, assertOneOf } from '../errors.js';
import type { Rng } from '../random.js';
import { type Initializer, normalInit, torchDefaultWeightInit, uniformInit } from './init.js';
import { type Layer, Module, ModuleList } from './module.js';
import { BatchNorm1d, type BatchNormOptions } from './norm.js';

/** Activation names accepted by layers that take one. */
export type ActivationName =
  'relu' | 'gelu' | 'gelu_tanh' | 'silu' | 'tanh' | 'sigmoid' | 'leaky_relu' | 'elu' | 'identity';
const ACTIVATIONS: readonly ActivationName[] = [
  'relu',
  'gelu',
  'gelu_tanh',
  'silu',
  'tanh',
  'sigmoid',
  'leaky_relu',
  'elu',
  'identity',
];

/**
 * Applies a named activation. `gelu` is the exact erf form (PyTorch `nn.GELU()`), `gelu_tanh` the tanh
 * approximation (`approximate='tanh'`, GPT-2), `leaky_relu` uses slope 0.01 as PyTorch.
 */
export function activation(name: ActivationName, x: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'relu':
      return tf.relu(x);
    case 'gelu':
      return tf.tidy(() => x.mul(0.5).mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)));
    case 'gelu_tanh':
      return tf.tidy(() => x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1)));
    case 'silu':
      return tf.tidy(() => x.mul(tf.sigmoid(x)));
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'leaky_relu':
      return tf.leakyRelu(x, 0.01);
    case 'elu':
      return tf.elu(x);
    case 'identity':
      return x.clone();
    default:
      throw new LabError(
        'INVALID_ARGUMENT',
        `activation: expected one of ${ACTIVATIONS.join(', ')}, got '${String(name)}'`,
      );
  }
}

function checkFeatures(value: number, name: string): void {
  assertInRange(value, name, { min: 1, integer: true });
}

export interface LinearOptions {
  /** Generator for the initial weights (required so every layer is reproducible). */
  rng: Rng;
  /** Add a bias (default true). */
  bias?: boolean;
  /** Weight initialiser; default PyTorch's kaiming_uniform(a = √5), i.e. U(±1/√in). */
  weightInit?: Initializer;
  /** Bias initialiser; default PyTorch's U(±1/√in). */
  biasInit?: Initializer;
}

/**
 * y = x W + b (PyTorch `nn.Linear`). `weight` is [in, out] (transposed w.r.t. PyTorch's [out, in]),
 * `bias` is [out]. Accepts x of shape [..., in] and returns [..., out].
 */
export class Linear extends Module implements Layer {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions,
  ) {
    super();
    checkFeatures(inFeatures, 'inFeatures');
    checkFeatures(outFeatures, 'outFeatures');
    const { rng, bias = true, weightInit = torchDefaultWeightInit, biasInit } = options;
    if (rng === undefined)
      throw new LabError('INVALID_ARGUMENT', 'options.rng: expected an Rng for the initial weights, got undefined');
    this.weight = this.addParameter('weight', weightInit([inFeatures, outFeatures], rng));
    const bound = 1 / Math.sqrt(inFeatures);
    this.bias = bias
      ? this.addParameter(
          'bias',
          biasInit ? biasInit([outFeatures], rng) : uniformInit([outFeatures], rng, -bound, bound),
        )
      : null;
  }

  forward(x: tf.Tensor): tf.Tensor {
    const last = x.shape[x.rank - 1];
    if (x.rank < 1 || last !== this.inFeatures) {
      throw new LabError('SHAPE_MISMATCH', `x: expected shape [..., ${this.inFeatures}], got [${x.shape.join(', ')}]`);
    }
    if (x.dtype !== 'float32') throw new LabError('DTYPE_MISMATCH', `x: expected dtype float32, got ${x.dtype}`);
    return tf.tidy(() => {
      const flat = x.rank === 2 ? x : x.reshape([-1, this.inFeatures]); // [B, in]
      let y = tf.matMul(flat, this.weight); // [B, out]
      if (this.bias) y = y.add(this.bias);
      return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), this.outFeatures]);
    });
  }
}

export interface MlpOptions {
  rng: Rng;
  /** Hidden activation (default 'relu'). */
  activation?: ActivationName;
  /** Apply the activation after the last layer too (default false). */
  activateLast?: boolean;
  /** Dropout rate after each hidden activation (default 0). */
  dropout?: number;
  /** Add biases (default true). */
  bias?: boolean;
  /**
   * A {@link BatchNorm1d} between Linear and activation (default false: none, numerics unchanged).
   * `true`: after every Linear that is activated (the hidden ones, and the last with `activateLast`).
   * One boolean per Linear (`sizes.length − 1` of them) picks the layers; the last may be normalised
   * without an activation, as in a SimSiam projector. Input of rank > 2 is normalised over all leading axes.
   */
  batchNorm?: boolean | readonly boolean[];
  /** Options of every BatchNorm1d (momentum, eps, affine, trackRunningStats; PyTorch defaults). */
  batchNormOptions?: BatchNormOptions;
}

/** Children named by the index of the Linear they follow (`norms.<i>`), like PyG's MLP `norms`. */
class IndexedModules<M extends Module> extends Module {
  private readonly items = new Map<number, M>();

  set(index: number, module: M): void {
    this.items.set(index, this.addModule(String(index), module));
  }

  get(index: number): M | null {
    return this.items.get(index) ?? null;
  }
}

/**
 * Multi-layer perceptron over `sizes = [in, h1, …, out]`: Linear (→ BatchNorm1d) → activation
 * (→ Dropout) per hidden layer, plain Linear at the end. Parameters are named `layers.<i>.weight` /
 * `layers.<i>.bias`; with `batchNorm`, the norm after Linear i holds `norms.<i>.weight`, `.bias` and the
 * buffers `norms.<i>.running_mean`, `.running_var`, `.num_batches_tracked` (PyG `MLP`'s `lins`/`norms`
 * layout, PyTorch's BatchNorm1d names). Running statistics update in train mode and are used in eval mode.
 *
 * @example
 * const projector = new MLP([512, 256, 128], { rng: new Rng(0), batchNorm: true }); // Linear-BN-ReLU-Linear
 */
export class MLP extends Module implements Layer {
  readonly layers: ModuleList<Linear>;
  private readonly norms: IndexedModules<BatchNorm1d> | null;
  private readonly drop: Dropout | null;
  private readonly act: ActivationName;
  private readonly activateLast: boolean;

  constructor(
    readonly sizes: readonly number[],
    options: MlpOptions,
  ) {
    super();
    if (!Array.isArray(sizes) || sizes.length < 2) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `sizes: expected at least [in, out], got [${Array.isArray(sizes) ? sizes.join(', ') : String(sizes)}]`,
      );
    }
    sizes.forEach((s, i) => checkFeatures(s, `sizes[${i}]`));
    const {
      rng,
      activation: act = 'relu',
      activateLast = false,
      dropout = 0,
      bias = true,
      batchNorm = false,
      batchNormOptions = {},
    } = options;
    assertOneOf(act, ACTIVATIONS, 'activation');
    const n = sizes.length - 1;
    const normed = mlpNormLayers(batchNorm, n, activateLast);
    this.act = act;
    this.activateLast = activateLast;
    this.layers = this.addModule('layers', new ModuleList<Linear>());
    for (let i = 0; i < n; i++) this.layers.push(new Linear(sizes[i]!, sizes[i + 1]!, { rng, bias }));
    const norms = normed.some(Boolean) ? this.addModule('norms', new IndexedModules<BatchNorm1d>()) : null;
    normed.forEach((on, i) => on && norms!.set(i, new BatchNorm1d(sizes[i + 1]!, batchNormOptions)));
    this.norms = norms;
    this.drop = dropout > 0 ? this.addModule('dropout', new Dropout(dropout, { rng: rng.fork('dropout') })) : null;
  }

  /** The BatchNorm1d after Linear `index`, or null when that layer has none. */
  norm(index: number): BatchNorm1d | null {
    return this.norms?.get(index) ?? null;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      const n = this.layers.length;
      for (let i = 0; i < n; i++) {
        h = this.layers.at(i).forward(h);
        const bn = this.norm(i);
        if (bn) h = h.rank === 2 ? bn.forward(h) : bn.forward(h.reshape([-1, bn.numFeatures])).reshape(h.shape);
        if (i < n - 1 || this.activateLast) {
          h = activation(this.act, h);
          if (this.drop && i < n - 1) h = this.drop.forward(h);
        }
      }
      return h;
    });
  }
}

/** Which of the `n` Linears of an MLP get a BatchNorm1d, from the `batchNorm` option. */
function mlpNormLayers(batchNorm: boolean | readonly boolean[], n: number, activateLast: boolean): boolean[] {
  if (typeof batchNorm === 'boolean')
    return Array.from({ length: n }, (_, i) => batchNorm && (i < n - 1 || activateLast));
  if (!Array.isArray(batchNorm) || batchNorm.length !== n || !batchNorm.every((b) => typeof b === 'boolean')) {
    throw new LabError(
      'INVALID_ARGUMENT',
      `batchNorm: expected a boolean or ${n} booleans (one per Linear), got ${JSON.stringify(batchNorm)}`,
    );
  }
  return [...batchNorm];
}

export interface DropoutOptions {
  /** Generator of the dropout masks (one tfjs seed drawn per call). */
  rng: Rng;
}

/**
 * Inverted dropout (PyTorch `nn.Dropout`): in training mode zeroes each entry with probability `rate`
 * and scales the rest by 1/(1 − rate); the identity in eval mode. Masks come from seeds drawn from
 * `rng`, so a run is reproducible for a given seed and backend.
 */
export class Dropout extends Module implements Layer {
  private readonly rng: Rng;

  constructor(
    readonly rate: number,
    options: DropoutOptions,
  ) {
    super();
    assertInRange(rate, 'rate', { min: 0, max: 1, maxExclusive: true });
    if (options?.rng === undefined)
      throw new LabError('INVALID_ARGUMENT', 'options.rng: expected an Rng for the dropout masks, got undefined');
    this.rng = options.rng;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.rate === 0) return x.clone();
    const seed = this.rng.tfSeed();
    return tf.tidy(() => {
      const keep = tf.randomUniform(x.shape, 0, 1, 'float32', seed).greaterEqual(this.rate); // [..]
      return x.mul(keep.toFloat()).div(1 - this.rate);
    });
  }
}

export interface EmbeddingOptions {
  rng: Rng;
  /** Row whose output is zero and which receives no gradient (PyTorch `padding_idx`). */
  paddingIdx?: number;
  /** Initialiser; default N(0, 1) as PyTorch. */
  init?: Initializer;
}

/**
 * A lookup table `weight` [numEmbeddings, dim] (PyTorch `nn.Embedding`): forward(ids [...]) → [..., dim].
 * Gradients flow through tf.gather, which needs the UnsortedSegmentSum kernel (registered for WASM by
 * initBackend's completions).
 */
export class Embedding extends Module implements Layer {
  readonly weight: tf.Variable;
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingOptions,
  ) {
    super();
    checkFeatures(numEmbeddings, 'numEmbeddings');
    checkFeatures(embeddingDim, 'embeddingDim');
    const { rng, paddingIdx, init = (shape, r) => normalInit(shape, r) } = options;
    if (rng === undefined)
      throw new LabError('INVALID_ARGUMENT', 'options.rng: expected an Rng for the initial weights, got undefined');
    if (paddingIdx !== undefined)
      assertInRange(paddingIdx, 'paddingIdx', { min: 0, max: numEmbeddings - 1, integer: true });
    this.paddingIdx = paddingIdx ?? null;
    let w = init([numEmbeddings, embeddingDim], rng);
    if (this.paddingIdx !== null) {
      // PyTorch zeroes the padding row at initialisation.
      const values = w.dataSync().slice() as Float32Array;
      values.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
      w.dispose();
      w = tf.tensor(values, [numEmbeddings, embeddingDim], 'float32');
    }
    this.weight = this.addParameter('weight', w);
  }

  /** ids: int32 tensor (or array) of any shape with values in [0, numEmbeddings). */
  forward(ids: tf.Tensor | ArrayLike<number>): tf.Tensor {
    const owned = !(ids instanceof tf.Tensor);
    const t = owned
      ? tf.tensor(Int32Array.from(ids as ArrayLike<number>), [(ids as ArrayLike<number>).length], 'int32')
      : (ids as tf.Tensor);
    try {
      if (t.dtype !== 'int32') throw new LabError('DTYPE_MISMATCH', `ids: expected int32 indices, got ${t.dtype}`);
      return tf.tidy(() => {
        const flat = t.reshape([-1]); // [M]
        let rows = tf.gather(this.weight, flat); // [M, dim]
        if (this.paddingIdx !== null) rows = rows.mul(flat.notEqual(this.paddingIdx).toFloat().expandDims(1));
        return rows.reshape([...t.shape, this.embeddingDim]);
      });
    } finally {
      if (owned) t.dispose();
    }
  }
}
