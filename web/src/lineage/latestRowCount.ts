// The latest row counts of a node from the review's earlier runs: the newest
// finished row_count_diff run whose node_ids include the node (what the node
// panel's Row count runs, and what pipelines and checks leave in the state).
import type { Run } from '../api/types';
import { adaptRowCount, type RowCountRow } from '../results/adapters/rowCount';

export interface LatestRowCount {
  run: Run;
  row: RowCountRow;
}

const time = (run: Run) => {
  const t = Date.parse(run.run_at);
  return Number.isNaN(t) ? -Infinity : t;
};

/** The node's row in a run's result: by unique_id when the server gives it, else by name (or package.name), else a run's only row for its only node. */
function rowOf(run: Run, node: { unique_id: string; name: string }, ids: string[]): RowCountRow | null {
  const rows = adaptRowCount(run.result);
  const pkg = node.unique_id.split('.')[1];
  return (
    rows.find((r) => r.uniqueId === node.unique_id) ??
    rows.find((r) => r.uniqueId === null && (r.name === node.name || r.name === `${pkg}.${node.name}`)) ??
    (ids.length === 1 && rows.length === 1 && rows[0].uniqueId === null ? rows[0] : null)
  );
}

/**
 * The newest finished row_count_diff run naming the node in `node_ids` that
 * has a count for it, or null. Runs come newest first from the server; the
 * latest `run_at` wins regardless, the list order breaking ties.
 */
export function latestRowCount(runs: Run[] | undefined, node: { unique_id: string; name: string }): LatestRowCount | null {
  let best: LatestRowCount | null = null;
  for (const run of runs ?? []) {
    if (run.type !== 'row_count_diff' || run.status !== 'Finished') continue;
    const ids = run.params?.node_ids;
    if (!Array.isArray(ids) || !ids.includes(node.unique_id)) continue;
    if (best && time(run) <= time(best.run)) continue;
    const row = rowOf(run, node, ids);
    if (row) best = { run, row };
  }
  return best;
}
