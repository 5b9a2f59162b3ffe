import { adaptValueDiff, commonRows } from './adapters/valueDiff';
import { fmtInt, fmtPercent } from './format';

export function ValueDiffResult({ result }: { result: unknown }) {
  const v = adaptValueDiff(result);
  return (
    <div data-testid="value-diff-result">
      <dl className="figures">
        <div>
          <dt>Rows</dt>
          <dd>{fmtInt(v.total)}</dd>
        </div>
        <div>
          <dt>In both</dt>
          <dd>{fmtInt(commonRows(v))}</dd>
        </div>
        {v.modified !== null && (
          <div className={v.modified ? 'changed' : undefined}>
            <dt>Modified</dt>
            <dd>{fmtInt(v.modified)}</dd>
          </div>
        )}
        <div className={v.added ? 'up' : undefined}>
          <dt>Added</dt>
          <dd>{fmtInt(v.added)}</dd>
        </div>
        <div className={v.removed ? 'down' : undefined}>
          <dt>Removed</dt>
          <dd>{fmtInt(v.removed)}</dd>
        </div>
      </dl>
      <table className="data" aria-label="Match rate by column">
        <thead>
          <tr>
            <th scope="col">Column</th>
            <th scope="col">Matched</th>
            <th scope="col">Match rate</th>
          </tr>
        </thead>
        <tbody>
          {v.columns.map((c) => (
            <tr key={c.column} className={c.rate !== null && c.rate < 1 ? 'row--changed' : undefined}>
              <th scope="row">{c.column}</th>
              <td className="num">{fmtInt(c.matched)}</td>
              <td className="rate">
                <span className="meter" aria-hidden="true">
                  <span style={{ width: `${(c.rate ?? 0) * 100}%` }} />
                </span>
                {fmtPercent(c.rate, 2)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
