// lineage_diff and schema_diff (ours; the reference stores no result for
// them): `{"selected", "impacted", "nodes": [{"unique_id", "name",
// "resource_type", "change", "reasons"}]}` and `{"selected", "nodes":
// [{"unique_id", "name", "added", "removed", "changed", "missing"}]}`.
// null when the run has no such result: the app then reads the lineage.
import type { Change, ColumnsDiff, Reason } from '../../api/types';
import { isObj, num, obj } from './common';

const strings = (x: unknown) => (Array.isArray(x) ? x.map(String) : []);

/** An added or removed column: its name, or `{name, type}` from a server that sends the type. */
export type ListedColumn = string | { name: string; type?: string };

/** A node's column changes, added and removed columns with their type when the result has it. */
export interface SchemaColumns extends Omit<ColumnsDiff, 'added' | 'removed'> {
  added: ListedColumn[];
  removed: ListedColumn[];
}

export interface SchemaNodeView {
  uniqueId: string;
  name: string;
  diff: SchemaColumns;
}

const listed = (x: unknown): ListedColumn[] =>
  Array.isArray(x)
    ? x.map((c) => (isObj(c) ? { name: String(c.name ?? ''), type: typeof c.type === 'string' ? c.type : undefined } : String(c)))
    : [];

export function adaptSchemaDiff(result: unknown): { selected: number | null; nodes: SchemaNodeView[] } | null {
  if (!isObj(result) || !Array.isArray(result.nodes)) return null;
  return {
    selected: num(result.selected),
    nodes: result.nodes.map(obj).map((n) => ({
      uniqueId: String(n.unique_id ?? n.name ?? ''),
      name: String(n.name ?? n.unique_id ?? ''),
      diff: {
        added: listed(n.added),
        removed: listed(n.removed),
        changed: (Array.isArray(n.changed) ? n.changed : []).map(obj).map((c) => ({
          name: String(c.name ?? ''),
          base_type: String(c.base_type ?? ''),
          current_type: String(c.current_type ?? ''),
        })),
        missing: typeof n.missing === 'string' ? n.missing : undefined,
      },
    })),
  };
}

export interface LineageDiffView {
  selected: number | null;
  impacted: number | null;
  nodes: { uniqueId: string; name: string; resourceType: string; change: Change; reasons: Reason[] }[];
}

export function adaptLineageDiff(result: unknown): LineageDiffView | null {
  if (!isObj(result) || !Array.isArray(result.nodes)) return null;
  return {
    selected: num(result.selected),
    impacted: num(result.impacted),
    nodes: result.nodes.map(obj).map((n) => ({
      uniqueId: String(n.unique_id ?? ''),
      name: String(n.name ?? n.unique_id ?? ''),
      resourceType: String(n.resource_type ?? ''),
      change: (typeof n.change === 'string' ? n.change : 'modified') as Change,
      reasons: strings(n.reasons) as Reason[],
    })),
  };
}
