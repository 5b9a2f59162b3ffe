import { lazy, Suspense } from 'react';
import type { Params } from '../api/types';
import { Figures } from '../components/Figures';
import { Loading } from '../components/status';
import { adaptValueDiff, commonRows } from './adapters/valueDiff';
import { ExportButtons } from './Export';
import { fmtInt, fmtPercent } from './format';

// The drill-down loads when a value diff with differences is shown.
const ValueDiffDrillDown = lazy(() => import('./ValueDetail').then((m) => ({ default: m.ValueDiffDrillDown })));

export function ValueDiffResult({ result, params }: { result: unknown; params: Params }) {
  const v = adaptValueDiff(result);
  const differs = (v.added ?? 0) + (v.removed ?? 0) + (v.modified ?? 0) > 0 || v.columns.some((c) => c.rate !== null && c.rate < 1);
  const model = typeof params.model === 'string' ? params.model : '';
  return (
    <div data-testid="value-diff-result">
      <Figures
        items={[
          { label: 'Rows', value: fmtInt(v.total) },
          { label: 'In both', value: fmtInt(commonRows(v)) },
          { label: 'Modified', value: fmtInt(v.modified), tone: 'changed', hidden: v.modified === null },
          { label: 'Added', value: fmtInt(v.added), tone: 'up' },
          { label: 'Removed', value: fmtInt(v.removed), tone: 'down' },
        ]}
      />
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
                {fmtPercent(c.rate)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        <ExportButtons
          label={`Match rate by column${model ? ` of ${model}` : ''}`}
          table={() => ({
            columns: [{ name: 'column', kind: 'text' }, { name: 'matched' }, { name: 'match_rate' }],
            rows: v.columns.map((c) => [c.column, c.matched, c.rate]),
          })}
        />
      </p>
      {differs && model !== '' && (
        <Suspense fallback={<Loading label="Loading…" />}>
          <ValueDiffDrillDown params={params} />
        </Suspense>
      )}
    </div>
  );
}
