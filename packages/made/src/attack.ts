import { LabError, Rng, strictOptions } from '@lab/core';
import {
  barabasiAlbertEdges,
  erdosRenyiEdges,
  undirectedEdges,
  undirectedPairs,
  validateGraph,
  wattsStrogatzEdges,
  type EdgePairs,
  type Graph,
} from '@lab/graph';
import { defaultTriggerOptions, triggerChecks, type FeatureTrigger, type TriggerOptions } from './config.js';

/*
 * Subgraph-trigger backdoor (SBA: Zhang, Jia, Wang, Gong, "Backdoor Attacks to Graph Neural Networks",
 * SACMAT 2021; read from zaixizhang/graphbackdoor util.py / main_backdoor.py). One trigger graph for the
 * whole attack; in each poisoned graph, n_t random nodes lose every edge among them, receive the
 * trigger's edges, and the graph is relabelled to the target class.
 */

/** Draws the attack's one trigger graph over nodes 0..size−1 (ER/SW/BA redrawn until it has an edge). */
export function makeTrigger(options: Partial<TriggerOptions> = {}): EdgePairs {
  return drawTrigger(resolveTriggerOptions(options, 'makeTrigger options'));
}

const triggerDefaults: TriggerOptions = {
  ...defaultTriggerOptions,
  edges: undefined,
  sourceClasses: undefined,
  featureTrigger: undefined,
  featurize: undefined,
};

function resolveTriggerOptions(options: Partial<TriggerOptions>, where: string): TriggerOptions {
  return strictOptions(options, triggerDefaults, where, triggerChecks);
}

function drawTrigger(o: TriggerOptions): EdgePairs {
  if (o.kind === 'fixed') {
    if (o.edges) {
      for (const [u, v] of o.edges) {
        if (u < 0 || v < 0 || u >= o.size || v >= o.size || u === v)
          throw new LabError(
            'OUT_OF_RANGE',
            `edges: trigger edge (${u}, ${v}) must join two distinct nodes in [0, ${o.size})`,
          );
      }
      return o.edges.map(([u, v]) => [Math.min(u, v), Math.max(u, v)] as [number, number]);
    }
    const out: EdgePairs = [];
    for (let u = 0; u < o.size; u++) for (let v = u + 1; v < o.size; v++) out.push([u, v]);
    return out;
  }
  const rng = new Rng(o.seed).fork('trigger');
  for (let attempt = 0; attempt < 100; attempt++) {
    let edges: EdgePairs;
    if (o.kind === 'ER') edges = erdosRenyiEdges(o.size, o.p, rng);
    else if (o.kind === 'SW') edges = wattsStrogatzEdges(o.size, o.k, o.p, rng);
    else edges = barabasiAlbertEdges(o.size, o.k, rng);
    if (edges.length > 0) return edges;
  }
  throw new LabError(
    'INVALID_ARGUMENT',
    `p: a ${o.kind}(${o.size}, ${o.p}) trigger came out empty 100 times; raise p or size`,
  );
}

/**
 * Plants a trigger on chosen nodes (SBA semantics, golden `sba_injected_edges_g0`): delete every edge among
 * `nodes`, add `trigger[a, b]` as `nodes[a] – nodes[b]`, rebuild the reverse-pair layout (pairs sorted),
 * recompute features with `featurize`, then apply the feature trigger. The label is left unchanged.
 */
export function plantTrigger(
  g: Graph,
  nodes: readonly number[],
  trigger: EdgePairs,
  options: { featureTrigger?: FeatureTrigger; featurize?: (g: Graph) => Float32Array } = {},
): Graph {
  const { featureTrigger, featurize } = strictOptions(options, plantDefaults, 'plantTrigger options');
  return plant(g, nodes, trigger, featureTrigger, featurize);
}

interface PlantOptions {
  featureTrigger?: FeatureTrigger;
  featurize?: (g: Graph) => Float32Array;
}
const plantDefaults: PlantOptions = {
  featureTrigger: undefined,
  featurize: undefined,
};

