import * as tf from '@tensorflow/tfjs';
import { LabError, assertInRange } from '../errors.js';
import type { Rng } from '../random.js';
import { type Initializer, kaimingNormalInit, torchDefaultWeightInit, uniformInit } from './init.js';
import { Linear } from './layers.js';
import { type Layer, Module, ModuleList } from './module.js';
import { BatchNorm2d } from './norm.js';

export interface Conv2dOptions {
  rng: Rng;
  /** Stride (default 1). */
  stride?: number;
  /**
   * 'valid' (no padding, PyTorch padding=0), a symmetric pixel count (PyTorch `padding=p`), or
   * 'same' (TensorFlow semantics: with stride > 1 the extra pixel goes bottom/right, unlike PyTorch —
   * use a pixel count for PyTorch parity). Default 'valid'.
   */
  padding?: 'valid' | 'same' | number;
  /** Add a bias (default true). */
  bias?: boolean;
  /** Filter initialiser; default PyTorch's kaiming_uniform(a = √5). */
  weightInit?: Initializer;
}

/**
 * 2-D convolution on channels-last images (PyTorch `nn.Conv2d` semantics, tfjs layouts):
 * x [N, H, W, inC] → [N, H', W', outC]; `weight` is [k, k, inC, outC], `bias` [outC].
 * The filter gradient needs Conv2DBackpropFilter, which initBackend's WASM completions provide.
 */
export class Conv2d extends Module implements Layer {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly stride: number;
  readonly padding: 'valid' | 'same' | number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: Conv2dOptions,
  ) {
    super();
    assertInRange(inChannels, 'inChannels', { min: 1, integer: true });
    assertInRange(outChannels, 'outChannels', { min: 1, integer: true });
    assertInRange(kernelSize, 'kernelSize', { min: 1, integer: true });
    const { rng, stride = 1, padding = 'valid', bias = true, weightInit = torchDefaultWeightInit } = options;
    if (rng === undefined)
      throw new LabError('INVALID_ARGUMENT', 'options.rng: expected an Rng for the initial weights, got undefined');
    assertInRange(stride, 'stride', { min: 1, integer: true });
    if (typeof padding === 'number') assertInRange(padding, 'padding', { min: 0, integer: true });
    else if (padding !== 'valid' && padding !== 'same')
      throw new LabError(
        'INVALID_ARGUMENT',
        `padding: expected 'valid', 'same' or a pixel count, got '${String(padding)}'`,
      );
    this.stride = stride;
    this.padding = padding;
    this.weight = this.addParameter('weight', weightInit([kernelSize, kernelSize, inChannels, outChannels], rng));
    const bound = 1 / Math.sqrt(inChannels * kernelSize * kernelSize);
    this.bias = bias ? this.addParameter('bias', uniformInit([outChannels], rng, -bound, bound)) : null;
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `x: expected NHWC shape [N, H, W, ${this.inChannels}], got [${x.shape.join(', ')}]`,
      );
    }
    if (x.dtype !== 'float32') throw new LabError('DTYPE_MISMATCH', `x: expected dtype float32, got ${x.dtype}`);
    return tf.tidy(() => {
      const pad = this.padding;
      let input = x as tf.Tensor4D;
      let tfPad: 'valid' | 'same' = pad === 'same' ? 'same' : 'valid';
      if (typeof pad === 'number' && pad > 0) {
        input = tf.pad(input, [
          [0, 0],
          [pad, pad],
          [pad, pad],
          [0, 0],
        ]);
        tfPad = 'valid';
      }
      const y = tf.conv2d(input, this.weight as tf.Tensor4D, this.stride, tfPad); // [N, H', W', outC]
      return this.bias ? y.add(this.bias) : y;
    });
  }
}

export interface CnnEncoderOptions {
  rng: Rng;
  /** Input channels (default 1, MNIST). */
  inChannels?: number;
  /** Output channels of the 3×3 convolutions (default [32, 64]). */
  channels?: readonly number[];
  /** Size of the output feature (default 128). */
  featureDim?: number;
  /** Square input size (default 28). */
  inputSize?: number;
}

/**
 * The classic small MNIST CNN (the W2 benchmark shape): conv 3×3 → ReLU for each entry of `channels`
 * ('valid' padding), 2×2 max-pool, flatten, Linear → ReLU to `featureDim`.
 * x [N, 28, 28, 1] → [N, 128] with the defaults (26 → 24 → pool 12 → 12·12·64 = 9216 → 128).
 */
export class CnnEncoder extends Module implements Layer {
  readonly convs: ModuleList<Conv2d>;
  readonly fc: Linear;
  readonly featureDim: number;
  private readonly inputSize: number;
  private readonly inChannels: number;

