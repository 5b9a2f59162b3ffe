// The filtered lineage as React Flow nodes and edges, laid out once per graph.
import { type Edge, type Node, Position } from '@xyflow/react';
import type { LineageNode } from '../api/types';
import { type Category, categoryOf, type Graph } from './graph';
import { layeredLayout, NODE_HEIGHT, NODE_WIDTH } from './layout';

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

const handles: FlowNode['handles'] = [
  { type: 'target', position: Position.Left, x: 0, y: NODE_HEIGHT / 2 },
  { type: 'source', position: Position.Right, x: NODE_WIDTH, y: NODE_HEIGHT / 2 },
];

export function toFlow(graph: Graph): { nodes: FlowNode[]; edges: Edge[] } {
  const positions = layeredLayout(
    graph.nodes.map((n) => n.unique_id),
    graph.edges,
  );
  const nodes: FlowNode[] = graph.nodes.map((node) => ({
    id: node.unique_id,
    type: 'lineage',
    position: positions.get(node.unique_id)!,
    // Fixed sizes and handles: React Flow can tell which nodes are in view, and
    // draw edges, without first rendering every node once to measure it.
    width: NODE_WIDTH,
    height: NODE_HEIGHT,
    handles,
    data: { node, category: categoryOf(node) },
    ariaLabel: `${node.resource_type} ${node.name}: ${describe(node)}`,
    domAttributes: { 'data-testid': `lineage-node-${node.unique_id}` } as FlowNode['domAttributes'],
    draggable: false,
    connectable: false,
  }));
  const edges: Edge[] = graph.edges.map((e) => ({
    id: `${e.source}->${e.target}`,
    source: e.source,
    target: e.target,
    className: `ledge ledge--${e.change}`,
    focusable: false,
  }));
  return { nodes, edges };
}
