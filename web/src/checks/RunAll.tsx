// "Run all checks": a run of every check that is not a note.
import { useId } from 'react';
import { runAllDisabledReason, runnableChecks, useInfo, useRunAllChecks } from '../api/hooks';
import type { Check } from '../api/types';
import { DisabledReason, ErrorMessage } from '../components/status';

export function RunAll({ checks }: { checks: Check[] }) {
  const id = useId();
  const info = useInfo();
  const runAll = useRunAllChecks();
  const reason = runAllDisabledReason(info.data, checks);
  const done = runAll.data;
  return (
    <div className="run-all">
      <button
        type="button"
        data-testid="run-all-checks"
        disabled={reason !== null || runAll.isPending}
        aria-describedby={reason ? `${id}-why` : undefined}
        onClick={() => runAll.mutate(runnableChecks(checks))}
      >
        {runAll.isPending ? 'Starting the runs…' : 'Run all checks'}
      </button>
      <DisabledReason id={`${id}-why`} reason={reason} />
      {done && (
        <p role="status" className="small">
          {done.started === 1 ? 'Started 1 run.' : `Started ${done.started} runs.`}
          {done.failed.length > 0 && ` ${done.failed.length} could not start:`}
        </p>
      )}
      {done?.failed.map((f) => <ErrorMessage key={f.check.check_id} error={f.error} title={f.check.name} />)}
      {runAll.error && <ErrorMessage error={runAll.error} title="Cannot run the checks" />}
    </div>
  );
}
