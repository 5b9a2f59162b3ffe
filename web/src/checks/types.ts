import type { RunType } from '../api/types';

export const TYPE_LABELS: Record<RunType, string> = {
  lineage_diff: 'Lineage diff',
  schema_diff: 'Schema diff',
  row_count_diff: 'Row count diff',
  value_diff: 'Value diff',
  value_diff_detail: 'Value diff detail',
  profile_diff: 'Profile diff',
  query: 'Query',
  query_base: 'Query (base)',
  query_diff: 'Query diff',
  top_k_diff: 'Top-K diff',
  histogram_diff: 'Histogram diff',
  simple: 'Note',
};

/** Types read from the artifacts alone: they run without a warehouse. */
export const ARTIFACT_ONLY = new Set<RunType>(['lineage_diff', 'schema_diff']);

/** Moves the item at `from` to `to` (both indexes in the list). */
export function move<T>(list: T[], from: number, to: number): T[] {
  const out = [...list];
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item);
  return out;
}
