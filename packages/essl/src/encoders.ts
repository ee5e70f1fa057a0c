// The encoders of the miniature (spec §5): an MLP for G1/G2, a small CNN and its C4-equivariant twin for G3.
// Every encoder maps images `[B, H, W, 1]` to features h `[B, featureDim]` and owns its variables.
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  LabError,
  Linear,
  Module,
  Rng,
  assertInRange,
  strictOptions,
  tf,
} from '@lab/core';
import { C4BatchNorm, C4GroupConv, C4LiftConv, c4GroupPool } from './c4.js';

/** What {@link pretrain} needs of an encoder. */
export interface Encoder extends Module {
  readonly featureDim: number;
  forward(x: tf.Tensor): tf.Tensor;
}

function checkInput(x: tf.Tensor, size: number, channels: number): void {
  if (x.rank !== 4 || x.shape[1] !== size || x.shape[2] !== size || x.shape[3] !== channels)
    throw new LabError(
      'SHAPE_MISMATCH',
      `x: expected images [B, ${size}, ${size}, ${channels}], got [${x.shape.join(', ')}]`,
    );
}

/** Options of {@link MlpEncoder}. */
export interface MlpEncoderOptions {
  /** Side of the square greyscale input (14: MNIST average-pooled, spec §5). */
  inputSize: number;
  /** Width W of both hidden layers (spec: 128–256; prototype 256). */
  width: number;
  seed: number;
}

/** MLP `H·W → W → W`, each Linear followed by BatchNorm1d and ReLU (spec §5, G1/G2). */
export class MlpEncoder extends Module implements Encoder {
  readonly featureDim: number;
  readonly inputSize: number;
  readonly fc1: Linear;
  readonly bn1: BatchNorm1d;
  readonly fc2: Linear;
  readonly bn2: BatchNorm1d;

  constructor(options: Partial<MlpEncoderOptions> = {}) {
    super();
    const o = strictOptions(options, { inputSize: 14, width: 256, seed: 0 }, 'MlpEncoder options', {
      inputSize: { min: 1, integer: true },
      width: { min: 1, integer: true },
      seed: { min: 0, integer: true },
    });
    const rng = new Rng(o.seed);
    this.inputSize = o.inputSize;
    this.featureDim = o.width;
    this.fc1 = this.addModule('fc1', new Linear(o.inputSize * o.inputSize, o.width, { rng }));
    this.bn1 = this.addModule('bn1', new BatchNorm1d(o.width));
    this.fc2 = this.addModule('fc2', new Linear(o.width, o.width, { rng }));
    this.bn2 = this.addModule('bn2', new BatchNorm1d(o.width));
  }

  /** @param x `[B, S, S, 1]`. @returns h `[B, W]`. */
  forward(x: tf.Tensor): tf.Tensor2D {
    checkInput(x, this.inputSize, 1);
    return tf.tidy(() => {
      const flat = x.reshape([x.shape[0]!, this.inputSize * this.inputSize]); // [B, S²]
      const h1 = tf.relu(this.bn1.forward(this.fc1.forward(flat))); // [B, W]
      return tf.relu(this.bn2.forward(this.fc2.forward(h1))) as tf.Tensor2D; // [B, W]
    });
  }
}

/** Options of {@link SmallCnn}. */
export interface SmallCnnOptions {
  inputSize: number;
  /** Channels of the two 3×3 convolutions (spec: 16, 32). */
  channels: [number, number];
  seed: number;
}

/** conv 1→16, BN, ReLU, max-pool, conv 16→32, BN, ReLU, max-pool, flatten (spec §5, G3): 14×14 → 3·3·32 = 288. */
export class SmallCnn extends Module implements Encoder {
  readonly featureDim: number;
  readonly inputSize: number;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;

