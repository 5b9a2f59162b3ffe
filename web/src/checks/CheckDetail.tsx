// One check: edit, run, approve, comment, delete, and its last result.
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useLocation } from 'wouter';
import { runsDisabledReason, useApproveCheck, useDeleteCheck, useInfo, useRefreshChecks, useRun, useRunCheck, useUpdateCheck } from '../api/hooks';
import type { Check } from '../api/types';
import { NoteStatusLine } from '../components/NoteStatus';
import { DisabledReason, ErrorMessage } from '../components/status';
import { ResultView } from '../results/ResultView';
import { RunView } from '../runs/RunView';
import { Comments } from './Comments';
import { ARTIFACT_ONLY, TYPE_LABELS } from './types';
import { VerdictBadge } from './Verdict';

/** Refreshes the checklist when the check's run ends (its status shows in the list). */
function useRefreshWhenRunEnds(runId: string | null) {
  const refresh = useRefreshChecks();
  const status = useRun(runId).data?.status;
  useEffect(() => {
    if (status && status !== 'Running') void refresh();
  }, [status, refresh]);
}

/** A field saved on Enter (or its Save button). Key it by value to reset it when the value changes. */
function EditableText({ label, value, multiline, onSave }: { label: string; value: string; multiline?: boolean; onSave: (v: string) => void }) {
  const [text, setText] = useState(value);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text !== value) onSave(text);
  };
  const field = multiline ? (
    <textarea aria-label={label} placeholder={`${label} (optional)`} value={text} onChange={(e) => setText(e.target.value)} rows={2} />
  ) : (
    <input aria-label={label} value={text} onChange={(e) => setText(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setText(value)} />
  );
  return (
    <form className="editable" onSubmit={submit}>
      {field}
      {text !== value && (
        <>
          <button type="submit">Save {label.toLowerCase()}</button>
          <button type="button" onClick={() => setText(value)}>
            Cancel
          </button>
        </>
      )}
    </form>
  );
}

export function CheckDetail({ check, readOnlyGitLab }: { check: Check; readOnlyGitLab: boolean }) {
  const id = useId();
  const info = useInfo();
  const [, navigate] = useLocation();
  const update = useUpdateCheck();
  const approve = useApproveCheck();
  const runCheck = useRunCheck();
  const del = useDeleteCheck();
  const [confirmDelete, setConfirmDelete] = useState(false);
  // The box follows the click at once (a controlled checkbox would otherwise
  // spring back until the server answers), then the server's value.
  const [approving, setApproving] = useState<boolean | null>(null);
  const onApprove = (approved: boolean) => {
    setApproving(approved);
    approve.mutate({ id: check.check_id, approved }, { onSettled: () => setApproving(null) });
  };
  const lastRunId = check.last_run?.run_id ?? null;
  useRefreshWhenRunEnds(lastRunId);
  const running = check.last_run?.status === 'Running';
  const reason = ARTIFACT_ONLY.has(check.type) ? null : runsDisabledReason(info.data);
  const error = update.error ?? approve.error ?? runCheck.error ?? del.error;

  return (
    <article className="check" aria-labelledby={`${id}-name`} data-testid="check-detail">
      <h2 id={`${id}-name`} className="visually-hidden">
        {check.name}
      </h2>
      <EditableText key={`name:${check.name}`} label="Name" value={check.name} onSave={(name) => update.mutate({ id: check.check_id, patch: { name } })} />
      <p className="muted">
        {TYPE_LABELS[check.type] ?? check.type}
        {check.is_preset && ' · preset (recce.yml)'}
        {check.is_checked && <span className="tag tag--approved">approved</span>}
      </p>
      <p className="check__verdict" data-testid="check-verdict">
        <VerdictBadge check={check} withReason />
      </p>
      <EditableText
        key={`description:${check.description ?? ''}`}
        label="Description"
        multiline
        value={check.description ?? ''}
        onSave={(description) => update.mutate({ id: check.check_id, patch: { description } })}
      />
      <div className="buttons">
        {check.type !== 'simple' && (
          <button
            type="button"
            data-testid="run-check"
            disabled={reason !== null || running || runCheck.isPending}
            aria-describedby={reason ? `${id}-why` : undefined}
            onClick={() => runCheck.mutate(check.check_id)}
          >
            {check.last_run ? 'Re-run' : 'Run'}
          </button>
        )}
        <label className="toggle">
          <input
            type="checkbox"
            data-testid="approve-check"
            checked={approving ?? check.is_checked}
            onChange={(e) => onApprove(e.target.checked)}
          />
          Approved
        </label>
        {confirmDelete ? (
          <span role="group" aria-label="Confirm deletion">
            Delete “{check.name}”?{' '}
            <button
              type="button"
              className="danger"
              onClick={() => del.mutate(check.check_id, { onSuccess: () => navigate('/checks') })}
              autoFocus
            >
              Yes, delete
            </button>
            <button type="button" onClick={() => setConfirmDelete(false)}>
              Keep it
            </button>
          </span>
        ) : (
          <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
            Delete check
          </button>
        )}
      </div>
      <DisabledReason id={`${id}-why`} reason={check.type === 'simple' ? null : reason} />
      {readOnlyGitLab && (
        <p className="muted small">GitLab is connected with a read-only token: approvals and comments are not posted on the merge request.</p>
      )}
      <NoteStatusLine note={approve.data?.note} />
      {error && <ErrorMessage error={error} />}
      {Object.keys(check.params ?? {}).length > 0 && (
        <details>
          <summary>Parameters</summary>
          <pre className="raw">{JSON.stringify(check.params, null, 2)}</pre>
        </details>
      )}
      <section aria-label="Result">
        {lastRunId ? (
          <RunView runId={lastRunId} />
        ) : ARTIFACT_ONLY.has(check.type) ? (
          <ResultView type={check.type} params={check.params} result={null} />
        ) : check.type !== 'simple' ? (
          <p className="muted">Not run yet.</p>
        ) : null}
      </section>
      <Comments check={check} readOnlyGitLab={readOnlyGitLab} />
    </article>
  );
}
