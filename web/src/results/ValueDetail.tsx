// The value diff's drill-down: the differing rows (`recce diff value-detail`),
// added, removed and modified, base and current side by side with the
// changed cells marked, paged and filtered by status.
import { useId, useState } from 'react';
import { runsDisabledReason, useCancelRun, useInfo, useRun, useStartRun } from '../api/hooks';
import type { Params } from '../api/types';
import { DisabledReason, ErrorMessage, Progress } from '../components/status';
import { AddToChecklist } from '../runs/AddToChecklist';
import { type DetailRow, type DetailStatus, adaptValueDetail, type ValueDetailView } from './adapters/valueDetail';
import { ExportButtons } from './Export';
import type { TableData } from './export';
import { fmtInt, formatChange, formatValue } from './format';

export const DETAIL_PAGE = 50;

const STATUSES: DetailStatus[] = ['added', 'removed', 'modified'];
const MARKS: Record<DetailStatus, string> = { added: '+', removed: '−', modified: '~' };

function Cell({ row, i, kind }: { row: DetailRow; i: number; kind: string }) {
  const value = (row.current ?? row.base)?.[i];
  if (!row.changed[i]) {
    return <td className={value === null || value === undefined ? 'null' : undefined}>{formatValue(value, kind)}</td>;
  }
  const [base, current] = formatChange(row.base?.[i], row.current?.[i], kind);
  return (
    <td className="changed" data-testid="changed-cell" title={`base ${base}, current ${current}`}>
      <del className="before">{base}</del>
      {' → '}
      <ins className="after">{current}</ins>
    </td>
  );
}

/** Every differing row, whatever the page: status, key, then each column's base and current. */
function exportTable(v: ValueDetailView): TableData {
  return {
    columns: [
      { name: 'status', kind: 'text' },
      ...v.keyColumns.map((c) => ({ name: c.name, kind: c.type })),
      ...v.columns.flatMap((c) => [
        { name: `${c.name} (base)`, kind: c.type },
        { name: `${c.name} (current)`, kind: c.type },
      ]),
    ],
    rows: v.rows.map((r) => [r.status, ...r.key, ...v.columns.flatMap((_, i) => [r.base?.[i] ?? null, r.current?.[i] ?? null])]),
  };
}