  constructor(options: Partial<SmallCnnOptions> = {}) {
    super();
    const o = strictOptions(
      options,
      { inputSize: 14, channels: [16, 32], seed: 0 } as SmallCnnOptions,
      'SmallCnn options',
      {
        inputSize: { min: 4, integer: true },
        seed: { min: 0, integer: true },
      },
    );
    o.channels.forEach((c, i) => assertInRange(c, `channels[${i}]`, { min: 1, integer: true }));
    const rng = new Rng(o.seed);
    this.inputSize = o.inputSize;
    const side = Math.floor(Math.floor(o.inputSize / 2) / 2);
    this.featureDim = side * side * o.channels[1];
    this.conv1 = this.addModule('conv1', new Conv2d(1, o.channels[0], 3, { rng, padding: 1, bias: false }));
    this.bn1 = this.addModule('bn1', new BatchNorm2d(o.channels[0]));
    this.conv2 = this.addModule('conv2', new Conv2d(o.channels[0], o.channels[1], 3, { rng, padding: 1, bias: false }));
    this.bn2 = this.addModule('bn2', new BatchNorm2d(o.channels[1]));
  }

  /** @param x `[B, S, S, 1]`. @returns h `[B, ⌊⌊S/2⌋/2⌋²·C2]`. */
  forward(x: tf.Tensor): tf.Tensor2D {
    checkInput(x, this.inputSize, 1);
    return tf.tidy(() => {
      const a = tf.maxPool(tf.relu(this.bn1.forward(this.conv1.forward(x))) as tf.Tensor4D, 2, 2, 'valid'); // [B, S/2, S/2, C1]
      const b = tf.maxPool(tf.relu(this.bn2.forward(this.conv2.forward(a))) as tf.Tensor4D, 2, 2, 'valid'); // [B, S/4, S/4, C2]
      return b.reshape([x.shape[0]!, this.featureDim]) as tf.Tensor2D;
    });
  }
}

/** Options of {@link C4Cnn}. */
export interface C4CnnOptions {
  inputSize: number;
  /** Fields of the lifting and the group convolution (spec: 8, 16; 4 channels per field). */
  fields: [number, number];
  seed: number;
}

/**
 * lift 1→F1 fields, group BN, ReLU, max-pool, group conv F1→F2, group BN, ReLU, max-pool, group pool, flatten
 * (spec §5, G3): 14×14 → 3·3·16 = 144. The 7 → 3 floor pooling drops a border row and column, so the whole
 * encoder is only approximately invariant; its layers are exactly equivariant (see `equivarianceResidual`).
 */
export class C4Cnn extends Module implements Encoder {
  readonly featureDim: number;
  readonly inputSize: number;
  readonly lift: C4LiftConv;
  readonly bn1: C4BatchNorm;
  readonly group: C4GroupConv;
  readonly bn2: C4BatchNorm;

  constructor(options: Partial<C4CnnOptions> = {}) {
    super();
    const o = strictOptions(options, { inputSize: 14, fields: [8, 16], seed: 0 } as C4CnnOptions, 'C4Cnn options', {
      inputSize: { min: 4, integer: true },
      seed: { min: 0, integer: true },
    });
    o.fields.forEach((c, i) => assertInRange(c, `fields[${i}]`, { min: 1, integer: true }));
    this.inputSize = o.inputSize;
    const side = Math.floor(Math.floor(o.inputSize / 2) / 2);
    this.featureDim = side * side * o.fields[1];
    this.lift = this.addModule('lift', new C4LiftConv(1, o.fields[0], { seed: o.seed }));
    this.bn1 = this.addModule('bn1', new C4BatchNorm(o.fields[0]));
    this.group = this.addModule('group', new C4GroupConv(o.fields[0], o.fields[1], { seed: o.seed + 1 }));
    this.bn2 = this.addModule('bn2', new C4BatchNorm(o.fields[1]));
  }

  /** @param x `[B, S, S, 1]`. @returns h `[B, ⌊⌊S/2⌋/2⌋²·F2]`. */
  forward(x: tf.Tensor): tf.Tensor2D {
    checkInput(x, this.inputSize, 1);
    return tf.tidy(() => {
      const a = tf.maxPool(tf.relu(this.bn1.apply(this.lift.apply(x as tf.Tensor4D), this.training)), 2, 2, 'valid'); // [B, S/2, S/2, 4F1]
      const b = tf.maxPool(tf.relu(this.bn2.apply(this.group.apply(a), this.training)), 2, 2, 'valid'); // [B, S/4, S/4, 4F2]
      return c4GroupPool(b).reshape([x.shape[0]!, this.featureDim]) as tf.Tensor2D; // [B, S/4·S/4·F2]
    });
  }
}
