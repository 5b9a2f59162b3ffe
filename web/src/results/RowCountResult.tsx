import { adaptRowCount, type RowCountRow, statusWords } from './adapters/rowCount';
import { ExportButtons } from './Export';
import { fmtInt, fmtPercent, fmtSigned } from './format';

/** A side without a count: why, in words; nothing for a model on the other side only (the change says added or removed). */
const side = (status: string | null, which: 'base' | 'current') =>
  status === 'not_in_manifest' ? '–' : status ? statusWords(status, which) : 'N/A';

/** The change of a model without both counts, as the CLI says it: added, removed, or not counted. */
function unseen(r: RowCountRow): string {
  if (r.baseStatus === 'not_in_manifest') return 'added';
  if (r.currentStatus === 'not_in_manifest') return 'removed';
  return r.baseStatus || r.currentStatus ? 'not counted' : '–';
}

export function RowCountResult({ result }: { result: unknown }) {
  const rows = adaptRowCount(result);
  if (rows.length === 0) return <p className="muted">No model was counted.</p>;
  return (
    <div>
      <table className="data" aria-label="Row counts" data-testid="row-count-result">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col">Base</th>
            <th scope="col">Current</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name} className={r.delta ? 'row--changed' : undefined}>
              <th scope="row">{r.name}</th>
              <td className="num">{r.base === null ? <span className="muted">{side(r.baseStatus, 'base')}</span> : fmtInt(r.base)}</td>
              <td className="num">{r.current === null ? <span className="muted">{side(r.currentStatus, 'current')}</span> : fmtInt(r.current)}</td>
              <td className={`num ${r.delta ? (r.delta > 0 ? 'up' : 'down') : ''}`}>
                {r.delta === null ? unseen(r) : r.delta === 0 ? '=' : fmtSigned(r.delta)}
                {r.deltaRatio !== null && r.delta !== 0 && ` (${fmtPercent(r.deltaRatio, { signed: true })})`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        <ExportButtons
          label="Row counts"
          table={() => ({
            columns: [{ name: 'model', kind: 'text' }, { name: 'base' }, { name: 'current' }, { name: 'change' }, { name: 'change_ratio' }],
            rows: rows.map((r) => [
              r.name,
              r.base ?? (r.baseStatus && statusWords(r.baseStatus, 'base')),
              r.current ?? (r.currentStatus && statusWords(r.currentStatus, 'current')),
              r.delta,
              r.deltaRatio,
            ]),
          })}
        />
      </p>
    </div>
  );
}
