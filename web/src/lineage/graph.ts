// The lineage graph as the app shows it: how each node is coloured, and which
// nodes and edges a filter keeps. Pure functions over `recce lineage-diff`'s JSON.
import type { Lineage, LineageEdge, LineageNode } from '../api/types';

/** How a node is drawn: its change, with whitespace-only modifications set apart (dimmed). */
export type Category = 'added' | 'removed' | 'modified' | 'whitespace' | 'unchanged';

export function categoryOf(node: LineageNode): Category {
  if (node.change === 'modified' && node.reasons.length > 0 && node.reasons.every((r) => r === 'whitespace')) {
    return 'whitespace';
  }
  return node.change;
}

/** Added, removed, or modified beyond whitespace. */
export function isChanged(node: LineageNode): boolean {
  const c = categoryOf(node);
  return c === 'added' || c === 'removed' || c === 'modified';
}

/** Which nodes to show: all, changed ones, or changed ones and their downstream (impacted). */
export type View = 'all' | 'changed' | 'impacted';

export interface LineageFilter {
  view: View;
  /** The package to keep; '' keeps all. */
  packageName: string;
  /** The resource type to keep; '' keeps all. */
  resourceType: string;
  /** unique_ids from a select/exclude (GET /api/select); null when there is no selector. */
  selected: string[] | null;
}

/** Above this many nodes the graph opens on changed nodes only. */
export const BIG_GRAPH = 500;

export function defaultFilter(lineage: Lineage): LineageFilter {
  return {
    view: lineage.nodes.length > BIG_GRAPH ? 'changed' : 'all',
    packageName: '',
    resourceType: '',
    selected: null,
  };
}

export interface Graph {
  nodes: LineageNode[];
  edges: LineageEdge[];
}

function keepByView(node: LineageNode, view: View): boolean {
  switch (view) {
    case 'all':
      return true;
    case 'changed':
      return isChanged(node);
    case 'impacted':
      return isChanged(node) || node.impacted;
  }
}

/** The nodes the filter keeps (in the lineage's order) and the edges between them. */
export function filterLineage(lineage: Lineage, filter: LineageFilter): Graph {
  const selected = filter.selected === null ? null : new Set(filter.selected);
  const nodes = lineage.nodes.filter(
    (n) =>
      keepByView(n, filter.view) &&
      (filter.packageName === '' || n.package_name === filter.packageName) &&
      (filter.resourceType === '' || n.resource_type === filter.resourceType) &&
      (selected === null || selected.has(n.unique_id)),
  );
  const kept = new Set(nodes.map((n) => n.unique_id));
  const edges = lineage.edges.filter((e) => kept.has(e.source) && kept.has(e.target));
  return { nodes, edges };
}

export interface Facet {
  value: string;
  count: number;
}

function countBy(nodes: LineageNode[], key: (n: LineageNode) => string): Facet[] {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(key(n), (counts.get(key(n)) ?? 0) + 1);
  return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => a.value.localeCompare(b.value));
}

export const packageFacets = (lineage: Lineage) => countBy(lineage.nodes, (n) => n.package_name);
export const resourceTypeFacets = (lineage: Lineage) => countBy(lineage.nodes, (n) => n.resource_type);

export type ChangeCounts = Record<Category, number> & { impacted: number };

export function changeCounts(nodes: LineageNode[]): ChangeCounts {
  const counts: ChangeCounts = { added: 0, removed: 0, modified: 0, whitespace: 0, unchanged: 0, impacted: 0 };
  for (const n of nodes) {
    counts[categoryOf(n)]++;
    if (n.impacted && !isChanged(n)) counts.impacted++;
  }
  return counts;
}

/** Nodes whose name or unique_id contains the text (case-insensitive), best matches first. */
export function findNodes(nodes: LineageNode[], text: string, limit = 20): LineageNode[] {
  const q = text.trim().toLowerCase();
  if (q === '') return [];
  const score = (n: LineageNode) => {
    const name = n.name.toLowerCase();
    if (name === q) return 0;
    if (name.startsWith(q)) return 1;
    if (name.includes(q)) return 2;
    return n.unique_id.toLowerCase().includes(q) ? 3 : -1;
  };
  return nodes
    .map((n) => ({ n, s: score(n) }))
    .filter((x) => x.s >= 0)
    .sort((a, b) => a.s - b.s || a.n.name.localeCompare(b.n.name))
    .slice(0, limit)
    .map((x) => x.n);
}
