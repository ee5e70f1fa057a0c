import type { GraphStructure } from './graph.js';

/*
 * The two self-loop rules of PyG's `torch_geometric.utils.loop`, on the host (structure only; the
 * weights are gathered with the returned indices so they stay differentiable).
 */

/**
 * PyG `add_remaining_self_loops(edge_index, edge_weight, fill_value=1)`: an existing loop `i → i` is
 * kept with its weight and no second loop is added; a node without one gets a loop of weight 1.
 * Returns, per node, the index of the edge whose weight is the node's loop weight (`E`, one past the
 * last edge, when the node has no loop and gets the fill value) and, per edge, 1 for an edge between
 * two different nodes and 0 for a loop (the loop is counted once, through `loopEdge`). When a node has
 * several loops the last one in edge order gives the weight (PyG assigns them in order, last wins).
 */
export function remainingSelfLoops(g: GraphStructure): { loopEdge: Int32Array; offDiagonal: Float32Array } {
  const e = g.src.length;
  const loopEdge = new Int32Array(g.numNodes).fill(e);
  const offDiagonal = new Float32Array(e);
  for (let k = 0; k < e; k++) {
    if (g.src[k] === g.dst[k]) loopEdge[g.src[k]!] = k;
    else offDiagonal[k] = 1;
  }
  return { loopEdge, offDiagonal };
}

/**
 * PyG `remove_self_loops` then `add_self_loops`: every existing loop is dropped and each node gets
 * exactly one loop. Returns the kept edge indices and the new structure (kept edges in order, then
 * the loops `0 → 0, …, N−1 → N−1`).
 */
export function replacedSelfLoops(g: GraphStructure): { keep: Int32Array; src: Int32Array; dst: Int32Array } {
  const keep: number[] = [];
  for (let k = 0; k < g.src.length; k++) if (g.src[k] !== g.dst[k]) keep.push(k);
  const n = g.numNodes;
  const src = new Int32Array(keep.length + n);
  const dst = new Int32Array(keep.length + n);
  keep.forEach((k, i) => {
    src[i] = g.src[k]!;
    dst[i] = g.dst[k]!;
  });
  for (let i = 0; i < n; i++) src[keep.length + i] = dst[keep.length + i] = i;
  return { keep: Int32Array.from(keep), src, dst };
}