  constructor(options: CnnEncoderOptions) {
    super();
    const { rng, inChannels = 1, channels = [32, 64], featureDim = 128, inputSize = 28 } = options;
    if (channels.length === 0)
      throw new LabError('INVALID_ARGUMENT', 'channels: expected at least one convolution, got []');
    this.inputSize = inputSize;
    this.inChannels = inChannels;
    this.featureDim = featureDim;
    this.convs = this.addModule('convs', new ModuleList<Conv2d>());
    let c = inChannels;
    let size = inputSize;
    for (const out of channels) {
      this.convs.push(new Conv2d(c, out, 3, { rng }));
      c = out;
      size -= 2;
    }
    size = Math.floor(size / 2);
    if (size < 1)
      throw new LabError(
        'OUT_OF_RANGE',
        `inputSize: ${inputSize} is too small for ${channels.length} valid 3×3 convolutions and a 2×2 pool`,
      );
    this.fc = this.addModule('fc', new Linear(size * size * c, featureDim, { rng }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const s = this.inputSize;
    if (x.rank !== 4 || x.shape[1] !== s || x.shape[2] !== s || x.shape[3] !== this.inChannels) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `x: expected shape [N, ${s}, ${s}, ${this.inChannels}], got [${x.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      let h = x;
      for (const conv of this.convs) h = tf.relu(conv.forward(h)); // [N, h, w, c]
      h = tf.maxPool(h as tf.Tensor4D, 2, 2, 'valid'); // [N, h/2, w/2, c]
      return tf.relu(this.fc.forward(h.reshape([h.shape[0]!, -1]))); // [N, featureDim]
    });
  }
}

/** A ResNet basic block (He et al., 2016): conv3×3-BN-ReLU-conv3×3-BN plus a (projected) shortcut, then ReLU. */
export class BasicBlock extends Module implements Layer {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly shortcut: { conv: Conv2d; bn: BatchNorm2d } | null;

  constructor(inChannels: number, outChannels: number, stride: number, rng: Rng) {
    super();
    const init: Initializer = (shape, r) => kaimingNormalInit(shape, r, { mode: 'fanOut', nonlinearity: 'relu' });
    this.conv1 = this.addModule(
      'conv1',
      new Conv2d(inChannels, outChannels, 3, { rng, stride, padding: 1, bias: false, weightInit: init }),
    );
    this.bn1 = this.addModule('bn1', new BatchNorm2d(outChannels));
    this.conv2 = this.addModule(
      'conv2',
      new Conv2d(outChannels, outChannels, 3, { rng, padding: 1, bias: false, weightInit: init }),
    );
    this.bn2 = this.addModule('bn2', new BatchNorm2d(outChannels));
    if (stride !== 1 || inChannels !== outChannels) {
      const conv = new Conv2d(inChannels, outChannels, 1, { rng, stride, bias: false, weightInit: init });
      const bn = new BatchNorm2d(outChannels);
      this.addModule('downsample', new ModuleList<Module>([conv, bn])); // torchvision names: downsample.0 / downsample.1
      this.shortcut = { conv, bn };
    } else {
      this.shortcut = null;
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const h = tf.relu(this.bn1.forward(this.conv1.forward(x)));
      const out = this.bn2.forward(this.conv2.forward(h));
      const skip = this.shortcut ? this.shortcut.bn.forward(this.shortcut.conv.forward(x)) : x;
      return tf.relu(out.add(skip));
    });
  }
}

export interface ResNetOptions {
  rng: Rng;
  /** Input channels (default 1). */
  inChannels?: number;
  /** Width of each stage; stage i > 0 halves the resolution (default [16, 32, 64]). */
  widths?: readonly number[];
  /** Basic blocks per stage (default 1; 3 gives the CIFAR ResNet-20 layout). */
  blocksPerStage?: number;
  /** Add a Linear head to this many classes; features only when omitted. */
  numClasses?: number;
}

/**
 * A small CIFAR-style ResNet for 28×28 inputs (He et al., 2016, Sec. 4.2): conv3×3 stem → BN → ReLU,
 * stages of basic blocks, global average pool. x [N, 28, 28, C] → [N, widths.at(-1)] (or logits).
 * Parameter names follow torchvision (`stem.weight`, `stages.0.0.conv1.weight`, `stages.0.0.bn1.running_mean`, …).
 */
export class ResNet extends Module implements Layer {
  readonly stem: Conv2d;
  readonly stemBn: BatchNorm2d;
  readonly stages: ModuleList<ModuleList<BasicBlock>>;
  readonly head: Linear | null;
  readonly featureDim: number;
  private readonly inChannels: number;

  constructor(options: ResNetOptions) {
    super();
    const { rng, inChannels = 1, widths = [16, 32, 64], blocksPerStage = 1, numClasses } = options;
    if (widths.length === 0) throw new LabError('INVALID_ARGUMENT', 'widths: expected at least one stage, got []');
    assertInRange(blocksPerStage, 'blocksPerStage', { min: 1, integer: true });
    this.inChannels = inChannels;
    const init: Initializer = (shape, r) => kaimingNormalInit(shape, r, { mode: 'fanOut', nonlinearity: 'relu' });
    this.stem = this.addModule(
      'stem',
      new Conv2d(inChannels, widths[0]!, 3, { rng, padding: 1, bias: false, weightInit: init }),
    );
    this.stemBn = this.addModule('stem_bn', new BatchNorm2d(widths[0]!));
    this.stages = this.addModule('stages', new ModuleList<ModuleList<BasicBlock>>());
    let c = widths[0]!;
    widths.forEach((w, i) => {
      const stage = new ModuleList<BasicBlock>();
      for (let b = 0; b < blocksPerStage; b++) {
        stage.push(new BasicBlock(c, w, b === 0 && i > 0 ? 2 : 1, rng));
        c = w;
      }
      this.stages.push(stage);
    });
    this.featureDim = c;
    this.head = numClasses === undefined ? null : this.addModule('fc', new Linear(c, numClasses, { rng }));
  }

  /** Pooled features [N, featureDim] (before the head). */
  features(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) {
      throw new LabError(
        'SHAPE_MISMATCH',
        `x: expected NHWC shape [N, H, W, ${this.inChannels}], got [${x.shape.join(', ')}]`,
      );
    }
    return tf.tidy(() => {
      let h = tf.relu(this.stemBn.forward(this.stem.forward(x))); // [N, 28, 28, w0]
      for (const stage of this.stages) for (const block of stage) h = block.forward(h);
      return h.mean([1, 2]); // [N, c]
    });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const f = this.features(x);
      return this.head ? this.head.forward(f) : f;
    });
  }
}
