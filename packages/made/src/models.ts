import { LabError, Linear, Module, Rng, strictOptions, tf } from '@lab/core';
import { GCNConv, GINConv, SAGEConv, globalPool, nodeFeatures, type GraphBatch, type PoolingKind } from '@lab/graph';
import { stopGradient, symmetricEdgeMask } from './made.js';

/** Backbone of a {@link GraphClassifier}. */
export type Architecture = 'gin' | 'gcn' | 'sage';

/** Shape of a graph classifier. Victim defaults of the spec (§2.2, §5): hidden 32–64, 3–5 layers. */
export interface GraphClassifierConfig {
  arch: Architecture;
  inDim: number;
  hidden: number;
  layers: number;
  classes: number;
  seed: number;
  /** Readout; default sum for GIN (Xu et al.), mean for GCN and SAGE. */
  pooling?: PoolingKind;
  /** ReLU after the last convolution too (default: false for GIN, whose MLP ends in a Linear; true for GCN/SAGE), as the golden file. */
  finalActivation?: boolean;
}

/** Output of {@link GraphClassifier.apply}. */
export interface ClassifierOutput {
  /** [numGraphs, classes]. */
  logits: tf.Tensor2D;
  /** Last-layer node embeddings [N, hidden]. */
  nodeH: tf.Tensor2D;
  /** First-layer node embeddings [N, hidden] (what the mask generator reads). */
  firstH: tf.Tensor2D;
}

/** Refuses a config object that lacks one of the `required` keys (strictOptions fills absent keys from defaults). */
function requireKeys(config: object, required: readonly string[], where: string): void {
  if (config === null || typeof config !== 'object')
    throw new LabError('INVALID_ARGUMENT', `${where}: expected an object, got ${String(config)}`);
  for (const key of required)
    if ((config as Record<string, unknown>)[key] === undefined)
      throw new LabError('INVALID_ARGUMENT', `${key}: required in the ${where}`);
}

// Types and key list of a config; every required value is checked for presence before it is merged.
const classifierTemplate: GraphClassifierConfig = {
  arch: 'gin',
  inDim: 1,
  hidden: 1,
  layers: 1,
  classes: 2,
  seed: 0,
  pooling: undefined,
  finalActivation: undefined,
};

/**
 * An edge-weighted graph classifier: `layers` convolutions (ReLU between them), a global pooling and a
 * Linear head. The edge weights `w` [E] multiply every message, so a learned mask's gradient flows
 * into it. Owns its variables (core nn Module): `parameters()`, `dispose()`.
 */
export class GraphClassifier extends Module {
  readonly convs: (GINConv | GCNConv | SAGEConv)[] = [];
  readonly head: Linear;
  readonly pooling: PoolingKind;
  readonly finalActivation: boolean;

  readonly config: GraphClassifierConfig;

  constructor(config: GraphClassifierConfig) {
    super();
    requireKeys(config, ['arch', 'inDim', 'hidden', 'layers', 'classes', 'seed'], 'GraphClassifier config');
    this.config = strictOptions<GraphClassifierConfig>(config, classifierTemplate, 'GraphClassifier config', {
      arch: ['gin', 'gcn', 'sage'],
      inDim: { min: 1, integer: true },
      hidden: { min: 1, integer: true },
      layers: { min: 1, integer: true },
      classes: { min: 2, integer: true },
      pooling: ['sum', 'mean', 'max'],
    });
    const { arch, inDim, hidden, layers, classes, seed } = this.config;
    const rng = new Rng(seed);
    for (let l = 0; l < layers; l++) {
      const cfg = { inDim: l === 0 ? inDim : hidden, outDim: hidden, seed: rng.fork(`conv${l}`).tfSeed() };
      const conv = arch === 'gin' ? new GINConv(cfg) : arch === 'gcn' ? new GCNConv(cfg) : new SAGEConv(cfg);
      this.convs.push(this.addModule(`conv${l}`, conv));
    }
    this.head = this.addModule('head', new Linear(hidden, classes, { rng: rng.fork('head') }));
    this.pooling = config.pooling ?? (arch === 'gin' ? 'sum' : 'mean');
    this.finalActivation = config.finalActivation ?? arch !== 'gin';
  }

