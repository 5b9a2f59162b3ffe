// The graph canvas (how it stays fluid at 10,000 nodes: see LineageGraph below).
import {
  Background,
  ControlButton,
  Controls,
  getViewportForBounds,
  MiniMap,
  type NodeChange,
  type NodeMouseHandler,
  ReactFlow,
  type Rect,
  useReactFlow,
  useStore,
  useStoreApi,
} from '@xyflow/react';
import { memo, type PointerEvent, type RefObject, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { EdgeLayer } from './EdgeLayer';
import { classifyEdges, edgeGeometry } from './edges';
import { type Flow, type FlowNode, toFlow } from './flow';
import { type Graph, isChanged } from './graph';
import { NODE_HEIGHT, NODE_WIDTH } from './layout';
import LineageNodeView, { type Highlight, HighlightContext } from './LineageNodeView';
import { indexGraph, pathThrough } from './path';
import { boundsOf, nodesIn, opening, READABLE_ZOOM, regionFor } from './viewport';

const nodeTypes = { lineage: LineageNodeView };
const NO_EDGES: never[] = [];
const NO_NODES: FlowNode[] = [];
const ARIA = { 'node.a11yDescription.default': 'Press Enter to open the node details.' };

/** Above this many nodes: no minimap, a zoom floor so that a screen never holds thousands of nodes, and regions (below). */
const LARGE = 1000;
const MIN_ZOOM_LARGE = 0.3;
/** The zoom a found node is shown at, at least. */
const FOUND_ZOOM = 0.8;
const MOVE_MS = 250;

/** Moves are animated unless the user asked for reduced motion (or the browser cannot say, as in tests). */
const moveMs = () =>
  typeof window.matchMedia === 'function' && !window.matchMedia('(prefers-reduced-motion: reduce)').matches ? MOVE_MS : 0;
const PADDING = 0.1;

export interface LineageGraphProps {
  graph: Graph;
  /** Changes whenever graph does (e.g. the filter as text): a new graph remounts the canvas. */
  graphKey: string;
  selectedId: string | null;
  /** The node to bring into view, if any (a new object each time). */
  focus: { id: string } | null;
  onSelect: (id: string | null) => void;
  /** Pixels of the canvas's right side covered by the node panel: centring keeps nodes clear of it. */
  coverRight?: RefObject<number>;
  /** Called with a node likely to be selected next (pointer down on it, or resting on it), to load its details early. */
  onPrefetch?: (id: string) => void;
}

/** How long the pointer rests on a node before its details are fetched ahead. */
const HOVER_PREFETCH_MS = 150;

type Rf = ReturnType<typeof useReactFlow<FlowNode>>;
type Store = ReturnType<typeof useStoreApi>;

/** Puts a node in the middle of the part of the canvas the panel leaves free. */
function centreOn(rf: Rf, store: Store, flow: Flow, id: string, cover: number, minZoom: number, duration: number) {
  const p = flow.positions.get(id);
  if (!p) return;
  const { width, height, transform } = store.getState();
  const zoom = Math.max(transform[2], minZoom);
  const free = Math.max(width - cover, width / 3);
  void rf.setViewport({ x: free / 2 - (p.x + NODE_WIDTH / 2) * zoom, y: height / 2 - (p.y + NODE_HEIGHT / 2) * zoom, zoom }, { duration });
}

/** Fits a box of the graph in the canvas, between the zoom floor and maxZoom. */
function fit(rf: Rf, store: Store, box: Rect, maxZoom: number, duration = 0) {
  const { width, height, minZoom } = store.getState();
  void rf.setViewport(getViewportForBounds(box, width, height, minZoom, maxZoom, PADDING), { duration });
}

/** Re-centres on each newly selected node, and on each found node at a zoom where it reads. */
function Recentre({ flow, selectedId, focus, coverRight }: { flow: Flow } & Pick<LineageGraphProps, 'selectedId' | 'focus' | 'coverRight'>) {
  const rf = useReactFlow<FlowNode>();
  const store = useStoreApi();
  // What the canvas opened with is OpenView's to show.
  const shown = useRef(selectedId);
  const found = useRef(focus);
  useEffect(() => {
    if (selectedId === shown.current) return;
    shown.current = selectedId;
    if (selectedId !== null) centreOn(rf, store, flow, selectedId, coverRight?.current ?? 0, 0, moveMs());
  }, [selectedId, rf, store, flow, coverRight]);
  useEffect(() => {
    if (!focus || focus === found.current) return;
    found.current = focus;
    centreOn(rf, store, flow, focus.id, coverRight?.current ?? 0, FOUND_ZOOM, moveMs());
  }, [focus, rf, store, flow, coverRight]);
  return null;
}

/**
 * The first view of a graph, once the canvas has its size: the selected node
 * if there is one, else the whole graph if it reads, else its changes
 * (viewport.ts).
 */
function OpenView({ flow, changed, selectedId, coverRight }: { flow: Flow; changed: string[]; selectedId: string | null; coverRight?: RefObject<number> }) {
  const rf = useReactFlow<FlowNode>();
  const store = useStoreApi();
  const sized = useStore((s) => s.width > 0 && s.height > 0);
  const selected = useRef(selectedId);
  useEffect(() => {
    if (!sized) return;
    const { width, height } = store.getState();
    const id = selected.current;
    if (id !== null && flow.positions.has(id)) return centreOn(rf, store, flow, id, coverRight?.current ?? 0, READABLE_ZOOM, 0);
    const o = opening(flow.positions, changed, width, height);
    if (o.fit === 'all') fit(rf, store, boundsOf(flow.positions), 1);
    else fit(rf, store, boundsOf(flow.positions, o.ids), 1);
  }, [sized, rf, store, flow, changed, coverRight]);
  return null;
}

/**
 * Keeps the region of the graph React Flow holds around the view: a new
 * region (the view and half a view on each side) when the view leaves it or
 * is far smaller than it.
 */
function FollowView({ onRegion }: { onRegion: (r: Rect) => void }) {
  const store = useStoreApi();
  useEffect(() => {
    let region: Rect | null = null;
    const check = ({ transform: [x, y, zoom], width, height }: { transform: [number, number, number]; width: number; height: number }) => {
      if (!(width > 0 && height > 0 && zoom > 0 && Number.isFinite(x) && Number.isFinite(y))) return;
      const next = regionFor({ x: -x / zoom, y: -y / zoom, width: width / zoom, height: height / zoom }, region);
      if (next !== region) onRegion((region = next));
    };
    check(store.getState());
    return store.subscribe(check);
  }, [store, onRegion]);
  return null;
}

/** Below this zoom node names cannot be read: they are not drawn (less to paint on each frame of a pan). */
export const TEXT_MIN_ZOOM = 0.45;

/** Marks the canvas "far" while zoomed out past reading; a class, so that no node re-renders. */
function FarClass({ canvas }: { canvas: RefObject<HTMLDivElement | null> }) {
  const store = useStoreApi();
  useEffect(() => {
    let far: boolean | null = null;
    const check = ({ transform }: { transform: [number, number, number] }) => {
      const now = transform[2] < TEXT_MIN_ZOOM;
      if (now !== far) canvas.current?.classList.toggle('far', (far = now));
    };
    check(store.getState());
    return store.subscribe(check);
  }, [store, canvas]);
  return null;
}

/** The fit view control, on the whole graph (React Flow's would fit only the nodes it holds). */
function FitAll({ flow }: { flow: Flow }) {
  const rf = useReactFlow<FlowNode>();
  const store = useStoreApi();
  return (
    <ControlButton
      className="react-flow__controls-fitview"
      onClick={() => fit(rf, store, boundsOf(flow.positions), 1, moveMs())}
      title="Fit the whole graph in view"
      aria-label="Fit the whole graph in view"
    >
      <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 30" aria-hidden="true">
        <path d="M3.692 4.63c0-.53.4-.938.939-.938h5.215V0H4.708C2.13 0 0 2.054 0 4.63v5.216h3.692V4.631zM27.354 0h-5.2v3.692h5.17c.53 0 .984.4.984.939v5.215H32V4.631A4.624 4.624 0 0027.354 0zm.954 24.83c0 .532-.4.94-.939.94h-5.215v3.768h5.215c2.577 0 4.631-2.13 4.631-4.707v-5.139h-3.692v5.139zm-23.677.94c-.531 0-.939-.4-.939-.94v-5.138H0v5.139c0 2.577 2.13 4.707 4.708 4.707h5.138V25.77H4.631z" />
      </svg>
    </ControlButton>
  );
}

/** One graph on the canvas; remounted (fresh view and region) for each new graph. */
function Canvas({ graph, selectedId, focus, onSelect, coverRight, onPrefetch }: Omit<LineageGraphProps, 'graphKey'>) {
  const ix = useMemo(() => indexGraph(graph), [graph]);
  const flow = useMemo(() => toFlow(ix), [ix]);
  const classes = useMemo(() => classifyEdges(ix), [ix]);
  const geo = useMemo(() => edgeGeometry(ix, flow.x, flow.y), [ix, flow]);
  const changed = useMemo(() => graph.nodes.filter(isChanged).map((n) => n.unique_id), [graph]);
  const path = useMemo(() => (selectedId === null ? null : pathThrough(ix, selectedId)), [ix, selectedId]);
  const highlight = useMemo<Highlight>(() => ({ selectedId, path: path?.nodes ?? null }), [selectedId, path]);
  const large = flow.nodes.length > LARGE;
  const minZoom = large ? MIN_ZOOM_LARGE : 0.05;
  const [region, setRegion] = useState<Rect | null>(null);
  const nodes = useMemo(() => (!large ? flow.nodes : region ? nodesIn(flow.nodes, region) : NO_NODES), [large, flow, region]);
  // Selection by mouse or keyboard (Enter on a focused node) arrives as a change.
  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      for (const c of changes) if (c.type === 'select' && c.selected) onSelect(c.id);
    },
    [onSelect],
  );
  const onNodeClick = useCallback<NodeMouseHandler<FlowNode>>((_, node) => onSelect(node.id), [onSelect]);
  const onPaneClick = useCallback(() => onSelect(null), [onSelect]);
  const canvas = useRef<HTMLDivElement>(null);
  // Details of the node about to be clicked: fetched from pointer down (a
  // click selects on pointer up) or once the pointer rests on it.
  const hover = useRef(0);
  const onPointerDownCapture = useCallback(
    (e: PointerEvent) => {
      const id = (e.target as Element).closest?.('.react-flow__node')?.getAttribute('data-id');
      if (id) onPrefetch?.(id);
    },
    [onPrefetch],
  );
  const onNodeMouseEnter = useCallback<NodeMouseHandler<FlowNode>>(
    (_, node) => {
      window.clearTimeout(hover.current);
      if (onPrefetch) hover.current = window.setTimeout(() => onPrefetch(node.id), HOVER_PREFETCH_MS);
    },
    [onPrefetch],
  );
  const onNodeMouseLeave = useCallback(() => window.clearTimeout(hover.current), []);
  useEffect(() => () => window.clearTimeout(hover.current), []);
  return (
    <div
      ref={canvas}
      onPointerDownCapture={onPointerDownCapture}
      className="lineage-canvas"
      data-testid="lineage-graph"
      data-node-count={flow.nodes.length}
      data-edge-count={graph.edges.length}
      data-path-count={path?.nodes.size ?? 0}
    >
      <HighlightContext.Provider value={highlight}>
        <ReactFlow<FlowNode>
          nodes={nodes}
          edges={NO_EDGES}
          onNodesChange={onNodesChange}
          nodeTypes={nodeTypes}
          // A large graph is culled by region (FollowView): culling again on
          // every frame, mounting and measuring nodes as they come into view,
          // cost more than keeping the region's nodes mounted.
          onlyRenderVisibleElements={!large}
          nodesDraggable={false}
          nodesConnectable={false}
          onNodeClick={onNodeClick}
          onNodeMouseEnter={onNodeMouseEnter}
          onNodeMouseLeave={onNodeMouseLeave}
          onPaneClick={onPaneClick}
          minZoom={minZoom}
          ariaLabelConfig={ARIA}
        >
          <OpenView flow={flow} changed={changed} selectedId={selectedId} coverRight={coverRight} />
          <Recentre flow={flow} selectedId={selectedId} focus={focus} coverRight={coverRight} />
          {large && <FollowView onRegion={setRegion} />}
          <FarClass canvas={canvas} />
          <Background gap={24} />
          <EdgeLayer classes={classes} geo={geo} path={path} region={large ? region : null} />
          <Controls showInteractive={false} showFitView={false}>
            <FitAll flow={flow} />
          </Controls>
          {!large && <MiniMap pannable zoomable ariaLabel="Minimap of the lineage" />}
        </ReactFlow>
      </HighlightContext.Provider>
    </div>
  );
}

/**
 * The graph canvas, built to stay fluid at 10,000 nodes:
 * - nodes are laid out once per filtered graph (memoised in toFlow);
 * - up to LARGE nodes, React Flow renders only those in view
 *   (onlyRenderVisibleElements); above, it holds and renders only those of
 *   a region around the view, remade when the view leaves it (FollowView):
 *   its work on a new graph, and on each frame, grows with the nodes it
 *   holds, and mounting nodes as they come into view on each frame of a pan
 *   cost more than keeping a region's mounted;
 * - nodes have fixed sizes and handles, so that React Flow need not measure
 *   them;
 * - React Flow draws no edge: one layer of a few SVG paths under the nodes
 *   does (EdgeLayer, edges.ts), for the region held and only those worth seeing;
 * - React Flow's own node changes (measurements, selection) are not applied
 *   back, since each would copy every node; the selected node and its path
 *   are highlighted through a context that only the rendered nodes read;
 * - every prop passed to React Flow is stable, so a selection re-renders the
 *   highlighted nodes and nothing else of the canvas.
 */
export const LineageGraph = memo(function LineageGraph({ graphKey, ...props }: LineageGraphProps) {
  return <Canvas key={graphKey} {...props} />;
});
