import * as tf from '@tensorflow/tfjs';
import { LabError } from '../errors.js';
import { loadSafetensors, saveSafetensors } from '../safetensors.js';

/** Name → tensor map of a module's parameters and buffers, with dotted names (`layers.0.weight`). */
export type StateDict = Record<string, tf.Tensor>;

export interface NamedParametersOptions {
  /** Leave out frozen parameters (`trainable = false`), e.g. to build an optimizer. Default false. */
  trainableOnly?: boolean;
}

export interface LoadStateDictOptions {
  /** Throw when a key is missing or unexpected (PyTorch's `strict`). Default true. */
  strict?: boolean;
  /**
   * Maps each incoming tensor before it is assigned (return a new tensor or the same one), e.g. to
   * transpose a PyTorch Linear weight [out, in] into ours [in, out].
   */
  transform?: (name: string, tensor: tf.Tensor) => tf.Tensor;
}

export interface LoadStateDictResult {
  /** Names the module has that the state dict lacked (only when strict = false). */
  missing: string[];
  /** Names in the state dict the module does not have (only when strict = false). */
  unexpected: string[];
}

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$|^[0-9]+$/;

/**
 * Base class of every layer: owns named parameters (tf.Variables), named buffers (non-trained state
 * such as BatchNorm running statistics) and named submodules, in registration order.
 *
 * Naming follows PyTorch: a parameter `weight` of the submodule `q_proj` of `self_attn` of the first
 * entry of a {@link ModuleList} `layers` is `layers.0.self_attn.q_proj.weight`.
 *
 * Layouts follow tfjs, not PyTorch: Linear weights are [in, out], Conv2d filters [kh, kw, in, out],
 * images NHWC. Use `loadStateDict(dict, { transform })` to convert PyTorch checkpoints.
 *
 * A module owns its variables: call `dispose()` when done with it.
 */
export class Module {
  /** Training mode (Dropout drops, BatchNorm uses batch statistics); switch with train()/eval(). */
  training = true;
  private readonly ownParameters = new Map<string, tf.Variable>();
  private readonly ownBuffers = new Map<string, tf.Variable>();
  private readonly ownModules = new Map<string, Module>();

  /** Registers a trainable parameter, taking ownership of `initial` (it is disposed). */
  protected addParameter(name: string, initial: tf.Tensor, trainable = true): tf.Variable {
    this.checkName(name);
    const v = tf.variable(initial, trainable);
    initial.dispose();
    this.ownParameters.set(name, v);
    return v;
  }

  /** Registers a buffer: state saved in the state dict but never trained. Takes ownership of `initial`. */
  protected addBuffer(name: string, initial: tf.Tensor): tf.Variable {
    this.checkName(name);
    const v = tf.variable(initial, false);
    initial.dispose();
    this.ownBuffers.set(name, v);
    return v;
  }

  /** Registers a submodule under `name` and returns it. */
  protected addModule<M extends Module>(name: string, module: M): M {
    this.checkName(name);
    if (!(module instanceof Module))
      throw new LabError('INVALID_ARGUMENT', `module '${name}': expected a Module instance`);
    this.ownModules.set(name, module);
    return module;
  }

  private checkName(name: string): void {
    if (!NAME_PATTERN.test(name)) {
      throw new LabError(
        'INVALID_ARGUMENT',
        `name: expected an identifier without dots (e.g. 'weight', 'q_proj', '0'), got '${name}'`,
      );
    }
    if (this.ownParameters.has(name) || this.ownBuffers.has(name) || this.ownModules.has(name)) {
      throw new LabError('INVALID_ARGUMENT', `name: '${name}' is already registered on ${this.constructor.name}`);
    }
  }

  /** Direct submodules, by name. */
  namedChildren(): [string, Module][] {
    return [...this.ownModules.entries()];
  }

