import { Figures } from '../components/Figures';
import { formatCell } from './adapters/dataframe';
import type { QueryDiffView } from './adapters/query';
import { fmtInt } from './format';

const LIMIT = 500;

export function QueryDiffTable({ view }: { view: QueryDiffView }) {
  return (
    <div data-testid="query-diff-result">
      <Figures
        items={[
          { label: 'Unchanged', value: fmtInt(view.unchanged), hidden: view.unchanged === null },
          { label: 'Added', value: fmtInt(view.added), tone: 'up' },
          { label: 'Removed', value: fmtInt(view.removed), tone: 'down' },
          { label: 'Modified', value: fmtInt(view.modified), tone: 'changed' },
        ]}
      />
      {view.rows.length === 0 ? (
        <p>No difference{view.more && ' in the rows the server returned'}.</p>
      ) : (
        <div className="table-wrap">
          <table className="data" aria-label="Differing rows">
            <thead>
              <tr>
                <th scope="col">Row</th>
                {view.columns.map((c) => (
                  <th scope="col" key={c.key}>
                    {c.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {view.rows.slice(0, LIMIT).map((r, i) => (
                <tr key={i} className={`row--${r.status}`}>
                  <td>{r.status}</td>
                  {r.cells.map((v, j) => {
                    const before = r.base?.[j];
                    const changed = r.base !== undefined && JSON.stringify(before) !== JSON.stringify(v);
                    return (
                      <td key={j} className={changed ? 'changed' : undefined}>
                        {changed && <span className="before">{formatCell(before)}</span>}
                        {changed && ' → '}
                        {formatCell(v)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          {view.rows.length > LIMIT && <p className="muted">First {LIMIT} of {view.rows.length} differing rows.</p>}
        </div>
      )}
      {(view.onlyInBase !== null || view.onlyInCurrent !== null) && (
        <p className="muted">
          In all: {fmtInt(view.onlyInBase)} rows only in base, {fmtInt(view.onlyInCurrent)} only in current.
        </p>
      )}
      {view.more && <p className="muted">The server stopped at its row limit: there may be more differences.</p>}
    </div>
  );
}
