// The canvas at scale (5,000 nodes: a region rendered, no React Flow edge,
// one layout) and what a selection does (path highlighted, the rest dimmed,
// the node re-centred clear of the panel).
import { act, fireEvent, render } from '@testing-library/react';
import { ReactFlowProvider } from '@xyflow/react';
import { describe, expect, it, vi } from 'vitest';
import jaffleJson from '../__fixtures__/jaffle-lineage.json';
import { syntheticLineage } from '../__fixtures__/synthetic';
import type { Lineage } from '../api/types';
import type { NodeProps } from '@xyflow/react';
import { type FlowNode, toFlow } from './flow';
import { categoryOf, filterLineage } from './graph';
import * as layout from './layout';
import { LineageGraph, type LineageGraphProps } from './LineageGraph';
import LineageNodeView, { type Highlight, HighlightContext } from './LineageNodeView';
import { indexGraph, pathThrough } from './path';

const everything = { view: 'all', packageName: '', resourceType: '', selected: null } as const;
const wait = (ms: number) => act(() => new Promise((r) => setTimeout(r, ms)));
const m = (name: string) => `model.jaffle_shop.${name}`;

function renderGraph(props: Partial<LineageGraphProps> & Pick<LineageGraphProps, 'graph'>) {
  const all: LineageGraphProps = { graphKey: 'all', selectedId: null, focus: null, onSelect: () => {}, ...props };
  const view = render(
    <ReactFlowProvider>
      <LineageGraph {...all} />
    </ReactFlowProvider>,
  );
  const rerender = (more: Partial<LineageGraphProps>) =>
    view.rerender(
      <ReactFlowProvider>
        <LineageGraph {...all} {...more} />
      </ReactFlowProvider>,
    );
  return { ...view, rerender };
}

describe('LineageGraph at 5,000 nodes', () => {
  it('renders the nodes around the view only, no React Flow edge, and never lays out again on selection', async () => {
    const graph = filterLineage(syntheticLineage(5000), everything);
    const spy = vi.spyOn(layout, 'layoutIndexed');
    const onSelect = vi.fn();

    const t = performance.now();
    const { container, rerender } = renderGraph({ graph, onSelect });
    await wait(50);
    const rendered = container.querySelectorAll('.react-flow__node');
    const layer = container.querySelector('[data-testid="edge-layer"]')!;
    console.log(
      `first render of 5,000 synthetic nodes (layout included) in jsdom: ${(performance.now() - t).toFixed(0)} ms, ` +
        `${rendered.length} nodes in the DOM, ${layer.getAttribute('data-edges-drawn')} edges in the edge layer`,
    );

    expect(container.querySelector('[data-testid="lineage-graph"]')!.getAttribute('data-node-count')).toBe('5000');
    expect(rendered.length).toBeGreaterThan(0);
    expect(rendered.length).toBeLessThan(1000);
    expect(container.querySelectorAll('.react-flow__edge')).toHaveLength(0);
    expect(Number(layer.getAttribute('data-edges-drawn'))).toBeGreaterThan(0);
    expect(spy).toHaveBeenCalledTimes(1);

    fireEvent.click(rendered[0]);
    const id = rendered[0].getAttribute('data-id')!;
    expect(onSelect).toHaveBeenCalledWith(id);
    rerender({ selectedId: id });
    await wait(0);
    expect(container.querySelector(`[data-id="${id}"] .lnode`)!.className).toContain('lnode--selected');
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });
});

describe('selecting a node (jaffle)', () => {
  const graph = filterLineage(jaffleJson as Lineage, everything);
  it('highlights its upstream and downstream path and dims the rest: edges', async () => {
    const { container, rerender } = renderGraph({ graph });
    await wait(50);
    const plain = () => Number(container.querySelector('.edge-layer__background')!.getAttribute('stroke-opacity'));
    const undimmed = plain();
    expect(undimmed).toBeGreaterThan(0);
    expect(container.querySelector('.edge-layer__path')).toBeNull();
    expect(container.querySelector('[data-testid="lineage-graph"]')!.getAttribute('data-path-count')).toBe('0');

    rerender({ selectedId: m('customers') });
    await wait(0);
    expect(container.querySelector('[data-testid="lineage-graph"]')!.getAttribute('data-path-count')).toBe('11');
    // The path's 13 edges, one curve each, in the highlighted path of the edge layer.
    const d = container.querySelector('.edge-layer__path')!.getAttribute('d')!;
    expect(d.match(/M/g)).toHaveLength(13);
    // Off-path edges (stg_orders -> orders...) are dimmed.
    expect(plain()).toBeLessThan(undimmed);

    rerender({ selectedId: null });
    await wait(0);
    expect(container.querySelector('.edge-layer__path')).toBeNull();
    expect(plain()).toBe(undimmed);
  });

  it('highlights its upstream and downstream path and dims the rest: nodes', () => {
    const path = pathThrough(indexGraph(graph), m('customers'))!;
    const node = (id: string) => graph.nodes.find((n) => n.unique_id === id)!;
    const classOf = (id: string, highlight: Highlight) => {
      const { container, unmount } = render(
        <HighlightContext.Provider value={highlight}>
          <LineageNodeView {...({ id, data: { node: node(id), category: categoryOf(node(id)) } } as unknown as NodeProps<FlowNode>)} />
        </HighlightContext.Provider>,
      );
      const c = container.querySelector('.lnode')!.className;
      unmount();
      return c;
    };
    const selected = { selectedId: m('customers'), path: path.nodes };
    expect(classOf(m('customers'), selected)).toContain('lnode--selected');
    expect(classOf(m('stg_orders'), selected)).toContain('lnode--path'); // upstream
    expect(classOf(m('customer_segments'), selected)).toContain('lnode--path'); // downstream
    expect(classOf(m('orders'), selected)).toContain('lnode--dim'); // a sibling, on neither side
    const none = { selectedId: null, path: null };
    expect(classOf(m('orders'), none)).not.toMatch(/lnode--(dim|path|selected)/);
  });

  it('re-centres on the node, in the part of the canvas the panel leaves free', async () => {
    const cover = { current: 40 };
    const { container, rerender } = renderGraph({ graph, coverRight: cover });
    await wait(50);
    rerender({ selectedId: m('orders'), coverRight: cover });
    await wait(600); // the move is animated
    const transform = (container.querySelector('.react-flow__viewport') as HTMLElement).style.transform;
    const [, tx, ty, zoom] = transform.match(/translate\(([-\d.]+)px, ?([-\d.]+)px\) scale\(([\d.]+)\)/)!.map(Number);
    const p = toFlow(indexGraph(graph)).positions.get(m('orders'))!;
    const pane = container.querySelector('.react-flow__renderer') as HTMLElement; // what React Flow measures
    const width = pane.offsetWidth;
    const height = pane.offsetHeight;
    const free = Math.max(width - cover.current, width / 3);
    expect((p.x + layout.NODE_WIDTH / 2) * zoom + tx).toBeCloseTo(free / 2, 0);
    expect((p.y + layout.NODE_HEIGHT / 2) * zoom + ty).toBeCloseTo(height / 2, 0);
  });
});
