// The 5,000-node path: laid out once, and only the nodes in view rendered.
import { act, fireEvent, render } from '@testing-library/react';
import { ReactFlowProvider } from '@xyflow/react';
import { describe, expect, it, vi } from 'vitest';
import { syntheticLineage } from '../__fixtures__/synthetic';
import { filterLineage } from './graph';
import * as layout from './layout';
import { LineageGraph } from './LineageGraph';

describe('LineageGraph at 5,000 nodes', () => {
  it('renders only the visible nodes and never lays out again on selection', async () => {
    const lineage = syntheticLineage(5000);
    const graph = filterLineage(lineage, { view: 'all', packageName: '', resourceType: '', selected: null });
    const spy = vi.spyOn(layout, 'layeredLayout');
    const onSelect = vi.fn();

    const t = performance.now();
    const { container } = render(
      <ReactFlowProvider>
        <LineageGraph graph={graph} graphKey="all" selectedId={null} focus={null} onSelect={onSelect} />
      </ReactFlowProvider>,
    );
    await act(() => new Promise((r) => setTimeout(r, 50)));
    const rendered = container.querySelectorAll('.react-flow__node');
    console.log(
      `first render of 5,000 synthetic nodes (layout included) in jsdom: ${(performance.now() - t).toFixed(0)} ms, ` +
        `${rendered.length} nodes and ${container.querySelectorAll('.react-flow__edge').length} edges in the DOM`,
    );

    expect(rendered.length).toBeGreaterThan(0);
    expect(rendered.length).toBeLessThan(1000);
    expect(spy).toHaveBeenCalledTimes(1);

    fireEvent.click(rendered[0]);
    await act(() => new Promise((r) => setTimeout(r, 0)));
    expect(onSelect).toHaveBeenCalledWith(rendered[0].getAttribute('data-id'));
    expect(spy).toHaveBeenCalledTimes(1);
  });
});
