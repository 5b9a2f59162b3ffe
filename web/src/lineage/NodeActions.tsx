// Diffs to run on the selected node, their result, and "Add to checklist".
import { useId, useState } from 'react';
import { useCreateCheck, useStartRun } from '../api/hooks';
import type { NodeDetail, Params, RunType } from '../api/types';
import { DisabledReason, ErrorMessage } from '../components/status';
import { AddToChecklist } from '../runs/AddToChecklist';
import { RunView } from '../runs/RunView';

interface Action {
  type: RunType;
  label: string;
  /** Params for the node, or a message saying what is missing. */
  params: (node: NodeDetail, opts: { column: string; columnType: string; primaryKey: string[] }) => Params | string;
}

const ACTIONS: Action[] = [
  { type: 'row_count_diff', label: 'Row count', params: (n) => ({ node_ids: [n.unique_id] }) },
  {
    type: 'value_diff',
    label: 'Value diff',
    params: (n, o) =>
      o.primaryKey.length === 0 ? 'Enter the primary key column(s) first.' : { model: n.name, primary_key: o.primaryKey.length === 1 ? o.primaryKey[0] : o.primaryKey },
  },
  { type: 'profile_diff', label: 'Profile', params: (n) => ({ model: n.name }) },
  {
    type: 'top_k_diff',
    label: 'Top-K',
    params: (n, o) => (o.column ? { model: n.name, column_name: o.column, k: 10 } : 'Choose a column first.'),
  },
  {
    type: 'histogram_diff',
    label: 'Histogram',
    params: (n, o) =>
      o.column ? { model: n.name, column_name: o.column, column_type: o.columnType, num_bins: 50 } : 'Choose a column first.',
  },
];

const typeLabel = (t: RunType) => ACTIONS.find((a) => a.type === t)?.label ?? t;

export function NodeActions({ node, disabledReason }: { node: NodeDetail; disabledReason: string | null }) {
  const id = useId();
  const columns = node.current?.columns ?? node.base?.columns ?? [];
  const [column, setColumn] = useState('');
  const [primaryKey, setPrimaryKey] = useState((node.primary_key ?? []).join(', '));
  const [problem, setProblem] = useState<string | null>(null);
  const start = useStartRun();
  const addSchema = useCreateCheck();
  const run = start.data;

  const runAction = (a: Action) => {
    const columnType = columns.find((c) => c.name === column)?.type ?? '';
    const pk = primaryKey.split(',').map((s) => s.trim()).filter(Boolean);
    const params = a.params(node, { column, columnType, primaryKey: pk });
    if (typeof params === 'string') return setProblem(params);
    setProblem(null);
    start.mutate({ type: a.type, params, name: `${a.label} of ${node.name}` });
  };

  return (
    <section aria-labelledby={`${id}-h`} className="node-actions">
      <h3 id={`${id}-h`}>Run a diff</h3>
      <div className="row">
        <label>
          Column
          <select aria-label="Column" data-testid="node-column" value={column} onChange={(e) => setColumn(e.target.value)}>
            <option value="">(choose, for Top-K and Histogram)</option>
            {columns.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} {c.type && `(${c.type})`}
              </option>
            ))}
          </select>
        </label>
        <label>
          Primary key
          <input
            aria-label="Primary key"
            data-testid="node-primary-key"
            placeholder="id, or col_a, col_b"
            value={primaryKey}
            onChange={(e) => setPrimaryKey(e.target.value)}
          />
        </label>
      </div>
      <div className="buttons" role="group" aria-label="Diffs on this node">
        {ACTIONS.map((a) => (
          <button
            key={a.type}
            type="button"
            data-testid={`run-${a.type}`}
            disabled={disabledReason !== null || start.isPending}
            aria-describedby={disabledReason ? `${id}-why` : undefined}
            onClick={() => runAction(a)}
          >
            {a.label}
          </button>
        ))}
        <button
          type="button"
          data-testid="add-schema-check"
          onClick={() => addSchema.mutate({ type: 'schema_diff', name: `Schema diff of ${node.name}`, params: { node_id: node.unique_id } })}
          disabled={addSchema.isPending}
        >
          Add schema diff to checklist
        </button>
      </div>
      <DisabledReason id={`${id}-why`} reason={disabledReason} />
      {problem && <p role="alert" className="reason">{problem}</p>}
      {start.error && <ErrorMessage error={start.error} title="Cannot start the run" />}
      {run && (
        <div className="node-actions__result">
          <h4>{typeLabel(run.type)} of {node.name}</h4>
          <RunView runId={run.run_id} />
          <AddToChecklist key={run.run_id} run={run} name={`${typeLabel(run.type)} of ${node.name}`} />
        </div>
      )}
      {addSchema.isSuccess && <p role="status" className="ok">Added “{addSchema.data.name}” to the checklist.</p>}
      {addSchema.error && <ErrorMessage error={addSchema.error} title="Cannot add the check" />}
    </section>
  );
}