  /** Forward pass on a batch; `w` [E] are edge weights (default 1). Returns logits and node embeddings. */
  apply(b: GraphBatch, w?: tf.Tensor1D): ClassifierOutput {
    if (b.featDim !== this.config.inDim)
      throw new LabError('SHAPE_MISMATCH', `batch.featDim: expected ${this.config.inDim}, got ${b.featDim}`);
    return tf.tidy(() => {
      let h = nodeFeatures(b); // [N, F]
      let firstH: tf.Tensor2D | undefined;
      this.convs.forEach((conv, l) => {
        h = conv.forward(h, b, w); // [N, hidden]
        if (l < this.convs.length - 1 || this.finalActivation) h = tf.relu(h) as tf.Tensor2D;
        firstH ??= h;
      });
      const pooled = globalPool(h, b.batch, b.numGraphs, this.pooling); // [G, hidden]
      return { logits: this.head.forward(pooled) as tf.Tensor2D, nodeH: h, firstH: firstH! };
    });
  }

  /** A copy with the same architecture and current weights (independent variables). */
  clone(): GraphClassifier {
    const copy = new GraphClassifier(this.config);
    copy.loadStateDict(this.stateDict());
    return copy;
  }
}

/** GIN classifier (Xu et al., ICLR 2019): sum pooling by default. */
export class GIN extends GraphClassifier {
  constructor(cfg: Omit<GraphClassifierConfig, 'arch'>) {
    super({ ...cfg, arch: 'gin' });
  }
}

/** GCN classifier (Kipf & Welling, ICLR 2017): mean pooling by default. */
export class GCN extends GraphClassifier {
  constructor(cfg: Omit<GraphClassifierConfig, 'arch'>) {
    super({ ...cfg, arch: 'gcn' });
  }
}

/** GraphSAGE-mean classifier (Hamilton et al., NeurIPS 2017): mean pooling by default. */
export class GraphSAGE extends GraphClassifier {
  constructor(cfg: Omit<GraphClassifierConfig, 'arch'>) {
    super({ ...cfg, arch: 'sage' });
  }
}

/** Shape of an {@link EdgeMaskGenerator}. */
export interface EdgeMaskGeneratorConfig {
  /** Width of the node embeddings it reads. */
  embDim: number;
  /** MLP hidden width (64, reconstructed). */
  hidden?: number;
  /** τ_m of `σ(s/τ_m)` (1). */
  temperature?: number;
  seed: number;
}

/**
 * Edge-mask generator [R, PGExplainer-style, shared across graphs]: `s_uv = MLP_φ([h_u ‖ h_v])` (Lin → ReLU
 * → Lin to a scalar), `m = ½(σ(s_uv/τ) + σ(s_vu/τ))`. The embeddings are read under stop-gradient, so
 * only φ learns from the mask objective.
 */
export class EdgeMaskGenerator extends Module {
  readonly lin1: Linear;
  readonly lin2: Linear;
  readonly temperature: number;

  readonly config: EdgeMaskGeneratorConfig;

  constructor(config: EdgeMaskGeneratorConfig) {
    super();
    requireKeys(config, ['embDim', 'seed'], 'EdgeMaskGenerator config');
    this.config = config;
    const { embDim, hidden, temperature, seed } = strictOptions<Required<EdgeMaskGeneratorConfig>>(
      config,
      { embDim: 1, hidden: 64, temperature: 1, seed: 0 },
      'EdgeMaskGenerator config',
      {
        embDim: { min: 1, integer: true },
        hidden: { min: 1, integer: true },
        temperature: { min: 0, minExclusive: true },
      },
    );
    const rng = new Rng(seed);
    this.temperature = temperature;
    this.lin1 = this.addModule('lin1', new Linear(2 * embDim, hidden, { rng: rng.fork('lin1') }));
    this.lin2 = this.addModule('lin2', new Linear(hidden, 1, { rng: rng.fork('lin2') }));
  }

  /** Mask logits `s` [E] from node embeddings [N, embDim] (read under stop-gradient). */
  logits(nodeH: tf.Tensor2D, b: { src: Int32Array; dst: Int32Array }): tf.Tensor1D {
    return tf.tidy(() => {
      const h = stopGradient(nodeH) as tf.Tensor2D;
      const pair = tf.concat([tf.gather(h, tf.tensor1d(b.src, 'int32')), tf.gather(h, tf.tensor1d(b.dst, 'int32'))], 1); // [E, 2·emb]
      return this.lin2.forward(tf.relu(this.lin1.forward(pair))).reshape([-1]) as tf.Tensor1D; // [E]
    });
  }

  /** The symmetric mask m [E] in (0, 1). */
  apply(nodeH: tf.Tensor2D, b: { src: Int32Array; dst: Int32Array }): tf.Tensor1D {
    return tf.tidy(() => symmetricEdgeMask(this.logits(nodeH, b), this.temperature));
  }
}
