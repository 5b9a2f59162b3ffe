// Checks screen: the checklist and the selected check; state export and import.
import { type ChangeEvent, useState } from 'react';
import { Link, useParams } from 'wouter';
import { useChecks, useImportState, useInfo, useReorderChecks } from '../api/hooks';
import { useReviewApi } from '../api/review';
import { Empty, ErrorMessage, Loading } from '../components/status';
import { CheckDetail } from './CheckDetail';
import { CheckList } from './CheckList';
import { RunAll } from './RunAll';

function StateTools() {
  const { stateUrl } = useReviewApi();
  const importState = useImportState();
  const [parseError, setParseError] = useState<string | null>(null);
  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    try {
      setParseError(null);
      importState.mutate(JSON.parse(await file.text()));
    } catch {
      setParseError(`${file.name} is not a JSON state file (recce_state.json).`);
    }
  };
  return (
    <div className="state-tools">
      <a href={stateUrl} download="recce_state.json">
        Export state
      </a>
      <label className="file-button">
        Import state
        <input type="file" accept=".json,application/json" aria-label="Import state file" onChange={onFile} />
      </label>
      {importState.isSuccess && (
        <span role="status">
          Imported {importState.data.checks} checks and {importState.data.runs} runs.
        </span>
      )}
      {(parseError || importState.error) && <ErrorMessage error={parseError ?? importState.error} title="Cannot import" />}
    </div>
  );
}

export function ChecksPage() {
  const { id } = useParams<{ id?: string }>();
  const checks = useChecks();
  const info = useInfo();
  const reorder = useReorderChecks();
  if (checks.isPending) return <Loading label="Loading the checklist…" />;
  if (checks.error) return <ErrorMessage error={checks.error} title="Cannot load the checklist" onRetry={() => checks.refetch()} />;
  const list = checks.data;
  const current = list.find((c) => c.check_id === id) ?? (id ? undefined : list[0]);
  return (
    <div className="checks">
      <nav className="checks__list" aria-label="Checks">
        <StateTools />
        {list.length === 0 ? (
          <Empty>
            No check yet. Add one from a node of the <Link href="/lineage">lineage</Link> or from a{' '}
            <Link href="/query">query</Link>.
          </Empty>
        ) : (
          <>
          <RunAll checks={list} />
          <CheckList checks={list} currentId={current?.check_id ?? null} onReorder={(ids) => reorder.mutate(ids)} />
          </>
        )}
        {reorder.error && <ErrorMessage error={reorder.error} title="Cannot reorder" />}
      </nav>
      <div className="checks__detail">
        {current ? (
          <CheckDetail key={current.check_id} check={current} readOnlyGitLab={info.data?.gitlab?.mode === 'read_only'} />
        ) : id ? (
          <Empty>
            This check no longer exists. <Link href="/checks">Back to the checklist</Link>
          </Empty>
        ) : null}
      </div>
    </div>
  );
}
