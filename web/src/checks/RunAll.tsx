// "Run all checks": a run of every check that is not a note; without a
// warehouse, of the lineage and schema diffs, the data checks being skipped
// with the reason (checks/plan.ts).
import { useId } from 'react';
import { useInfo, useRunAllChecks } from '../api/hooks';
import type { Check } from '../api/types';
import { DisabledReason, ErrorMessage } from '../components/status';
import { planRunAll } from './plan';

export function RunAll({ checks }: { checks: Check[] }) {
  const id = useId();
  const info = useInfo();
  const runAll = useRunAllChecks();
  const plan = planRunAll(info.data, checks);
  const reason = plan.disabledReason;
  const done = runAll.data;
  // Before a run: what will be skipped. After it, the status says what was.
  const skipNote = !done && reason === null ? plan.skippedReason : null;
  return (
    <div className="run-all">
      <button
        type="button"
        data-testid="run-all-checks"
        disabled={reason !== null || runAll.isPending}
        aria-describedby={reason ? `${id}-why` : skipNote ? `${id}-skip` : undefined}
        onClick={() => runAll.mutate({ run: plan.run, skippedReason: plan.skippedReason })}
      >
        {runAll.isPending ? 'Starting the runs…' : 'Run all checks'}
      </button>
      <DisabledReason id={`${id}-why`} reason={reason} />
      {skipNote && (
        <p id={`${id}-skip`} className="small muted" data-testid="run-all-skipped">
          {skipNote}
        </p>
      )}
      {done && (
        <p role="status" className="small">
          {done.started === 1 ? 'Started 1 run.' : `Started ${done.started} runs.`}
          {done.skippedReason && ` ${done.skippedReason}${/[.!?]$/.test(done.skippedReason) ? '' : '.'}`}
          {done.failed.length > 0 && ` ${done.failed.length} could not start:`}
        </p>
      )}
      {done?.failed.map((f) => <ErrorMessage key={f.check.check_id} error={f.error} title={f.check.name} />)}
      {runAll.error && <ErrorMessage error={runAll.error} title="Cannot run the checks" />}
    </div>
  );
}
