// The graph canvas. Only visible nodes and edges are rendered
// (onlyRenderVisibleElements), nodes are laid out once per filtered graph,
// and selection is React Flow's own state: selecting a node re-renders that
// node only, never the layout.
import {
  Background,
  Controls,
  MiniMap,
  type NodeMouseHandler,
  ReactFlow,
  useReactFlow,
} from '@xyflow/react';
import { useEffect, useMemo } from 'react';
import type { Graph } from './graph';
import { toFlow, type FlowNode } from './flow';
import LineageNodeView from './LineageNodeView';
import { NODE_HEIGHT, NODE_WIDTH } from './layout';

const nodeTypes = { lineage: LineageNodeView };

/** Above this many nodes: no minimap, and a zoom floor so that a screen never holds thousands of nodes. */
const LARGE = 1000;

export interface LineageGraphProps {
  graph: Graph;
  /** Changes whenever graph does (e.g. the filter as text): a new graph remounts the canvas. */
  graphKey: string;
  /** The node to select and bring into view, if any. */
  focus: { id: string } | null;
  onSelect: (id: string | null) => void;
}

function FocusOn({ focus }: { focus: { id: string } | null }) {
  const rf = useReactFlow<FlowNode>();
  useEffect(() => {
    if (!focus) return;
    const id = focus.id;
    const node = rf.getNode(id);
    if (!node) return;
    rf.setNodes((nodes) => nodes.map((n) => (n.selected === (n.id === id) ? n : { ...n, selected: n.id === id })));
    void rf.setCenter(node.position.x + NODE_WIDTH / 2, node.position.y + NODE_HEIGHT / 2, { zoom: Math.max(rf.getZoom(), 0.8), duration: 300 });
  }, [focus, rf]);
  return null;
}

export function LineageGraph({ graph, graphKey, focus, onSelect }: LineageGraphProps) {
  const flow = useMemo(() => toFlow(graph), [graph]);
  const large = flow.nodes.length > LARGE;
  const onNodeClick: NodeMouseHandler<FlowNode> = (_, node) => onSelect(node.id);
  return (
    <div className="lineage-canvas" data-testid="lineage-graph" data-node-count={flow.nodes.length}>
      <ReactFlow<FlowNode>
        // Uncontrolled: React Flow owns node state (selection); a new graph remounts it.
        key={graphKey}
        defaultNodes={flow.nodes}
        defaultEdges={flow.edges}
        nodeTypes={nodeTypes}
        onlyRenderVisibleElements
        nodesDraggable={false}
        nodesConnectable={false}
        onNodeClick={onNodeClick}
        onPaneClick={() => onSelect(null)}
        minZoom={large ? 0.2 : 0.05}
        fitView
        fitViewOptions={{ minZoom: large ? 0.2 : 0.05 }}
        proOptions={{ hideAttribution: true }}
        ariaLabelConfig={{ 'node.a11yDescription.default': 'Press Enter to open the node details.' }}
        onNodesChange={(changes) => {
          for (const c of changes) if (c.type === 'select' && c.selected) onSelect(c.id);
        }}
      >
        <FocusOn focus={focus} />
        <Background gap={24} />
        <Controls showInteractive={false} />
        {!large && <MiniMap pannable zoomable ariaLabel="Minimap of the lineage" />}
      </ReactFlow>
    </div>
  );
}
