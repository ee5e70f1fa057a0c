import { BatchNorm1d, LabError, Linear, Module, Rng, assertInRange, tf } from '@lab/core';

/** Architecture of an {@link MlpEncoder}. */
export interface MlpEncoderConfig {
  /** Input features per row (196 for 14×14 MNIST). */
  inputDim: number;
  /** Width W of the encoder `in → W → W` (BN + ReLU after each layer; spec §5: 128). */
  hidden: number;
  /** Output width of the projector `W → W → projDim` (Linear → ReLU → Linear, as solo-learn's; spec §5: W). */
  projDim: number;
  /** Classes of the online linear classifier on the backbone features (`L_class`); 0 = none. */
  numClasses: number;
  /** Seeds the nn.Linear-style initialisation. */
  seed: number;
}

/**
 * The miniature's backbone and projector (spec §5): `h = relu(BN(W₂ relu(BN(W₁ x))))`, `u = P₂ relu(P₁ h)`.
 * The probe reads the projector output `u` (the paper's 2048-d projector output, spec §2.5). BatchNorm follows
 * core's helper (batch statistics in training, running statistics in eval mode).
 */
export class MlpEncoder extends Module {
  readonly config: Readonly<MlpEncoderConfig>;
  readonly fc1: Linear;
  readonly bn1: BatchNorm1d;
  readonly fc2: Linear;
  readonly bn2: BatchNorm1d;
  readonly proj1: Linear;
  readonly proj2: Linear;
  readonly classifier: Linear | null;

  constructor(config: MlpEncoderConfig) {
    super();
    for (const key of ['inputDim', 'hidden', 'projDim'] as const)
      assertInRange(config[key], key, { min: 1, integer: true });
    assertInRange(config.numClasses, 'numClasses', { min: 0, integer: true });
    this.config = Object.freeze({ ...config });
    const rng = new Rng(config.seed);
    const { inputDim, hidden, projDim, numClasses } = config;
    this.fc1 = this.addModule('fc1', new Linear(inputDim, hidden, { rng: rng.fork('fc1') }));
    this.bn1 = this.addModule('bn1', new BatchNorm1d(hidden));
    this.fc2 = this.addModule('fc2', new Linear(hidden, hidden, { rng: rng.fork('fc2') }));
    this.bn2 = this.addModule('bn2', new BatchNorm1d(hidden));
    this.proj1 = this.addModule('proj1', new Linear(hidden, hidden, { rng: rng.fork('proj1') }));
    this.proj2 = this.addModule('proj2', new Linear(hidden, projDim, { rng: rng.fork('proj2') }));
    this.classifier =
      numClasses > 0 ? this.addModule('classifier', new Linear(hidden, numClasses, { rng: rng.fork('cls') })) : null;
  }

  /** Backbone features h. @param x `[B, inputDim]`. @returns `[B, W]`. */
  features(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.config.inputDim)
      throw new LabError(
        'SHAPE_MISMATCH',
        `x: expected shape [B, ${this.config.inputDim}], got [${x.shape.join(', ')}]`,
      );
    return tf.tidy(() => {
      const a = tf.relu(this.bn1.forward(this.fc1.forward(x))); // [B, W]
      return tf.relu(this.bn2.forward(this.fc2.forward(a))) as tf.Tensor2D; // [B, W]
    });
  }

  /** Projector output u (raw, un-normalised). @param h `[B, W]`. @returns `[B, projDim]`. */
  project(h: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.proj2.forward(tf.relu(this.proj1.forward(h))) as tf.Tensor2D);
  }

  /** `project(features(x))`. @param x `[B, inputDim]`. @returns `[B, projDim]`. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.project(this.features(x)));
  }

  /** Projector outputs of many rows in eval mode, in chunks (BN uses its running statistics). @returns `[N, projDim]`. */
  embed(x: tf.Tensor2D, chunk = 1024): tf.Tensor2D {
    const wasTraining = this.training;
    this.eval();
    try {
      const parts: tf.Tensor2D[] = [];
      for (let start = 0; start < x.shape[0]; start += chunk) {
        const size = Math.min(chunk, x.shape[0] - start);
        parts.push(tf.tidy(() => this.forward(tf.slice(x, [start, 0], [size, -1]) as tf.Tensor2D)));
      }
      const out = tf.concat(parts, 0) as tf.Tensor2D;
      tf.dispose(parts);
      return out;
    } finally {
      if (wasTraining) this.train();
    }
  }
}
