// @lab/graph public API: graphs, message passing, GNN layers, generators and TU datasets on @lab/core.
// Every public name is listed here explicitly.

// ── graph stack (owner: graph) ──────────────────────────────────────────────────────────
export {
  validateGraph,
  makeGraph,
  undirectedEdges,
  undirectedPairs,
  inDegree,
  degreeOneHot,
  bfsDistances,
  csr,
  batchGraphs,
  nodeFeatures,
  edgeIndexTensor,
} from './graph.js';
export type { GraphStructure, Graph, GraphBatch, GraphValidationOptions, GraphInit } from './graph.js';
export {
  gatherNodes,
  segmentSum,
  propagate,
  propagateMean,
  segmentSoftmax,
  globalSumPool,
  globalMeanPool,
  globalMaxPool,
  globalPool,
} from './message-passing.js';
export type { PoolingKind } from './message-passing.js';
export type { GraphLayerConfig } from './conv/layer-config.js';
export { gcnNorm, gcnConv, GCNConv } from './conv/gcn-conv.js';
export type { GCNConvParams } from './conv/gcn-conv.js';
export { ginAggregate, ginConv, GINConv } from './conv/gin-conv.js';
export type { GINConvParams } from './conv/gin-conv.js';
export { sageConv, SAGEConv } from './conv/sage-conv.js';
export type { SAGEConvParams } from './conv/sage-conv.js';
export { gatConv, GATConv } from './conv/gat-conv.js';
export type { GATConvParams, GATConvOptions } from './conv/gat-conv.js';
export {
  erdosRenyiEdges,
  barabasiAlbertEdges,
  wattsStrogatzEdges,
  motif,
  graphFromPairs,
  baShapes,
  defaultBAShapesOptions,
  stochasticBlockModel,
  defaultSBMOptions,
  graphClassificationDataset,
  defaultGraphDatasetOptions,
} from './generators.js';
export type {
  EdgePairs,
  MotifKind,
  GeneratedFeatures,
  BAShapesOptions,
  SBMOptions,
  GraphFamily,
  GraphDatasetOptions,
} from './generators.js';
export { parseTUDataset, loadTUDataset, defaultTUDatasetOptions } from './tu-dataset.js';
export type { TUDatasetOptions, TUDataset } from './tu-dataset.js';
export { stratifiedSplit } from './split.js';
export type { StratifiedSplitOptions, StratifiedSplit } from './split.js';
