// The filtered lineage as React Flow nodes, laid out once per graph. Edges
// are not React Flow's: the edge layer draws them (edges.ts).
import { type Node, Position } from '@xyflow/react';
import type { LineageNode } from '../api/types';
import { type Category, categoryOf } from './graph';
import { layoutIndexed, NODE_HEIGHT, NODE_WIDTH, type Point } from './layout';
import type { GraphIndex } from './path';

export type FlowNodeData = { node: LineageNode; category: Category };
export type FlowNode = Node<FlowNodeData, 'lineage'>;

const changeLabel: Record<Category, string> = {
  added: 'added',
  removed: 'removed',
  modified: 'modified',
  whitespace: 'whitespace-only change',
  unchanged: 'unchanged',
};

export function describe(node: LineageNode): string {
  const category = categoryOf(node);
  const reasons = category === 'modified' && node.reasons.length > 0 ? ` (${node.reasons.join(', ')})` : '';
  const impacted = node.impacted && category === 'unchanged' ? ', impacted' : '';
  return `${changeLabel[category]}${reasons}${impacted}`;
}

// Declared handles (React Flow's handleBounds) and sizes: without them React
// Flow renders every node once to find its handles, whether in view or not,
// and measures each node as it comes into view.
const handles: FlowNode['handles'] = [
  { type: 'target', position: Position.Left, x: 0, y: NODE_HEIGHT / 2 },
  { type: 'source', position: Position.Right, x: NODE_WIDTH, y: NODE_HEIGHT / 2 },
];

/** The graph's nodes for React Flow, and their positions: by unique_id, and by node index (x, y). */
export interface Flow {
  nodes: FlowNode[];
  positions: Map<string, Point>;
  x: Float64Array;
  y: Float64Array;
}

const measured = { width: NODE_WIDTH, height: NODE_HEIGHT };

export function toFlow(ix: GraphIndex): Flow {
  const { graph } = ix;
  const { x, y } = layoutIndexed(
    graph.nodes.map((n) => n.unique_id),
    ix.source,
    ix.target,
  );
  const positions = new Map<string, Point>();
  const nodes: FlowNode[] = graph.nodes.map((node, i) => {
    const position = { x: x[i], y: y[i] };
    positions.set(node.unique_id, position);
    return {
      id: node.unique_id,
      type: 'lineage',
      position,
      // Fixed sizes: React Flow can tell which nodes are in view without
      // first rendering every node once to measure it.
      width: NODE_WIDTH,
      height: NODE_HEIGHT,
      measured,
      handles,
      data: { node, category: categoryOf(node) },
      ariaLabel: `${node.resource_type} ${node.name}: ${describe(node)}`,
      domAttributes: { 'data-testid': `lineage-node-${node.unique_id}` } as FlowNode['domAttributes'],
      draggable: false,
      connectable: false,
    };
  });
  return { nodes, positions, x, y };
}
