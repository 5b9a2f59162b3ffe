// A layered (left-to-right) layout for lineage graphs, linear in the size of
// the graph so that 5,000 nodes lay out in a few tens of milliseconds.
//
// Why not dagre or elkjs: both insert a dummy node per rank crossed by each
// long edge, and dbt graphs are full of long edges (a source read by a mart
// many levels down). Measured on a synthetic 8-level graph: dagre 67 s for
// 1,000 nodes (2.7 s with the longest-path ranker), elkjs 5.4 s for 1,000
// and 195 s for 5,000. This layout keeps the classic steps (rank by longest
// path, order each rank by the barycenter of its neighbours in alternating
// sweeps) without dummy nodes.

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 44;
const RANK_GAP = 100;
const ROW_GAP = 16;
const SWEEPS = 4;

export interface Point {
  x: number;
  y: number;
}

interface Link {
  source: string;
  target: string;
}

/** Top-left positions of the nodes, keyed by id. Deterministic for a given input. */
export function layeredLayout(ids: string[], links: Link[]): Map<string, Point> {
  const n = ids.length;
  const index = new Map(ids.map((id, i) => [id, i]));
  const parents: number[][] = ids.map(() => []);
  const children: number[][] = ids.map(() => []);
  for (const l of links) {
    const s = index.get(l.source);
    const t = index.get(l.target);
    if (s === undefined || t === undefined || s === t) continue;
    children[s].push(t);
    parents[t].push(s);
  }

  const rank = longestPathRanks(parents, children);
  const layers: number[][] = [];
  // Start from the input order (stable for a given lineage), then sweep.
  for (let i = 0; i < n; i++) (layers[rank[i]] ??= []).push(i);

  const y = new Float64Array(n);
  const place = (layer: number[]) => {
    const top = (-(layer.length - 1) * (NODE_HEIGHT + ROW_GAP)) / 2;
    layer.forEach((v, i) => (y[v] = top + i * (NODE_HEIGHT + ROW_GAP)));
  };
  layers.forEach((layer) => layer && place(layer));

  const reorder = (layer: number[], neighbours: number[][]) => {
    const key = new Map<number, number>();
    for (const v of layer) {
      const ns = neighbours[v];
      key.set(v, ns.length === 0 ? y[v] : ns.reduce((sum, u) => sum + y[u], 0) / ns.length);
    }
    layer.sort((a, b) => key.get(a)! - key.get(b)! || y[a] - y[b]);
    place(layer);
  };
  for (let s = 0; s < SWEEPS; s++) {
    for (let r = 1; r < layers.length; r++) if (layers[r]) reorder(layers[r], parents);
    for (let r = layers.length - 2; r >= 0; r--) if (layers[r]) reorder(layers[r], children);
  }

  const out = new Map<string, Point>();
  for (let i = 0; i < n; i++) out.set(ids[i], { x: rank[i] * (NODE_WIDTH + RANK_GAP), y: y[i] });
  return out;
}

/** Rank of each node: 0 for nodes without parents, else one more than its highest parent. */
function longestPathRanks(parents: number[][], children: number[][]): Int32Array {
  const n = parents.length;
  const rank = new Int32Array(n);
  const pending = Int32Array.from(parents, (p) => p.length);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (pending[i] === 0) queue.push(i);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    for (const c of children[v]) {
      rank[c] = Math.max(rank[c], rank[v] + 1);
      if (--pending[c] === 0) queue.push(c);
    }
  }
  // Nodes on a cycle (not expected in dbt) keep the rank their processed parents gave them.
  return rank;
}
