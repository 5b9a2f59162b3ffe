import { describe, expect, it } from 'vitest';
import jaffleJson from '../__fixtures__/jaffle-lineage.json';
import tuvaJson from '../__fixtures__/tuva-lineage.json';
import { syntheticLineage } from '../__fixtures__/synthetic';
import type { Lineage } from '../api/types';
import { BIG_GRAPH, categoryOf, changeCounts, defaultFilter, filterLineage, findNodes, isChanged, packageFacets } from './graph';

const jaffle = jaffleJson as Lineage;
const tuva = tuvaJson as Lineage;
const all = { view: 'all', packageName: '', resourceType: '', selected: null } as const;

describe('colouring', () => {
  it('tells added, modified and unchanged nodes apart (jaffle)', () => {
    const byName = Object.fromEntries(jaffle.nodes.map((n) => [n.name, categoryOf(n)]));
    expect(byName.int_customer_orders).toBe('added');
    expect(byName.customers).toBe('modified');
    expect(byName.orders).toBe('unchanged');
  });

  it('sets whitespace-only modifications apart from real ones (tuva)', () => {
    const counts = changeCounts(tuva.nodes);
    // tuva: 140 modified, of which 104 only in whitespace; 10 added.
    expect(counts).toMatchObject({ modified: 36, whitespace: 104, added: 10, removed: 0 });
    const ws = tuva.nodes.find((n) => n.reasons.length === 1 && n.reasons[0] === 'whitespace')!;
    expect(isChanged(ws)).toBe(false);
  });

  it('counts impacted nodes that did not change themselves', () => {
    const counts = changeCounts(jaffle.nodes);
    expect(counts.impacted).toBe(2); // customer_order_pattern, customer_segments
  });
});

describe('filtering', () => {
  it('keeps everything with no filter', () => {
    const g = filterLineage(tuva, all);
    expect(g.nodes).toHaveLength(tuva.nodes.length);
    expect(g.edges).toHaveLength(tuva.edges.length);
  });

  it('changed only drops whitespace-only and unchanged nodes, and edges to them', () => {
    const g = filterLineage(tuva, { ...all, view: 'changed' });
    expect(g.nodes).toHaveLength(46);
    const ids = new Set(g.nodes.map((n) => n.unique_id));
    expect(g.edges.length).toBeGreaterThan(0);
    for (const e of g.edges) expect(ids.has(e.source) && ids.has(e.target)).toBe(true);
  });

  it('changed and downstream adds the impacted nodes', () => {
    const g = filterLineage(jaffle, { ...all, view: 'impacted' });
    expect(g.nodes.map((n) => n.name).sort()).toEqual(
      ['customer_order_pattern', 'customer_segments', 'customers', 'int_customer_orders', 'int_customer_payments'],
    );
  });

  it('filters by package, resource type and selector', () => {
    expect(filterLineage(tuva, { ...all, packageName: 'input_layer' }).nodes).toHaveLength(16);
    expect(filterLineage(tuva, { ...all, resourceType: 'seed' }).nodes).toHaveLength(77);
    const selected = ['model.jaffle_shop.customers', 'model.jaffle_shop.customer_segments'];
    const g = filterLineage(jaffle, { ...all, selected });
    expect(g.nodes.map((n) => n.unique_id).sort()).toEqual([...selected].sort());
    expect(g.edges).toEqual([{ source: selected[0], target: selected[1], change: 'unchanged' }]);
  });

  it('opens big graphs on changed nodes only', () => {
    expect(defaultFilter(tuva).view).toBe('all');
    expect(defaultFilter(syntheticLineage(BIG_GRAPH + 1)).view).toBe('changed');
  });

  it('lists packages with counts', () => {
    expect(packageFacets(tuva)).toEqual([
      { value: 'input_layer', count: 16 },
      { value: 'the_tuva_project', count: 368 },
    ]);
  });
});

describe('findNodes', () => {
  it('ranks exact, then prefix, then substring matches', () => {
    expect(findNodes(jaffle.nodes, 'customers').map((n) => n.name)).toEqual(['customers', 'raw_customers', 'stg_customers']);
    expect(findNodes(jaffle.nodes, 'CUST', 1).map((n) => n.name)).toEqual(['customer_order_pattern']);
    expect(findNodes(jaffle.nodes, '  ')).toEqual([]);
    expect(findNodes(jaffle.nodes, 'nothing-like-this')).toEqual([]);
  });
});
