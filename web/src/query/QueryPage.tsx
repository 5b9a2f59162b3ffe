// Query screen: SQL with {{ ref("model") }}, run on current, base, or as a diff.
import { lazy, Suspense, useCallback, useId, useState } from 'react';
import { runsDisabledReason, useInfo, useStartQuery } from '../api/hooks';
import type { Info, QueryEnv } from '../api/types';
import { DisabledReason, ErrorMessage, Loading } from '../components/status';
import { isChanged } from '../lineage/graph';
import { AddToChecklist } from '../runs/AddToChecklist';
import { RunView } from '../runs/RunView';

const SqlEditor = lazy(() => import('../editor/SqlEditor'));

const ENVS: { value: QueryEnv; label: string }[] = [
  { value: 'current', label: 'Current' },
  { value: 'base', label: 'Base' },
  { value: 'diff', label: 'Diff (base vs current)' },
];

/** A model to start the example query with: a modified one (it exists on both sides), else any model on both sides. */
function firstModel(info: Info | undefined): string {
  const models = info?.lineage?.nodes.filter((n) => n.resource_type === 'model' && n.change !== 'added' && n.change !== 'removed') ?? [];
  return (models.find(isChanged) ?? models[0])?.name ?? 'my_model';
}

export function QueryPage() {
  const id = useId();
  const info = useInfo();
  const [sql, setSql] = useState<string | null>(null);
  const [env, setEnv] = useState<QueryEnv>('current');
  const [keys, setKeys] = useState('');
  const start = useStartQuery();
  const text = sql ?? `select * from {{ ref("${firstModel(info.data)}") }}`;
  const reason = runsDisabledReason(info.data);
  const run = useCallback(() => {
    if (reason) return;
    const primaryKeys = keys.split(',').map((k) => k.trim()).filter(Boolean);
    start.mutate({ sql: text, env, primaryKeys: env === 'diff' ? primaryKeys : undefined });
  }, [reason, keys, text, env, start]);
  const last = start.data;

  return (
    <div className="query">
      <h1>Query</h1>
      <p className="muted">
        Write SQL with <code>{'{{ ref("model") }}'}</code>; it runs against the chosen environment. Ctrl+Enter runs.
      </p>
      <Suspense fallback={<Loading label="Loading the editor…" />}>
        <SqlEditor value={text} onChange={setSql} onRun={run} />
      </Suspense>
      <div className="row">
        <fieldset className="envs">
          <legend>Run on</legend>
          {ENVS.map((e) => (
            <label key={e.value}>
              <input type="radio" name="env" value={e.value} checked={env === e.value} onChange={() => setEnv(e.value)} /> {e.label}
            </label>
          ))}
        </fieldset>
        {env === 'diff' && (
          <label>
            Primary keys
            <input
              aria-label="Primary keys"
              data-testid="query-primary-keys"
              placeholder="optional: id, or col_a, col_b"
              value={keys}
              onChange={(e) => setKeys(e.target.value)}
            />
          </label>
        )}
        <button type="button" data-testid="run-query" onClick={run} disabled={reason !== null || start.isPending} aria-describedby={reason ? `${id}-why` : undefined}>
          Run query
        </button>
      </div>
      <DisabledReason id={`${id}-why`} reason={reason} />
      {start.error && <ErrorMessage error={start.error} title="Cannot run the query" />}
      {last && (
        <section aria-label="Query result">
          <RunView runId={last.run_id} />
          <AddToChecklist key={last.run_id} run={last} name={last.type === 'query_diff' ? 'Query diff' : last.type === 'query_base' ? 'Query (base)' : 'Query'} />
        </section>
      )}
    </div>
  );
}
