import { describe, expect, it } from 'vitest';
import jaffleJson from '../__fixtures__/jaffle-lineage.json';
import type { Lineage } from '../api/types';
import { filterLineage } from './graph';
import { indexGraph, pathThrough } from './path';

const jaffle = jaffleJson as Lineage;
const all = filterLineage(jaffle, { view: 'all', packageName: '', resourceType: '', selected: null });
const m = (name: string) => `model.jaffle_shop.${name}`;
const src = (name: string) => `source.jaffle_shop.jaffle-shop-data.${name}`;
const edgeNames = (edges: Set<number>) =>
  [...edges].map((i) => `${all.edges[i].source.split('.').pop()}->${all.edges[i].target.split('.').pop()}`).sort();

describe('pathThrough', () => {
  it('holds the upstream and downstream of the selected node, and the edges between them (jaffle customers)', () => {
    const path = pathThrough(indexGraph(all), m('customers'))!;
    expect(path.upstream).toBe(8); // 2 int_ models, 3 stg_ models, 3 sources
    expect([...path.nodes].sort()).toEqual(
      [
        m('customers'),
        m('customer_order_pattern'),
        m('customer_segments'),
        m('int_customer_orders'),
        m('int_customer_payments'),
        m('stg_customers'),
        m('stg_orders'),
        m('stg_payments'),
        src('raw_customers'),
        src('raw_orders'),
        src('raw_payments'),
      ].sort(),
    );
    expect(path.downstream).toBe(2);
    // orders reads stg_orders and stg_payments but is neither up- nor downstream of customers.
    expect(path.nodes.has(m('orders'))).toBe(false);
    expect(edgeNames(path.edges)).not.toContain('stg_orders->orders');
    expect(edgeNames(path.edges)).toEqual(
      [
        'customers->customer_order_pattern',
        'customers->customer_segments',
        'int_customer_orders->customers',
        'int_customer_payments->customers',
        'raw_customers->stg_customers',
        'raw_orders->stg_orders',
        'raw_payments->stg_payments',
        'stg_customers->customers',
        'stg_orders->customers',
        'stg_orders->int_customer_orders',
        'stg_orders->int_customer_payments',
        'stg_payments->customers',
        'stg_payments->int_customer_payments',
      ].sort(),
    );
  });

  it('follows only the graph shown: a filtered-out node cuts the path', () => {
    const noStaging = { nodes: all.nodes.filter((n) => !n.name.startsWith('stg_')), edges: all.edges.filter((e) => !e.source.includes('stg_') && !e.target.includes('stg_')) };
    const path = pathThrough(indexGraph(noStaging), m('customers'))!;
    expect(path.nodes.has(src('raw_orders'))).toBe(false);
    expect(path.upstream).toBe(2); // int_customer_orders, int_customer_payments
  });

  it('is null for a node not shown, and survives a cycle', () => {
    expect(pathThrough(indexGraph(all), 'model.nope')).toBeNull();
    const node = (id: string) => ({ ...all.nodes[0], unique_id: id, name: id });
    const cyclic = {
      nodes: [node('a'), node('b'), node('c')],
      edges: [
        { source: 'a', target: 'b', change: 'unchanged' as const },
        { source: 'b', target: 'c', change: 'unchanged' as const },
        { source: 'c', target: 'a', change: 'unchanged' as const },
      ],
    };
    const path = pathThrough(indexGraph(cyclic), 'a')!;
    expect([...path.nodes].sort()).toEqual(['a', 'b', 'c']);
    expect(path.edges.size).toBe(3);
  });
});
