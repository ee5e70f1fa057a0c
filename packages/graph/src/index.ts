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
  gcnNorm,
  segmentSoftmax,
  globalSumPool,
  globalMeanPool,
  globalMaxPool,
  globalPool,
} from './message-passing.js';
export type { PoolingKind } from './message-passing.js';
export { gcnConv, ginAggregate, ginConv, sageConv, gatConv, GCNConv, GINConv, SAGEConv, GATConv } from './layers.js';
export type {
  GCNConvParams,
  GINConvParams,
  SAGEConvParams,
  GATConvParams,
  GATConvOptions,
  GraphLayerConfig,
} from './layers.js';
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
