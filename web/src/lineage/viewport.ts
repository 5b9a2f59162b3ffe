// Where a graph opens: the whole graph when it reads at that zoom, else the
// changes: the largest group of changed nodes that fits on the screen at a
// zoom where names read. An "All nodes" view of 10,000 models fitted whole
// shows nothing readable (and, at the zoom floor, not even the changes).
import type { Rect } from '@xyflow/react';
import type { FlowNode } from './flow';
import { NODE_HEIGHT, NODE_WIDTH, type Point } from './layout';

/** The lowest zoom at which node names read (13 px names at 0.6 are about 8 px). */
export const READABLE_ZOOM = 0.6;
/** The share of the screen kept free around a fitted group, as React Flow's fitView padding. */
const PADDING = 0.1;

export type Opening = { fit: 'all' } | { fit: 'nodes'; ids: string[] };

/**
 * What to fit in a screen of width x height: everything if it fits at
 * READABLE_ZOOM (or nothing changed), else the ids of the changed nodes that
 * fit together in one readable screen, the most of them, ties going to the
 * first group found (the earliest changed node's).
 */
export function opening(positions: Map<string, Point>, changed: string[], width: number, height: number): Opening {
  if (changed.length === 0 || positions.size === 0) return { fit: 'all' };
  const all = boundsOf(positions);
  const usable = 1 - 2 * PADDING;
  const zoom = Math.min((width * usable) / all.width, (height * usable) / all.height);
  if (zoom >= READABLE_ZOOM) return { fit: 'all' };

  // A readable screen, in flow units; a group fits when its nodes' box does.
  const w = Math.max(0, (width * usable) / READABLE_ZOOM - NODE_WIDTH);
  const h = Math.max(0, (height * usable) / READABLE_ZOOM - NODE_HEIGHT);
  const pts = changed.map((id) => ({ id, p: positions.get(id) })).filter((c): c is { id: string; p: Point } => c.p !== undefined);
  if (pts.length === 0) return { fit: 'all' };
  // Each changed node's x as the group's left side; within that strip, the
  // tallest window of height h found by sliding over the nodes sorted by y.
  // O(changes² log changes): a few milliseconds for a thousand changes.
  let best: string[] = [];
  for (const a of pts) {
    const strip = pts.filter((c) => c.p.x >= a.p.x && c.p.x <= a.p.x + w).sort((c, d) => c.p.y - d.p.y);
    for (let lo = 0, hi = 0; hi < strip.length; hi++) {
      while (strip[hi].p.y - strip[lo].p.y > h) lo++;
      if (hi - lo + 1 > best.length) best = strip.slice(lo, hi + 1).map((c) => c.id);
    }
  }
  return { fit: 'nodes', ids: best };
}

/** The box around the nodes (all of them, or those named), in flow coordinates. */
export function boundsOf(positions: Map<string, Point>, ids?: string[]): Rect {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const add = (p: Point | undefined) => {
    if (!p) return;
    minX = Math.min(minX, p.x);
    minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x + NODE_WIDTH);
    maxY = Math.max(maxY, p.y + NODE_HEIGHT);
  };
  if (ids) for (const id of ids) add(positions.get(id));
  else for (const p of positions.values()) add(p);
  return minX === Infinity ? { x: 0, y: 0, width: 0, height: 0 } : { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

/** A region larger than the view by this share of it on each side. */
const REGION_MARGIN = 0.5;
/** A region more than this many times the view's area is remade around it (after zooming in). */
const REGION_SLACK = 9;

/**
 * The region of the graph to hand React Flow for a view (flow coordinates):
 * the current one while it holds the view and is not far larger, else a new
 * one around the view.
 */
export function regionFor(view: Rect, current: Rect | null): Rect {
  if (
    current &&
    view.x >= current.x &&
    view.y >= current.y &&
    view.x + view.width <= current.x + current.width &&
    view.y + view.height <= current.y + current.height &&
    current.width * current.height <= REGION_SLACK * view.width * view.height
  ) {
    return current;
  }
  const mx = view.width * REGION_MARGIN;
  const my = view.height * REGION_MARGIN;
  return { x: view.x - mx, y: view.y - my, width: view.width + 2 * mx, height: view.height + 2 * my };
}

/** The nodes that overlap a region, in their order. */
export function nodesIn(nodes: FlowNode[], r: Rect): FlowNode[] {
  const right = r.x + r.width;
  const bottom = r.y + r.height;
  return nodes.filter((n) => n.position.x < right && n.position.x + NODE_WIDTH > r.x && n.position.y < bottom && n.position.y + NODE_HEIGHT > r.y);
}
