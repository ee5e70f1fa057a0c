// @lab/cia-lra public API: CIA and CIA-LRA (Wang, Wang, Wang, Ying, NeurIPS 2024) for node-level OOD generalisation.

// ── options, defaults and presets ───────────────────────────────────────────────────────
export {
  defaultLraOptions,
  defaultNodeOODOptions,
  defaultCbasOptions,
  defaultDistanceOptions,
  defaultVrexOptions,
  defaultCiaReplicateOptions,
  nodeOODMethods,
  replicationLambdas,
  PRESETS,
  PRESET_CONFIGS,
  CIA_CRITERIA,
  RANDOM_EDGE_VARIANT,
  ciaArms,
} from './config.js';
export type {
  HopMode,
  LabelScope,
  LraOptions,
  NodeOODMethod,
  NodeOODOptions,
  CbasOptions,
  DistanceOptions,
  VrexOptions,
  CiaReplicateOptions,
  CiaPreset,
  CiaPresetConfig,
  CiaScale,
  CiaArm,
  GridPoint,
} from './config.js';

// ── graph data ──────────────────────────────────────────────────────────────────────────
export { validateNodeGraph, undirectedAdjacency } from './graph.js';
export type { NodeGraph, Adjacency } from './graph.js';
export { cbasGraph, CBAS_COLOURS, loadGoodJson } from './data.js';

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
export type { HopMatrix, LraClassTable, LraPairs } from './cia-lra.js';

// ── model and training ──────────────────────────────────────────────────────────────────
export { NodeGCN } from './model.js';
export type { NodeGCNConfig } from './model.js';
export { trainNodeOOD, resolveNodeOODOptions, crossEnvironmentDistance } from './train.js';
export type { NodeOODResult, TrainHooks, GradientShare } from './train.js';

// ── replication ─────────────────────────────────────────────────────────────────────────
export { replicate, ARM_LABEL } from './replicate.js';
export { ciaChart } from './chart.js';
export type { CiaChartInput } from './chart.js';
