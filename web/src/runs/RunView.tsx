// A run as it goes: progress (polled), then its result or its error.
import { useEffect, useRef } from 'react';
import { useCancelRun, useRefreshRuns, useRun } from '../api/hooks';
import { ErrorMessage, Loading, Progress } from '../components/status';
import { ResultView } from '../results/ResultView';

export function RunView({ runId }: { runId: string }) {
  const run = useRun(runId);
  const cancel = useCancelRun();
  // When the run ends, the list of runs (earlier row counts of the node panel) is out of date.
  const refreshRuns = useRefreshRuns();
  const status = run.data?.status;
  const was = useRef(status);
  useEffect(() => {
    if (was.current === 'Running' && status !== undefined && status !== 'Running') void refreshRuns();
    was.current = status;
  }, [status, refreshRuns]);
  if (run.isPending) return <Loading label="Loading the run…" />;
  if (run.error) return <ErrorMessage error={run.error} title="Cannot load the run" onRetry={() => run.refetch()} />;
  const r = run.data;
  return (
    <div className="run" data-testid="run" data-status={r.status}>
      {r.status === 'Running' && (
        <div className="run__running">
          <Progress label={r.progress?.message || 'Running…'} percentage={r.progress?.percentage} />
          <button type="button" onClick={() => cancel.mutate(r.run_id)} disabled={cancel.isPending}>
            Cancel run
          </button>
          {cancel.error && <ErrorMessage error={cancel.error} title="Cannot cancel" />}
        </div>
      )}
      {r.status === 'Failed' && <ErrorMessage error={r.error || 'The run failed without saying why.'} title="The run failed" />}
      {r.status === 'Cancelled' && <p className="muted">The run was cancelled.</p>}
      {r.status === 'Finished' && <ResultView type={r.type} params={r.params} result={r.result} />}
      {r.run_at && r.status !== 'Running' && (
        <p className="muted small">Run at {new Date(r.run_at).toLocaleString()}</p>
      )}
    </div>
  );
}
