// The node's latest row counts from earlier runs of the review (a pipeline's,
// a check's, or the panel's own Row count), so that they show without a new run.
import { useRuns } from '../api/hooks';
import type { NodeDetail } from '../api/types';
import { Time } from '../components/Time';
import { fmtInt, fmtSigned } from '../results/format';
import { latestRowCount } from './latestRowCount';

const side = (n: number | null, status: string | null) => (n === null ? <span className="muted">{status ?? 'N/A'}</span> : fmtInt(n));

export function NodeRowCount({ node }: { node: Pick<NodeDetail, 'unique_id' | 'name'> }) {
  // A review whose runs cannot be listed simply shows no earlier count.
  const runs = useRuns();
  const latest = latestRowCount(runs.data, node);
  if (!latest) return null;
  const { row, run } = latest;
  return (
    <p className="small node-row-count" data-testid="node-row-count">
      <strong>Rows</strong>: base {side(row.base, row.baseStatus)} → current {side(row.current, row.currentStatus)}
      {row.delta !== null && (
        <span className={row.delta > 0 ? 'up' : row.delta < 0 ? 'down' : undefined}>
          {' '}
          ({row.delta === 0 ? 'unchanged' : fmtSigned(row.delta)}
          {row.deltaPercent !== null && row.delta !== 0 && `, ${fmtSigned(row.deltaPercent, ' %')}`})
        </span>
      )}
      <span className="muted">
        {' '}
        · counted <Time iso={run.run_at} fallback="earlier" />
        {run.name && ` in “${run.name}”`}
      </span>
    </p>
  );
}
