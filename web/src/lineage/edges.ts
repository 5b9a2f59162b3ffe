// Which edges the lineage draws, and how: one layer under the nodes with a
// single SVG path per style (EdgeLayer), never an element per edge.
// Measured at 10,000 models, React Flow's per-edge work (lookups,
// visibility checks, thousands of SVG paths) was most of the time of every
// view change and of every frame of a pan. The layer lies in React Flow's
// viewport, so a pan moves it with the nodes without redrawing it; it is
// redrawn only when the region of the graph held around the view changes.
// (A canvas under the nodes was tried first: being composited, it made
// Chromium composite every node above it, and frames got slower.)
// What is drawn is chosen for what it tells:
//
// - the selected node's path (upstream and downstream), always, highlighted;
// - edges added or removed, and edges touching a change or carrying its
//   impact downstream, always, in colour;
// - the other edges faint, only when zoomed in enough to read the nodes they
//   join (below that they only made grey walls), and never more than
//   MAX_BACKGROUND at once;
// - with a selection, everything off its path dimmed.
import { categoryOf } from './graph';
import type { GraphIndex, LineagePath } from './path';
import { NODE_HEIGHT, NODE_WIDTH } from './layout';

/** Below this zoom the plain edges are hidden; from EDGE_FULL_ZOOM they are at full strength. */
export const EDGE_MIN_ZOOM = 0.35;
export const EDGE_FULL_ZOOM = 0.6;
/** More plain edges than this around the view are not drawn (unreadable, and costly). */
export const MAX_BACKGROUND = 4000;

export const BACKGROUND = 0;
export const TELLING = 1;
export const ADDED = 2;
export const REMOVED = 3;
export type EdgeClass = typeof BACKGROUND | typeof TELLING | typeof ADDED | typeof REMOVED;

/** Each edge's class, by index in graph.edges. */
export function classifyEdges(ix: GraphIndex): Uint8Array {
  const { nodes, edges } = ix.graph;
  const changed = new Uint8Array(nodes.length);
  const impacted = new Uint8Array(nodes.length);
  nodes.forEach((n, i) => {
    const c = categoryOf(n);
    changed[i] = c === 'added' || c === 'removed' || c === 'modified' ? 1 : 0;
    impacted[i] = n.impacted ? 1 : 0;
  });
  const out = new Uint8Array(edges.length);
  for (let i = 0; i < edges.length; i++) {
    const s = ix.source[i];
    const t = ix.target[i];
    if (edges[i].change === 'added') out[i] = ADDED;
    else if (edges[i].change === 'removed') out[i] = REMOVED;
    else if (s >= 0 && (changed[s] || changed[t] || (impacted[s] && impacted[t]))) out[i] = TELLING;
    else out[i] = BACKGROUND;
  }
  return out;
}

/**
 * Each edge's end points in flow coordinates, 4 numbers per edge: from the
 * right middle of its source to the left middle of its target (where React
 * Flow puts handles); NaN for an edge whose ends are not shown. Node
 * positions (top-left) by node index.
 */
export function edgeGeometry(ix: GraphIndex, x: Float64Array, y: Float64Array): Float64Array {
  const geo = new Float64Array(ix.source.length * 4).fill(NaN);
  for (let i = 0; i < ix.source.length; i++) {
    const s = ix.source[i];
    const t = ix.target[i];
    if (s < 0) continue;
    geo[4 * i] = x[s] + NODE_WIDTH;
    geo[4 * i + 1] = y[s] + NODE_HEIGHT / 2;
    geo[4 * i + 2] = x[t];
    geo[4 * i + 3] = y[t] + NODE_HEIGHT / 2;
  }
  return geo;
}

/** The part of the graph to draw edges for, in flow coordinates (React Flow's Rect). */
export interface Area {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const EVERYWHERE: Area = { x: -Infinity, y: -Infinity, width: Infinity, height: Infinity };

/** The edges to draw over an area, by style, as indices in graph.edges. */
export interface EdgePlan {
  path: number[];
  added: number[];
  removed: number[];
  telling: number[];
  background: number[];
  /** A node is selected: what is off its path is dimmed. */
  dimmed: boolean;
}

/** The edges that cross an area (by their bounding box), sorted by what they tell. */
export function planEdges(classes: Uint8Array, geo: Float64Array, path: LineagePath | null, area: Area): EdgePlan {
  const plan: EdgePlan = { path: [], added: [], removed: [], telling: [], background: [], dimmed: path !== null };
  const { x: left, y: top } = area;
  const right = left + area.width;
  const bottom = top + area.height;
  for (let i = 0; i < classes.length; i++) {
    const x1 = geo[4 * i];
    if (Number.isNaN(x1)) continue;
    const y1 = geo[4 * i + 1];
    const x2 = geo[4 * i + 2];
    const y2 = geo[4 * i + 3];
    if (Math.max(x1, x2) < left || Math.min(x1, x2) > right || Math.max(y1, y2) < top || Math.min(y1, y2) > bottom) continue;
    if (path?.edges.has(i)) plan.path.push(i);
    else if (classes[i] === ADDED) plan.added.push(i);
    else if (classes[i] === REMOVED) plan.removed.push(i);
    else if (classes[i] === TELLING) plan.telling.push(i);
    else plan.background.push(i);
  }
  return plan;
}

/** How strongly plain edges show at a zoom: 0 (hidden) below EDGE_MIN_ZOOM, 1 from EDGE_FULL_ZOOM, in tenths. */
export function backgroundStrength(zoom: number): number {
  const t = (zoom - EDGE_MIN_ZOOM) / (EDGE_FULL_ZOOM - EDGE_MIN_ZOOM);
  return zoom < EDGE_MIN_ZOOM ? 0 : Math.round(Math.min(1, Math.max(0.1, t)) * 10) / 10;
}

/** Whether the plain edges of a plan are drawn at this strength: not hidden, and not too many. */
export const showsBackground = (plan: EdgePlan, strength: number) => strength > 0 && plan.background.length <= MAX_BACKGROUND;

/** The edges drawn: the plan, less the plain edges when they do not show. */
export const drawnCount = (p: EdgePlan, strength: number) =>
  p.path.length + p.added.length + p.removed.length + p.telling.length + (showsBackground(p, strength) ? p.background.length : 0);

/** React Flow's bezier control offset, so that the curves match its edges. */
function controlOffset(distance: number): number {
  return distance >= 0 ? 0.5 * distance : 0.25 * 25 * Math.sqrt(-distance);
}

const r = (v: number) => Math.round(v * 10) / 10;

/** SVG path data for edges: one curve each, from source to target, as React Flow's bezier edges. */
export function pathData(edges: number[], geo: Float64Array): string {
  const parts: string[] = [];
  for (const i of edges) {
    const x1 = geo[4 * i];
    const y1 = geo[4 * i + 1];
    const x2 = geo[4 * i + 2];
    const y2 = geo[4 * i + 3];
    const off = controlOffset(x2 - x1);
    parts.push(`M${r(x1)},${r(y1)}C${r(x1 + off)},${r(y1)} ${r(x2 - off)},${r(y2)} ${r(x2)},${r(y2)}`);
  }
  return parts.join('');
}
