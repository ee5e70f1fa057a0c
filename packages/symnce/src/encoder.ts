import { LabError, MLP, Module, Rng, assertInRange, strictOptions, tf } from '@lab/core';
import { defaultEncoderConfig, encoderChecks, type EncoderConfig } from './config.js';

/**
 * MLP encoder `f: x → h` plus projection head `g: h → u` (SupCon's two-stage design): the loss sees
 * `u`, the evaluation uses `h` after the head is dropped. `h` is the ReLU output of the last encoder
 * layer (as a ResNet's pooled features are); the head is Linear → ReLU → Linear (SupContrast's `'mlp'`
 * head). A {@link Module}, so it saves and loads as safetensors.
 */
export class ContrastiveEncoder extends Module {
  readonly config: Readonly<EncoderConfig>;
  readonly encoder: MLP;
  readonly head: MLP;

  constructor(config: Partial<EncoderConfig> = {}) {
    super();
    const checked = strictOptions(config, defaultEncoderConfig, 'ContrastiveEncoder config', encoderChecks);
    const cfg = { ...checked, hidden: [...checked.hidden] };
    cfg.hidden.forEach((w, i) => assertInRange(w, `hidden[${i}]`, { min: 1, integer: true }));
    this.config = Object.freeze(cfg);
    const rng = new Rng(cfg.seed);
    this.encoder = this.addModule(
      'encoder',
      new MLP([cfg.inputDim, ...cfg.hidden, cfg.featureDim], { rng: rng.fork('encoder'), activateLast: true }),
    );
    this.head = this.addModule(
      'head',
      new MLP([cfg.featureDim, cfg.headHidden, cfg.projDim], { rng: rng.fork('head') }),
    );
  }

  /** Representation h. @param x `[B, inputDim]`. @returns `[B, featureDim]`. */
  features(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.config.inputDim) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `x: expected shape [B, ${this.config.inputDim}], got [${x.shape.join(', ')}]`,
      );
    }
    return this.encoder.forward(x) as tf.Tensor2D;
  }

  /** Projection u (un-normalised; the losses normalise). @param h `[B, featureDim]`. @returns `[B, projDim]`. */
  project(h: tf.Tensor2D): tf.Tensor2D {
    return this.head.forward(h) as tf.Tensor2D;
  }

  /** The trainable variables (encoder then head). */
  get trainableVariables(): tf.Variable[] {
    return this.parameters({ trainableOnly: true });
  }
}
