import { describe, expect, it } from 'vitest';
import jaffleJson from '../__fixtures__/jaffle-lineage.json';
import { syntheticLineage } from '../__fixtures__/synthetic';
import type { Lineage } from '../api/types';
import {
  ADDED,
  BACKGROUND,
  backgroundStrength,
  classifyEdges,
  drawnCount,
  EDGE_FULL_ZOOM,
  EDGE_MIN_ZOOM,
  edgeGeometry,
  EVERYWHERE,
  MAX_BACKGROUND,
  pathData,
  planEdges,
  REMOVED,
  showsBackground,
  TELLING,
} from './edges';
import { toFlow } from './flow';
import { filterLineage } from './graph';
import { NODE_HEIGHT, NODE_WIDTH } from './layout';
import { indexGraph, pathThrough } from './path';

const jaffle = jaffleJson as Lineage;
const everything = { view: 'all', packageName: '', resourceType: '', selected: null } as const;
const setup = (l: Lineage) => {
  const ix = indexGraph(filterLineage(l, everything));
  const flow = toFlow(ix);
  return { ix, flow, classes: classifyEdges(ix), geo: edgeGeometry(ix, flow.x, flow.y) };
};
const name = (l: Lineage, i: number) => `${l.edges[i].source.split('.').pop()}->${l.edges[i].target.split('.').pop()}`;

describe('which edges tell something', () => {
  it('sets added and removed edges apart, then those touching a change or carrying its impact (jaffle)', () => {
    const { classes } = setup(jaffle);
    const of = (c: number) => [...classes.keys()].filter((i) => classes[i] === c).map((i) => name(jaffle, i)).sort();
    expect(of(ADDED)).toEqual(['int_customer_orders->customers', 'int_customer_payments->customers', 'stg_orders->int_customer_orders', 'stg_orders->int_customer_payments', 'stg_payments->int_customer_payments']);
    expect(of(REMOVED)).toEqual(['stg_orders->customers', 'stg_payments->customers']);
    // customers is modified: its unchanged edges tell where the change comes from and goes.
    expect(of(TELLING)).toEqual(['customers->customer_order_pattern', 'customers->customer_segments', 'stg_customers->customers']);
    expect(of(BACKGROUND)).toContain('stg_orders->orders');
    expect(of(BACKGROUND)).toContain('raw_orders->stg_orders');
  });

  it('draws every edge from the right middle of its source to the left middle of its target', () => {
    const { ix, flow, geo } = setup(jaffle);
    const i = jaffle.edges.findIndex((e) => e.target.endsWith('.orders'));
    const s = flow.positions.get(jaffle.edges[i].source)!;
    const t = flow.positions.get(jaffle.edges[i].target)!;
    expect([...geo.slice(4 * i, 4 * i + 4)]).toEqual([s.x + NODE_WIDTH, s.y + NODE_HEIGHT / 2, t.x, t.y + NODE_HEIGHT / 2]);
    expect(ix.source[i]).toBeGreaterThanOrEqual(0);
    expect(pathData([i], geo)).toMatch(/^M[-\d.]+,[-\d.]+C[-\d.]+,[-\d.]+ [-\d.]+,[-\d.]+ [-\d.]+,[-\d.]+$/);
  });
});

describe('planEdges', () => {
  it('keeps only the edges crossing the area', () => {
    const { classes, geo } = setup(jaffle);
    const whole = planEdges(classes, geo, null, EVERYWHERE);
    expect(drawnCount(whole, 1)).toBe(jaffle.edges.length);
    // An area left of every node holds no edge.
    const none = planEdges(classes, geo, null, { x: -10_000, y: -10_000, width: 100, height: 100 });
    expect(drawnCount(none, 1)).toBe(0);
  });

  it('puts the selected path first, whatever else its edges are, and dims the rest', () => {
    const { ix, classes, geo } = setup(jaffle);
    const path = pathThrough(ix, 'model.jaffle_shop.int_customer_orders')!;
    const plan = planEdges(classes, geo, path, EVERYWHERE);
    expect(plan.dimmed).toBe(true);
    expect(plan.path.map((i) => name(jaffle, i)).sort()).toEqual([
      'customers->customer_order_pattern',
      'customers->customer_segments',
      'int_customer_orders->customers',
      'raw_orders->stg_orders',
      'stg_orders->int_customer_orders',
    ]);
    // The added edge int_customer_orders->customers is drawn once, on the path.
    expect(plan.added.map((i) => name(jaffle, i))).not.toContain('int_customer_orders->customers');
    expect(drawnCount(plan, 1)).toBe(jaffle.edges.length);
  });

  it('hides plain edges when zoomed out past reading, and when too many would show', () => {
    expect(backgroundStrength(EDGE_MIN_ZOOM - 0.01)).toBe(0);
    expect(backgroundStrength(EDGE_MIN_ZOOM)).toBeGreaterThan(0);
    expect(backgroundStrength(EDGE_FULL_ZOOM)).toBe(1);
    expect(backgroundStrength(2)).toBe(1);

    const { classes, geo } = setup(jaffle);
    const plan = planEdges(classes, geo, null, EVERYWHERE);
    const telling = plan.path.length + plan.added.length + plan.removed.length + plan.telling.length;
    expect(drawnCount(plan, backgroundStrength(0.2))).toBe(telling);
    expect(drawnCount(plan, backgroundStrength(1))).toBe(jaffle.edges.length);

    const big = setup(syntheticLineage(5000));
    const all = planEdges(big.classes, big.geo, null, EVERYWHERE);
    expect(all.background.length).toBeGreaterThan(MAX_BACKGROUND);
    expect(showsBackground(all, 1)).toBe(false);
    expect(drawnCount(all, 1)).toBe(all.added.length + all.removed.length + all.telling.length);
  });
});
