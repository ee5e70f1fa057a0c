import { BatchNorm1d, Dropout, LabError, Linear, Module, Rng, assertInRange, strictOptions, tf } from '@lab/core';
import { GCNConv, type GraphStructure } from '@lab/graph';

/** Shape of {@link NodeGCN}. */
export interface NodeGCNConfig {
  inDim: number;
  /** Hidden width (official 300; the miniature 64). */
  hidden: number;
  /** GCN layers (official 3). */
  layers: number;
  classes: number;
  /** Dropout after every layer (official 0.5). */
  dropout: number;
  seed: number;
}

/**
 * The backbone of the official code (`CIAGCNs.py`: `CIAGCN`, `GCNEncoder`; GOOD's GCN feature
 * extractor): `layers` × (GCNConv → BatchNorm1d → ReLU → Dropout) with no ReLU after the last layer;
 * `rep` is the encoder output and `logits = Linear(hidden, classes)(rep)`. GCNConv is core's
 * (PyG `gcn_norm`: self-loops of weight 1, symmetric normalisation).
 */
export class NodeGCN extends Module {
  readonly convs: GCNConv[] = [];
  readonly norms: BatchNorm1d[] = [];
  readonly drops: Dropout[] = [];
  readonly classifier: Linear;

  constructor(readonly cfg: NodeGCNConfig) {
    super();
    // Every key is required: NaN placeholders give the type check and make a missing key fail its range check.
    strictOptions(
      cfg,
      { inDim: NaN, hidden: NaN, layers: NaN, classes: NaN, dropout: NaN, seed: NaN },
      'NodeGCN config',
    );
    for (const key of ['inDim', 'hidden', 'layers', 'classes'] as const) {
      if (!Number.isInteger(cfg[key]) || cfg[key] < 1)
        throw new LabError('OUT_OF_RANGE', `NodeGCN ${key}: expected a positive integer, got ${cfg[key]}`);
    }
    assertInRange(cfg.dropout, 'dropout', { min: 0, max: 1, maxExclusive: true });
    const rng = new Rng(cfg.seed);
    for (let l = 0; l < cfg.layers; l++) {
      const inDim = l === 0 ? cfg.inDim : cfg.hidden;
      this.convs.push(
        this.addModule(`conv${l}`, new GCNConv({ inDim, outDim: cfg.hidden, seed: rng.fork(`conv${l}`).tfSeed() })),
      );
      this.norms.push(this.addModule(`bn${l}`, new BatchNorm1d(cfg.hidden)));
      this.drops.push(this.addModule(`drop${l}`, new Dropout(cfg.dropout, { rng: rng.fork(`dropout${l}`) })));
    }
    this.classifier = this.addModule(
      'classifier',
      new Linear(cfg.hidden, cfg.classes, { rng: rng.fork('classifier') }),
    );
  }

  /**
   * Full-graph forward pass. x [N, inDim] → `{ rep [N, hidden], logits [N, classes] }`. `training`
   * switches BatchNorm (batch statistics, running-stat updates) and dropout on. `edgeWeight` [E]
   * (optional, differentiable) weights the edges in every convolution.
   */
  apply(
    x: tf.Tensor2D,
    g: GraphStructure,
    training: boolean,
    edgeWeight?: tf.Tensor1D,
  ): { logits: tf.Tensor2D; rep: tf.Tensor2D } {
    this.train(training);
    return tf.tidy(() => {
      let h = x;
      for (let l = 0; l < this.cfg.layers; l++) {
        let post = this.norms[l]!.forward(this.convs[l]!.forward(h, g, edgeWeight)) as tf.Tensor2D; // [N, hidden]
        if (l < this.cfg.layers - 1) post = tf.relu(post);
        h = this.drops[l]!.forward(post) as tf.Tensor2D; // [N, hidden]
      }
      const logits = this.classifier.forward(h) as tf.Tensor2D; // [N, classes]
      return { logits, rep: h };
    });
  }
}
