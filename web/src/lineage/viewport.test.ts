import { describe, expect, it } from 'vitest';
import jaffleJson from '../__fixtures__/jaffle-lineage.json';
import { syntheticLineage } from '../__fixtures__/synthetic';
import type { Lineage } from '../api/types';
import { toFlow } from './flow';
import { filterLineage, isChanged } from './graph';
import { NODE_HEIGHT, NODE_WIDTH } from './layout';
import { indexGraph } from './path';
import { boundsOf, nodesIn, opening, READABLE_ZOOM, regionFor } from './viewport';

const everything = { view: 'all', packageName: '', resourceType: '', selected: null } as const;
const flowOf = (l: Lineage) => {
  const graph = filterLineage(l, everything);
  return { graph, flow: toFlow(indexGraph(graph)), changed: graph.nodes.filter(isChanged).map((n) => n.unique_id) };
};

describe('where a graph opens', () => {
  it('shows a graph whole when it reads whole (jaffle)', () => {
    const { flow, changed } = flowOf(jaffleJson as Lineage);
    expect(opening(flow.positions, changed, 1440, 780)).toEqual({ fit: 'all' });
  });

  it('opens a large graph on the largest group of changes that fits one readable screen', () => {
    const { flow, changed } = flowOf(syntheticLineage(5000));
    const o = opening(flow.positions, changed, 1440, 780);
    if (o.fit !== 'nodes') throw new Error('expected a group of changes');
    expect(o.ids.length).toBeGreaterThan(1);
    for (const id of o.ids) expect(changed).toContain(id);
    // The group fits the screen at a zoom where names read.
    const box = boundsOf(flow.positions, o.ids);
    expect(box.width * READABLE_ZOOM).toBeLessThanOrEqual(1440);
    expect(box.height * READABLE_ZOOM).toBeLessThanOrEqual(780);
    // No other screen-sized window holds more changes (checked from each change as a corner).
    const w = (1440 * 0.8) / READABLE_ZOOM - NODE_WIDTH;
    const h = (780 * 0.8) / READABLE_ZOOM - NODE_HEIGHT;
    for (const a of changed) {
      const pa = flow.positions.get(a)!;
      const inside = changed.filter((c) => {
        const p = flow.positions.get(c)!;
        return p.x >= pa.x && p.x <= pa.x + w && p.y >= pa.y && p.y <= pa.y + h;
      });
      expect(inside.length).toBeLessThanOrEqual(o.ids.length);
    }
  });

  it('opens whole when nothing changed', () => {
    const { flow } = flowOf(syntheticLineage(2000));
    expect(opening(flow.positions, [], 1440, 780)).toEqual({ fit: 'all' });
  });
});

describe('the region of a large graph held around the view', () => {
  const view = { x: 0, y: 0, width: 1000, height: 500 };
  it('is the view and half a view on each side, kept while the view stays inside it', () => {
    const r = regionFor(view, null);
    expect(r).toEqual({ x: -500, y: -250, width: 2000, height: 1000 });
    expect(regionFor({ ...view, x: 400, y: 200 }, r)).toBe(r);
    expect(regionFor({ ...view, x: 600 }, r)).not.toBe(r);
  });

  it('is remade when zoomed in far inside it', () => {
    const r = regionFor(view, null);
    expect(regionFor({ x: 0, y: 0, width: 300, height: 150 }, r)).not.toBe(r);
  });

  it('holds the nodes that overlap it', () => {
    const { flow } = flowOf(syntheticLineage(2000));
    const at = flow.nodes[100].position;
    const r = { x: at.x - 100, y: at.y - 250, width: 500, height: 500 };
    const held = nodesIn(flow.nodes, r);
    expect(held).toContain(flow.nodes[100]);
    expect(held.length).toBeLessThan(flow.nodes.length);
    for (const n of flow.nodes) {
      const { x, y } = n.position;
      const overlaps = x < r.x + r.width && x + NODE_WIDTH > r.x && y < r.y + r.height && y + NODE_HEIGHT > r.y;
      expect(held.includes(n)).toBe(overlaps);
    }
  });
});