function plant(
  g: Graph,
  nodes: readonly number[],
  trigger: EdgePairs,
  featureTrigger: FeatureTrigger | undefined,
  featurize: ((g: Graph) => Float32Array) | undefined,
): Graph {
  const chosen = new Set(nodes);
  if (chosen.size !== nodes.length)
    throw new LabError('INVALID_ARGUMENT', `nodes: expected distinct nodes, got [${nodes.join(', ')}]`);
  for (const v of nodes)
    if (v < 0 || v >= g.numNodes) throw new LabError('OUT_OF_RANGE', `nodes: node ${v} outside [0, ${g.numNodes})`);
  const kept = undirectedPairs(g).filter(([u, v]) => !(chosen.has(u) && chosen.has(v)));
  const added = trigger.map(([a, b]) => {
    if (a >= nodes.length || b >= nodes.length)
      throw new LabError(
        'OUT_OF_RANGE',
        `trigger: edge (${a}, ${b}) needs ${Math.max(a, b) + 1} chosen nodes, got ${nodes.length}`,
      );
    const u = nodes[a]!;
    const v = nodes[b]!;
    return [Math.min(u, v), Math.max(u, v)] as [number, number];
  });
  const seen = new Set<number>();
  const pairs = [...kept, ...added]
    .filter(([u, v]) => {
      const key = u * g.numNodes + v;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const { src, dst } = undirectedEdges(pairs);
  const out: Graph = { ...g, src, dst, x: g.x.slice() };
  delete out.edgeWeight;
  if (featurize) out.x = featurize(out);
  if (featureTrigger) {
    const { dims, values } = featureTrigger;
    if (dims.length !== values.length)
      throw new LabError(
        'SHAPE_MISMATCH',
        `featureTrigger: dims (${dims.length}) and values (${values.length}) differ in length`,
      );
    for (const d of dims)
      if (d < 0 || d >= g.featDim)
        throw new LabError('OUT_OF_RANGE', `featureTrigger.dims: ${d} outside [0, ${g.featDim})`);
    for (const v of nodes) dims.forEach((d, i) => (out.x[v * g.featDim + d] = values[i]!));
  }
  return out;
}

/** Result of {@link injectSubgraphTrigger}. */
export interface PoisonedSet {
  /** The training set with the poisoned graphs replaced (same order). */
  graphs: Graph[];
  /** Indices of the poisoned graphs. */
  poisoned: Int32Array;
  /** The trigger's edges over 0..size−1. */
  trigger: EdgePairs;
  /** The nodes each poisoned graph received the trigger on (aligned with `poisoned`): the trigger edges are the edges among them. */
  triggerNodes: Int32Array[];
}

/**
 * Poisons `rate·|graphs|` training graphs (drawn from `sourceClasses`, default every class ≠ target) with one
 * subgraph trigger and relabels them to `target` (SBA dirty-label attack, spec §2.2).
 */
export function injectSubgraphTrigger(graphs: readonly Graph[], options: Partial<TriggerOptions> = {}): PoisonedSet {
  const o = resolveTriggerOptions(options, 'injectSubgraphTrigger options');
  if (graphs.length === 0) throw new LabError('EMPTY_INPUT', 'graphs: expected a non-empty training set');
  const classes = new Set(
    graphs.map((g, i) => {
      if (g.label === undefined)
        throw new LabError('INVALID_ARGUMENT', `graphs[${i}].label: every training graph needs a label`);
      return g.label;
    }),
  );
  if (!classes.has(o.target))
    throw new LabError(
      'OUT_OF_RANGE',
      `target: expected one of the classes {${[...classes].sort().join(', ')}}, got ${o.target}`,
    );
  const sources = new Set(o.sourceClasses ?? [...classes].filter((c) => c !== o.target));
  const trigger = drawTrigger(o);
  const rng = new Rng(o.seed).fork('poison');
  const candidates = graphs
    .map((g, i) => i)
    .filter((i) => sources.has(graphs[i]!.label!) && graphs[i]!.numNodes >= o.size);
  const count = Math.round(o.rate * graphs.length);
  if (count > candidates.length) {
    throw new LabError(
      'OUT_OF_RANGE',
      `rate: ${o.rate} × ${graphs.length} = ${count} graphs to poison, but only ${candidates.length} graphs of the source classes have ≥ ${o.size} nodes`,
    );
  }
  const chosen = rng
    .shuffle(candidates)
    .slice(0, count)
    .sort((a, b) => a - b);
  const out = graphs.slice();
  const triggerNodes: Int32Array[] = [];
  for (const i of chosen) {
    const g = graphs[i]!;
    const nodes = Array.from(rng.sampleWithoutReplacement(g.numNodes, o.size));
    const planted = plant(g, nodes, trigger, o.featureTrigger, o.featurize);
    planted.label = o.target;
    out[i] = planted;
    triggerNodes.push(Int32Array.from(nodes));
  }
  return { graphs: out, poisoned: Int32Array.from(chosen), trigger, triggerNodes };
}

/** Every test graph whose label ≠ target, with the trigger planted on random nodes (true labels kept) — the ASR set. */
export function triggerTestSet(
  graphs: readonly Graph[],
  trigger: EdgePairs,
  target: number,
  seed: number,
  options: { featureTrigger?: FeatureTrigger; featurize?: (g: Graph) => Float32Array; size?: number } = {},
): Graph[] {
  const o = strictOptions<PlantOptions & { size?: number }>(
    options,
    { ...plantDefaults, size: undefined },
    'triggerTestSet options',
    {
      size: { min: 2, integer: true },
    },
  );
  if (!Number.isInteger(target) || target < 0)
    throw new LabError('OUT_OF_RANGE', `target: expected a class index (an integer >= 0), got ${target}`);
  const size = o.size ?? 1 + Math.max(...trigger.flat());
  const rng = new Rng(seed).fork('trigger-test');
  return graphs
    .filter((g) => g.label !== target && g.numNodes >= size)
    .map((g) => {
      validateGraph(g, 'test graph');
      const nodes = Array.from(rng.sampleWithoutReplacement(g.numNodes, size));
      return plant(g, nodes, trigger, o.featureTrigger, o.featurize);
    });
}