export function ValueDetailTable({ result, params }: { result: unknown; params: Params }) {
  const [filter, setFilter] = useState<DetailStatus | 'all'>('all');
  const [page, setPage] = useState(0);
  const v = adaptValueDetail(result, params);
  if (!v) return <p className="muted">The server sent no differing rows.</p>;
  if (v.rows.length === 0) return <p data-testid="value-detail-result">No differing rows{v.model && ` in ${v.model}`}: every key has the same values on both sides.</p>;
  const rows = filter === 'all' ? v.rows : v.rows.filter((r) => r.status === filter);
  const pages = Math.max(1, Math.ceil(rows.length / DETAIL_PAGE));
  const p = Math.min(page, pages - 1);
  const shown = rows.slice(p * DETAIL_PAGE, (p + 1) * DETAIL_PAGE);
  const choose = (f: DetailStatus | 'all') => {
    setFilter(f);
    setPage(0);
  };
  return (
    <div className="value-detail" data-testid="value-detail-result">
      <div className="row" role="group" aria-label="Show rows">
        {(['all', ...STATUSES] as const).map((f) => (
          <button key={f} type="button" aria-pressed={filter === f} className={filter === f ? 'chip chip--on' : 'chip'} onClick={() => choose(f)} data-testid={`detail-filter-${f}`}>
            {f === 'all' ? `All ${fmtInt(v.rows.length)}` : `${f} ${fmtInt(v.counts[f])}`}
          </button>
        ))}
      </div>
      <div className="table-wrap">
        <table className="data" aria-label={`Differing rows${v.model ? ` of ${v.model}` : ''}`}>
          <thead>
            <tr>
              <th scope="col">Row</th>
              {v.keyColumns.map((c) => (
                <th scope="col" key={`k:${c.key}`} className="key">
                  {c.name}
                </th>
              ))}
              {v.columns.map((c) => (
                <th scope="col" key={c.key} title={c.type}>
                  {c.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((r, n) => (
              <tr key={`${p}:${n}`} className={`row--${r.status}`} data-status={r.status}>
                <td>
                  <span aria-hidden="true">{MARKS[r.status]} </span>
                  {r.status}
                </td>
                {r.key.map((k, i) => (
                  <th scope="row" key={i} className="key">
                    {formatValue(k, v.keyColumns[i]?.type)}
                  </th>
                ))}
                {v.columns.map((c, i) => (
                  <Cell key={c.key} row={r} i={i} kind={c.type} />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted pager" data-testid="value-detail-pager">
        {rows.length === 0
          ? 'No row of this kind.'
          : `Rows ${fmtInt(p * DETAIL_PAGE + 1)}–${fmtInt(p * DETAIL_PAGE + shown.length)} of ${fmtInt(rows.length)}`}
        <button type="button" className="link" disabled={p === 0} onClick={() => setPage(p - 1)}>
          ← Previous
        </button>
        <button type="button" className="link" disabled={p >= pages - 1} onClick={() => setPage(p + 1)} data-testid="value-detail-next">
          Next →
        </button>
        <ExportButtons label={`Differing rows of ${v.model || 'the model'}`} table={() => exportTable(v)} />
      </p>
      {v.more && (
        <p className="muted">
          Only the first {v.limit ? fmtInt(v.limit) : ''} differing keys are listed (the server's limit): more rows differ.
        </p>
      )}
    </div>
  );
}

/** The params of a value diff's detail: the same model, key and columns. */
const detailParams = (params: Params): Params => {
  const out: Params = { model: params.model, primary_key: params.primary_key };
  if (params.columns !== undefined) out.columns = params.columns;
  return out;
};

/** "Show differing rows" under a value diff that found differences: runs value_diff_detail and shows its rows. */
export function ValueDiffDrillDown({ params }: { params: Params }) {
  const id = useId();
  const info = useInfo();
  const start = useStartRun();
  const cancel = useCancelRun();
  const [runId, setRunId] = useState<string | null>(null);
  const run = useRun(runId).data;
  const reason = runsDisabledReason(info.data);
  const name = `Differing rows of ${String(params.model ?? 'the model')}`;
  const go = () =>
    start.mutate({ type: 'value_diff_detail', params: detailParams(params), name }, { onSuccess: (r) => setRunId(r.run_id) });
  return (
    <section className="drill-down" aria-label="Differing rows">
      {!run && (
        <>
          <button type="button" data-testid="value-diff-drill-down" onClick={go} disabled={reason !== null || start.isPending} aria-describedby={reason ? `${id}-why` : undefined}>
            {start.isPending ? 'Starting…' : 'Show the differing rows'}
          </button>
          <DisabledReason id={`${id}-why`} reason={reason} />
        </>
      )}
      {start.error && <ErrorMessage error={start.error} title="Cannot list the differing rows" />}
      {run?.status === 'Running' && (
        <div className="run__running">
          <Progress label={run.progress?.message || 'Listing the differing rows…'} percentage={run.progress?.percentage} />
          <button type="button" onClick={() => cancel.mutate(run.run_id)} disabled={cancel.isPending}>
            Cancel
          </button>
        </div>
      )}
      {run?.status === 'Failed' && <ErrorMessage error={run.error || 'The run failed without saying why.'} title="Cannot list the differing rows" />}
      {run?.status === 'Cancelled' && <p className="muted">Cancelled.</p>}
      {run?.status === 'Finished' && (
        <>
          <h4>Differing rows</h4>
          <ValueDetailTable result={run.result} params={run.params} />
          <AddToChecklist key={run.run_id} run={run} name={name} />
        </>
      )}
    </section>
  );
}
