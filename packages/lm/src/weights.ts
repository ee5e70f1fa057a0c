import { Embedding, LabError, Linear, type Module, Rng, tf } from '@lab/core';

/**
 * Checkpoint tensors keyed by Hugging Face name, handed down the module tree while it is built:
 * `weights.at('layers').at(0)` scopes names to `model.layers.0.`, and each module takes (and so owns
 * and disposes) the tensors it registers.
 */
export class Weights {
  constructor(
    private readonly tensors: ReadonlyMap<string, tf.Tensor>,
    private readonly prefix = '',
  ) {}

  /** The same tensors under `<prefix><name>.`. */
  at(name: string | number): Weights {
    return new Weights(this.tensors, `${this.prefix}${name}.`);
  }

  /** The tensor `<prefix><name>`. */
  take(name: string): tf.Tensor {
    const t = this.tensors.get(this.prefix + name);
    if (!t) throw new LabError('NOT_FOUND', `CausalLM: missing parameter '${this.prefix}${name}'`);
    return t;
  }
}

// Core's Linear and Embedding draw their initial weights from an Rng; here the initialiser returns the
// checkpoint tensor instead, so this generator is never used.
const UNUSED_RNG = new Rng(0);

/** A core `Linear` (`weight` `[in, out]`, optional `bias` `[out]`) holding the checkpoint's tensors. */
export function linear(w: Weights, inFeatures: number, outFeatures: number, bias: boolean): Linear {
  return new Linear(inFeatures, outFeatures, {
    rng: UNUSED_RNG,
    bias,
    weightInit: () => w.take('weight'),
    biasInit: () => w.take('bias'),
  });
}

/** A core `Embedding` (`weight` `[n, dim]`) holding the checkpoint's table. */
export function embedding(w: Weights, n: number, dim: number): Embedding {
  return new Embedding(n, dim, { rng: UNUSED_RNG, init: () => w.take('weight') });
}

/** A core module (here: `RMSNorm`, `LayerNorm`) with every parameter copied from the checkpoint. */
export function loaded<M extends Module>(module: M, w: Weights): M {
  for (const [name, v] of Object.entries(module.namedParameters())) {
    const t = w.take(name);
    v.assign(t);
    t.dispose();
  }
  return module;
}
