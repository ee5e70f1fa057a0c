import { LabError, MLP, Module, Rng, assertInRange, tf } from '@lab/core';

/** Architecture of a {@link ContrastiveEncoder}. The defaults are the spec's MNIST miniature (§5). */
export interface EncoderConfig {
  /** Input features per image (784 for flattened 28×28 MNIST). */
  inputDim: number;
  /** Hidden widths of the encoder before the feature layer (miniature: [128]). */
  hidden: number[];
  /** Width of the representation h (miniature: 64). */
  featureDim: number;
  /** Hidden width of the projection head (miniature: 64). */
  headHidden: number;
  /** Output width of the projection head u, L2-normalised inside the losses (miniature: 32). */
  projDim: number;
  /** Seeds the initial weights (PyTorch `nn.Linear` initialisation through @lab/core's Rng). */
  seed: number;
}

/** The MNIST miniature: encoder 784-128-64 (ReLU), head 64-64-32 (spec §5). */
export const defaultEncoderConfig: Readonly<EncoderConfig> = Object.freeze({
  inputDim: 784,
  hidden: [128],
  featureDim: 64,
  headHidden: 64,
  projDim: 32,
  seed: 0,
});

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
    const cfg = { ...defaultEncoderConfig, ...config, hidden: [...(config.hidden ?? defaultEncoderConfig.hidden)] };
    for (const key of ['inputDim', 'featureDim', 'headHidden', 'projDim'] as const)
      assertInRange(cfg[key], key, { min: 1, integer: true });
    if (!Array.isArray(cfg.hidden))
      throw new LabError('INVALID_ARGUMENT', `hidden: expected an array of layer widths, got ${typeof cfg.hidden}`);
    cfg.hidden.forEach((w, i) => assertInRange(w, `hidden[${i}]`, { min: 1, integer: true }));
    assertInRange(cfg.seed, 'seed', { min: 0, integer: true });
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
