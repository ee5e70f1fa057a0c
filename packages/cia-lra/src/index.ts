// @lab/cia-lra public API: CIA and CIA-LRA (Wang, Wang, Wang, Ying, NeurIPS 2024) for node-level OOD generalisation.

// ── options ─────────────────────────────────────────────────────────────────────────────
export { defaultLraOptions, defaultNodeOODOptions, nodeOODMethods, replicationLambdas } from './config.js';
export type { HopMode, LabelScope, LraOptions, NodeOODMethod, NodeOODOptions } from './config.js';

// ── graph data ──────────────────────────────────────────────────────────────────────────
export { validateNodeGraph, undirectedAdjacency } from './graph.js';
export type { NodeGraph, Adjacency } from './graph.js';
export { cbasGraph, defaultCbasOptions, CBAS_COLOURS, loadGoodJson } from './data.js';
export type { CbasOptions } from './data.js';

// ── the maths: pair tables and losses ───────────────────────────────────────────────────
export {
  hopMatrix,
  neighbourLabelDist,
  lraPairs,
  resolveLraOptions,
  ciaLoss,
  ciaLraLoss,
  irmPenalty,
  vrexPenalty,
  groupDroLoss,
  coralPenalty,
  nodeCrossEntropy,
  envRisks,
} from './cia-lra.js';
export type { HopMatrix, LraClassTable, LraPairs, DistanceOptions } from './cia-lra.js';

// ── model and training ──────────────────────────────────────────────────────────────────
export { NodeGCN } from './model.js';
export type { NodeGCNConfig } from './model.js';
export { trainNodeOOD, resolveNodeOODOptions, crossEnvironmentDistance } from './train.js';
export type { NodeOODResult, TrainHooks } from './train.js';

// ── replication ─────────────────────────────────────────────────────────────────────────
export { replicate } from './replicate.js';
export type { CiaReplicateOptions } from './replicate.js';
