import { Figures } from '../components/Figures';
import type { QueryDiffView } from './adapters/query';
import { ExportButtons } from './Export';
import { fmtInt, formatChange, formatValue } from './format';

const LIMIT = 500;

/** Every differing row: its status, then each column (modified rows: base and current). */
function exportQueryDiff(view: QueryDiffView) {
  return {
    columns: [{ name: 'status', kind: 'text' }, ...view.columns.flatMap((c) => [{ name: `${c.name} (base)`, kind: c.type }, { name: `${c.name} (current)`, kind: c.type }])],
    rows: view.rows.map((r) => [
      r.status,
      ...r.cells.flatMap((v, j) => (r.status === 'added' ? [null, v] : r.status === 'removed' ? [v, null] : [r.base?.[j] ?? null, v])),
    ]),
  };
}

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
                    const kind = view.columns[j]?.type;
                    const changed = r.base !== undefined && JSON.stringify(before) !== JSON.stringify(v);
                    if (!changed) return <td key={j}>{formatValue(v, kind)}</td>;
                    const [b, c] = formatChange(before, v, kind);
                    return (
                      <td key={j} className="changed">
                        <del className="before">{b}</del>
                        {' → '}
                        {c}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted">
            {view.rows.length > LIMIT && `First ${LIMIT} of ${fmtInt(view.rows.length)} differing rows.`}
            <ExportButtons label="Query diff" table={() => exportQueryDiff(view)} />
          </p>
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
