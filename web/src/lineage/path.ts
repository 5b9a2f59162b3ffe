// The lineage path of a node: everything upstream of it (what it reads,
// transitively) and downstream (what reads it), with the edges between them,
// within the graph shown. Selecting a node highlights its path and dims the
// rest, so lineage can be followed with most edges faint or hidden.
import type { Graph } from './graph';

/**
 * The shown graph's adjacency, built once per graph, by node and edge index
 * (the order of graph.nodes and graph.edges): compressed rows, so that
 * 10,000 nodes and 20,000 edges index in a few milliseconds.
 */
export interface GraphIndex {
  graph: Graph;
  index: Map<string, number>;
  /** Each edge's source and target node, -1 for an end not shown. */
  source: Int32Array;
  target: Int32Array;
  /** Edges leaving node v: outEdges[outStart[v] .. outStart[v + 1]); entering: the same with in. */
  outStart: Int32Array;
  outEdges: Int32Array;
  inStart: Int32Array;
  inEdges: Int32Array;
}

/** Edge indices grouped by a node of each edge (compressed rows). */
function rows(n: number, by: Int32Array): { start: Int32Array; edges: Int32Array } {
  const start = new Int32Array(n + 1);
  for (let e = 0; e < by.length; e++) if (by[e] >= 0) start[by[e] + 1]++;
  for (let v = 0; v < n; v++) start[v + 1] += start[v];
  const fill = start.slice(0, n);
  const edges = new Int32Array(start[n]);
  for (let e = 0; e < by.length; e++) if (by[e] >= 0) edges[fill[by[e]]++] = e;
  return { start, edges };
}

export function indexGraph(graph: Graph): GraphIndex {
  const n = graph.nodes.length;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(graph.nodes[i].unique_id, i);
  const m = graph.edges.length;
  const source = new Int32Array(m);
  const target = new Int32Array(m);
  for (let e = 0; e < m; e++) {
    const s = index.get(graph.edges[e].source);
    const t = index.get(graph.edges[e].target);
    const shown = s !== undefined && t !== undefined;
    source[e] = shown ? s : -1;
    target[e] = shown ? t : -1;
  }
  const out = rows(n, source);
  const inn = rows(n, target);
  return { graph, index, source, target, outStart: out.start, outEdges: out.edges, inStart: inn.start, inEdges: inn.edges };
}

export interface LineagePath {
  /** The selected node. */
  id: string;
  /** unique_ids on the path, the selected node included. */
  nodes: Set<string>;
  /** Indices (in graph.edges) of the edges on the path. */
  edges: Set<number>;
  upstream: number;
  downstream: number;
}

/** The selected node's upstream and downstream in the shown graph, or null when it is not shown. */
export function pathThrough(ix: GraphIndex, id: string): LineagePath | null {
  const start = ix.index.get(id);
  if (start === undefined) return null;
  const nodes = new Set<number>([start]);
  const edges = new Set<number>();
  // Walks one direction; a node reached both ways (only on a cycle) counts once.
  const walk = (first: Int32Array, list: Int32Array, end: Int32Array): number => {
    const seen = new Set<number>([start]);
    const queue = [start];
    for (let head = 0; head < queue.length; head++) {
      const v = queue[head];
      for (let k = first[v]; k < first[v + 1]; k++) {
        const e = list[k];
        edges.add(e);
        const next = end[e];
        if (seen.has(next)) continue;
        seen.add(next);
        nodes.add(next);
        queue.push(next);
      }
    }
    return seen.size - 1;
  };
  const upstream = walk(ix.inStart, ix.inEdges, ix.source);
  const downstream = walk(ix.outStart, ix.outEdges, ix.target);
  return {
    id,
    nodes: new Set([...nodes].map((i) => ix.graph.nodes[i].unique_id)),
    edges,
    upstream,
    downstream,
  };
}
