// A plain table of a DataFrame, with a row cap so that large results stay quick.
import { useState } from 'react';
import type { Frame } from './adapters/dataframe';
import { ExportButtons } from './Export';
import { formatValue } from './format';

const PAGE = 200;

/** Numbers align right. */
const isNumeric = (kind: string, v: unknown) => kind === 'integer' || kind === 'number' || typeof v === 'number';

export function DataTable({ frame, label }: { frame: Frame; label: string }) {
  const [shown, setShown] = useState(PAGE);
  if (frame.columns.length === 0) return <p className="muted">No columns.</p>;
  return (
    <div className="table-wrap">
      <table className="data" aria-label={label} data-testid="data-table">
        <thead>
          <tr>
            {frame.columns.map((c) => (
              <th key={c.key} scope="col" title={c.type}>
                {c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {frame.rows.slice(0, shown).map((row, i) => (
            <tr key={i}>
              {frame.columns.map((c, j) => (
                <td key={c.key} className={row[j] === null || row[j] === undefined ? 'null' : isNumeric(c.type, row[j]) ? 'num' : undefined}>
                  {formatValue(row[j], c.type)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">
        {frame.rows.length === 0 ? 'No rows.' : `${Math.min(shown, frame.rows.length)} of ${frame.rows.length} rows`}
        {frame.more && ' (the server stopped at its row limit)'}
        {shown < frame.rows.length && (
          <button type="button" className="link" onClick={() => setShown((s) => s + PAGE * 5)}>
            Show more rows
          </button>
        )}
        {frame.rows.length > 0 && (
          <ExportButtons label={label} table={() => ({ columns: frame.columns.map((c) => ({ name: c.name, kind: c.type })), rows: frame.rows })} />
        )}
      </p>
    </div>
  );
}
