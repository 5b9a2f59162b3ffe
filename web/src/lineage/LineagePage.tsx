// Lineage screen: filters, the graph, and the selected node's panel.
import { type FormEvent, memo, useCallback, useDeferredValue, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { runsDisabledReason, useInfo, usePrefetchNode, useSelect } from '../api/hooks';
import type { Lineage } from '../api/types';
import { Empty, ErrorMessage, Loading } from '../components/status';
import { Filters } from './Filters';
import { changeCounts, defaultFilter, filterLineage, findNodes, packageFacets, resourceTypeFacets } from './graph';
import { Legend } from './Legend';
import { LineageGraph } from './LineageGraph';
import './lineage.css';
import { NodePanel } from './NodePanel';
import { ResizablePanel, savedPanelWidth } from './ResizablePanel';

const FindNode = memo(function FindNode({ lineage, onFound }: { lineage: Lineage; onFound: (id: string) => void }) {
  const [text, setText] = useState('');
  const [message, setMessage] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const [hit] = findNodes(lineage.nodes, text, 1);
    setMessage(hit ? '' : `No node matches “${text}”.`);
    if (hit) onFound(hit.unique_id);
  };
  return (
    <form role="search" className="find" onSubmit={submit}>
      <input aria-label="Find a node" data-testid="find-node" placeholder="Find a node by name" value={text} onChange={(e) => setText(e.target.value)} />
      <button type="submit">Find</button>
      {message && <span role="status">{message}</span>}
    </form>
  );
});

function LineageView({ lineage, runsReason }: { lineage: Lineage; runsReason: string | null }) {
  const [filter, setFilter] = useState(() => defaultFilter(lineage));
  // The graph follows the filters in the background: the controls answer at
  // once, with a progress state, while a large graph is laid out and drawn.
  const shownFilter = useDeferredValue(filter);
  const [selector, setSelector] = useState({ select: '', exclude: '' });
  const [selectedId, setSelectedId] = useState<string | null>(null);
  // A new object on each find, so that finding the same node again re-centres on it.
  const [focus, setFocus] = useState<{ id: string } | null>(null);
  const [panelWidth, setPanelWidth] = useState(savedPanelWidth);
  // What the panel covers of the canvas, read when the graph re-centres (no re-render on resize).
  // Set before the graph's effects run (a layout effect of the parent runs before them).
  const cover = useRef(0);
  useLayoutEffect(() => {
    cover.current = selectedId ? panelWidth : 0;
  }, [selectedId, panelWidth]);
  const selection = useSelect(selector.select, selector.exclude);
  const selected = selector.select || selector.exclude ? (selection.data?.nodes ?? null) : null;
  const effective = useMemo(() => ({ ...shownFilter, selected }), [shownFilter, selected]);
  const graph = useMemo(() => filterLineage(lineage, effective), [lineage, effective]);
  const graphKey = useMemo(() => JSON.stringify(effective), [effective]);
  const shownIds = useMemo(() => new Set(graph.nodes.map((n) => n.unique_id)), [graph]);
  const packages = useMemo(() => packageFacets(lineage), [lineage]);
  const types = useMemo(() => resourceTypeFacets(lineage), [lineage]);
  const counts = useMemo(() => changeCounts(lineage.nodes), [lineage]);
  const hidden = selectedId !== null && !shownIds.has(selectedId);
  const updating = filter !== shownFilter;
  const onFound = useCallback((id: string) => {
    setSelectedId(id);
    setFocus({ id });
  }, []);
  const onClose = useCallback(() => setSelectedId(null), []);
  const prefetch = usePrefetchNode();
  const byId = useMemo(() => new Map(lineage.nodes.map((n) => [n.unique_id, n])), [lineage]);

  return (
    <div className="lineage">
      <div className="lineage__bar">
        <Filters
          filter={filter}
          onChange={setFilter}
          packages={packages}
          resourceTypes={types}
          selector={selector}
          onSelector={setSelector}
          selectorState={selection.isFetching ? 'loading' : selection.error ? 'error' : 'idle'}
        />
        <FindNode lineage={lineage} onFound={onFound} />
        <Legend counts={counts} shown={graph.nodes.length} total={lineage.nodes.length} />
        {selection.error && <ErrorMessage error={selection.error} title="The selector was refused" />}
        {hidden && <p role="status">The selected node is hidden by the filters.</p>}
      </div>
      <div className="lineage__main" aria-busy={updating}>
        {selection.isFetching ? (
          <Loading label="Selecting nodes…" />
        ) : graph.nodes.length === 0 ? (
          <Empty>
            No node to show with these filters.{' '}
            {filter.view === 'changed' && 'No node changed beyond whitespace: choose “All nodes” under Show to see the whole graph.'}
          </Empty>
        ) : (
          <LineageGraph
            graph={graph}
            graphKey={graphKey}
            selectedId={selectedId}
            focus={focus}
            onSelect={setSelectedId}
            coverRight={cover}
            onPrefetch={prefetch}
          />
        )}
        {updating && (
          <div className="lineage__progress" data-testid="lineage-updating">
            <Loading label="Updating the graph…" />
          </div>
        )}
        {selectedId && (
          <ResizablePanel width={panelWidth} onResize={setPanelWidth}>
            <NodePanel id={selectedId} summary={byId.get(selectedId)} onClose={onClose} runsDisabledReason={runsReason} />
          </ResizablePanel>
        )}
      </div>
    </div>
  );
}

export function LineagePage() {
  const info = useInfo();
  if (info.isPending) return <Loading label="Loading the lineage…" />;
  if (info.error) return <ErrorMessage error={info.error} title="Cannot load the lineage" onRetry={() => info.refetch()} />;
  if (!info.data.lineage) return <Empty>This server has no lineage of its own: open a merge request’s review.</Empty>;
  if (info.data.lineage.nodes.length === 0) return <Empty>The dbt project has no nodes to show.</Empty>;
  return <LineageView lineage={info.data.lineage} runsReason={runsDisabledReason(info.data)} />;
}