  /** This module and every descendant with dotted names ('' for this module). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, m] of this.ownModules) out.push(...m.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** Every parameter with its dotted name, in registration order (depth first). */
  namedParameters(options: NamedParametersOptions = {}): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, v] of m.ownParameters) {
        if (options.trainableOnly && !v.trainable) continue;
        out[prefix ? `${prefix}.${name}` : name] = v;
      }
    }
    return out;
  }

  /** Every parameter, in the order of {@link namedParameters}. */
  parameters(options: NamedParametersOptions = {}): tf.Variable[] {
    return Object.values(this.namedParameters(options));
  }

  /** Every buffer with its dotted name. */
  namedBuffers(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, v] of m.ownBuffers) out[prefix ? `${prefix}.${name}` : name] = v;
    }
    return out;
  }

  /** Number of scalar parameters (trainable only when asked). */
  numParameters(options: NamedParametersOptions = {}): number {
    return this.parameters(options).reduce((n, v) => n + v.size, 0);
  }

  /**
   * Parameters and buffers by dotted name. The tensors are the module's own variables (no copy, as in
   * PyTorch): do not dispose them; clone them to keep a snapshot.
   */
  stateDict(): StateDict {
    return { ...this.namedParameters(), ...this.namedBuffers() };
  }

  /**
   * Copies values from `dict` into the module's variables (shapes and dtypes must match). The incoming
   * tensors are not disposed. With `strict` (default), missing or unexpected names throw.
   */
  loadStateDict(dict: StateDict, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const { strict = true, transform } = options;
    const own = this.stateDict();
    const missing = Object.keys(own).filter((k) => !(k in dict));
    const unexpected = Object.keys(dict).filter((k) => !(k in own));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts = [];
      if (missing.length) parts.push(`missing ${missing.map((k) => `'${k}'`).join(', ')}`);
      if (unexpected.length) parts.push(`unexpected ${unexpected.map((k) => `'${k}'`).join(', ')}`);
      throw new LabError(
        'INVALID_ARGUMENT',
        `stateDict: keys do not match ${this.constructor.name}: ${parts.join('; ')}`,
      );
    }
    // Validate everything before assigning anything, so a failed load leaves the module unchanged.
    const updates: [tf.Variable, tf.Tensor, boolean][] = [];
    try {
      for (const [name, target] of Object.entries(own)) {
        const incoming = dict[name];
        if (incoming === undefined) continue;
        const value = transform ? transform(name, incoming) : incoming;
        const owned = value !== incoming;
        updates.push([target as tf.Variable, value, owned]);
        if (!tf.util.arraysEqual(value.shape, target.shape)) {
          throw new LabError(
            'SHAPE_MISMATCH',
            `stateDict['${name}']: expected shape [${target.shape.join(', ')}], got [${value.shape.join(', ')}]`,
          );
        }
        if (value.dtype !== target.dtype) {
          throw new LabError(
            'DTYPE_MISMATCH',
            `stateDict['${name}']: expected dtype ${target.dtype}, got ${value.dtype}`,
          );
        }
      }
      for (const [target, value] of updates) target.assign(value);
    } finally {
      for (const [, value, owned] of updates) if (owned) value.dispose();
    }
    return { missing, unexpected };
  }

  /** Writes the state dict to a safetensors file (atomically). */
  save(path: string, metadata: Record<string, string> = {}): void {
    saveSafetensors(path, this.stateDict(), metadata);
  }

  /** Loads a safetensors file written by {@link save} (or converted from PyTorch) into this module. */
  load(path: string, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const { tensors } = loadSafetensors(path);
    try {
      return this.loadStateDict(tensors, options);
    } finally {
      for (const t of Object.values(tensors)) t.dispose();
    }
  }

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Sets evaluation mode (Dropout off, BatchNorm uses running statistics); returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Marks every parameter frozen (`trainable = false`): optimizers built from trainable parameters skip them. */
  freeze(): this {
    for (const v of this.parameters()) v.trainable = false;
    return this;
  }

  /** Marks every parameter trainable again. */
  unfreeze(): this {
    for (const v of this.parameters()) v.trainable = true;
    return this;
  }

  /** Disposes every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const v of m.ownParameters.values()) v.dispose();
      for (const v of m.ownBuffers.values()) v.dispose();
      m.ownParameters.clear();
      m.ownBuffers.clear();
    }
  }
}

/** A list of submodules named '0', '1', … (PyTorch `nn.ModuleList`). */
export class ModuleList<M extends Module = Module> extends Module {
  private readonly items: M[] = [];

  constructor(modules: readonly M[] = []) {
    super();
    for (const m of modules) this.push(m);
  }

  push(module: M): this {
    this.addModule(String(this.items.length), module);
    this.items.push(module);
    return this;
  }

  at(index: number): M {
    const m = this.items[index];
    if (m === undefined)
      throw new LabError('OUT_OF_RANGE', `index: expected 0 <= index < ${this.items.length}, got ${index}`);
    return m;
  }

  get length(): number {
    return this.items.length;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/** Anything that maps one tensor to another (every layer of this package). */
export interface Layer {
  forward(x: tf.Tensor): tf.Tensor;
}

/** Applies layers in order (PyTorch `nn.Sequential`); submodules are named '0', '1', … */
export class Sequential extends Module implements Layer {
  private readonly layers: (Module & Layer)[] = [];

  constructor(layers: readonly (Module & Layer)[]) {
    super();
    layers.forEach((l, i) => {
      this.addModule(String(i), l);
      this.layers.push(l);
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.layers.reduce((h, l) => l.forward(h), x));
  }
}
