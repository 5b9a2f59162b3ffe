// The graph canvas, built to stay fluid at 5,000 nodes:
// - nodes are laid out once per filtered graph (memoised in toFlow);
// - only nodes and edges in view are rendered (onlyRenderVisibleElements),
//   with fixed sizes so that React Flow need not measure the others;
// - the node array never changes after that: React Flow's own node changes
//   (measurements, selection) are not applied back, since each would copy
//   all 5,000 nodes; the selected node is highlighted through a context
//   that only the rendered nodes read.
import { Background, Controls, MiniMap, type NodeChange, ReactFlow, useReactFlow, useStore } from '@xyflow/react';
import { useEffect, useMemo } from 'react';
import { toFlow, type FlowNode } from './flow';
import type { Graph } from './graph';
import { NODE_HEIGHT, NODE_WIDTH } from './layout';
import LineageNodeView, { SelectedContext } from './LineageNodeView';

const nodeTypes = { lineage: LineageNodeView };

/** Above this many nodes: no minimap, and a zoom floor so that a screen never holds thousands of nodes. */
const LARGE = 1000;
const MIN_ZOOM_LARGE = 0.3;

export interface LineageGraphProps {
  graph: Graph;
  /** Changes whenever graph does (e.g. the filter as text): a new graph remounts the canvas. */
  graphKey: string;
  selectedId: string | null;
  /** The node to bring into view, if any (a new object each time). */
  focus: { id: string } | null;
  onSelect: (id: string | null) => void;
}

function FocusOn({ focus }: { focus: { id: string } | null }) {
  const rf = useReactFlow<FlowNode>();
  useEffect(() => {
    const node = focus && rf.getNode(focus.id);
    if (!node) return;
    void rf.setCenter(node.position.x + NODE_WIDTH / 2, node.position.y + NODE_HEIGHT / 2, {
      zoom: Math.max(rf.getZoom(), 0.8),
      duration: 300,
    });
  }, [focus, rf]);
  return null;
}

/**
 * Fits the whole graph in view once the canvas has its size. By default
 * React Flow fits only nodes it has measured, which the nodes out of view
 * never are: includeHiddenNodes makes it use their declared sizes.
 * Remounted with each new graph.
 */
function FitOnce({ minZoom }: { minZoom: number }) {
  const rf = useReactFlow();
  const sized = useStore((s) => s.width > 0 && s.height > 0);
  useEffect(() => {
    if (sized) void rf.fitView({ minZoom, includeHiddenNodes: true });
  }, [sized, rf, minZoom]);
  return null;
}

export function LineageGraph({ graph, graphKey, selectedId, focus, onSelect }: LineageGraphProps) {
  const flow = useMemo(() => toFlow(graph), [graph]);
  const large = flow.nodes.length > LARGE;
  const minZoom = large ? MIN_ZOOM_LARGE : 0.05;
  // Selection by mouse or keyboard (Enter on a focused node) arrives as a change.
  const onNodesChange = (changes: NodeChange<FlowNode>[]) => {
    for (const c of changes) if (c.type === 'select' && c.selected) onSelect(c.id);
  };
  return (
    <div className="lineage-canvas" data-testid="lineage-graph" data-node-count={flow.nodes.length}>
      <SelectedContext.Provider value={selectedId}>
        <ReactFlow<FlowNode>
          key={graphKey}
          nodes={flow.nodes}
          edges={flow.edges}
          onNodesChange={onNodesChange}
          nodeTypes={nodeTypes}
          onlyRenderVisibleElements
          nodesDraggable={false}
          nodesConnectable={false}
          onNodeClick={(_, node) => onSelect(node.id)}
          onPaneClick={() => onSelect(null)}
          minZoom={minZoom}
          ariaLabelConfig={{ 'node.a11yDescription.default': 'Press Enter to open the node details.' }}
        >
          <FitOnce minZoom={minZoom} />
          <FocusOn focus={focus} />
          <Background gap={24} />
          <Controls showInteractive={false} fitViewOptions={{ minZoom, includeHiddenNodes: true }} />
          {!large && <MiniMap pannable zoomable ariaLabel="Minimap of the lineage" />}
        </ReactFlow>
      </SelectedContext.Provider>
    </div>
  );
}
