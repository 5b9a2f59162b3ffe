import { useState } from 'react';
import { adaptProfile, METRICS, type MetricKey, type ProfileColumn } from './adapters/profile';
import { num } from './adapters/common';
import { ExportButtons } from './Export';
import { fmtNumberPair, fmtPercent, fmtPercentPair, formatValue } from './format';

const proportions = new Set<MetricKey>(['not_null_proportion', 'distinct_proportion']);

function show(metric: MetricKey, v: unknown): string {
  if (v === undefined) return '–';
  const n = num(v);
  if (proportions.has(metric) && n !== null) return fmtPercent(n);
  return formatValue(v);
}

/** A statistic that differs, both sides told apart (two different values never look alike). */
function showPair(metric: MetricKey, b: unknown, c: unknown): [string, string] {
  const nb = num(b);
  const nc = num(c);
  if (nb !== null && nc !== null && typeof b !== 'boolean') {
    return proportions.has(metric) ? fmtPercentPair(nb, nc) : fmtNumberPair(nb, nc);
  }
  return [show(metric, b), show(metric, c)];
}

function Cell({ col, metric }: { col: ProfileColumn; metric: MetricKey }) {
  // A column on one side only: its values, not a change per statistic.
  if (!col.base || !col.current) return <td className="num">{show(metric, (col.current ?? col.base)?.[metric])}</td>;
  const b = col.base[metric];
  const c = col.current[metric];
  if (JSON.stringify(b) === JSON.stringify(c)) return <td className="num">{show(metric, c)}</td>;
  const [bt, ct] = showPair(metric, b, c);
  return (
    <td className="num changed" title={`base ${bt}, current ${ct}`} data-testid="profile-change">
      <del className="before">{bt}</del> → {ct}
    </td>
  );
}

/** Added, removed, or with a metric that differs between base and current. */
export const columnChanged = (col: ProfileColumn) =>
  !col.base || !col.current || METRICS.some((m) => JSON.stringify(col.base?.[m.key]) !== JSON.stringify(col.current?.[m.key]));

export function ProfileResult({ result }: { result: unknown }) {
  const all = adaptProfile(result);
  const [changedOnly, setChangedOnly] = useState(false);
  if (all.length === 0) return <p className="muted">No column was profiled.</p>;
  const changed = all.filter(columnChanged);
  const cols = changedOnly ? changed : all;
  return (
    <>
      <label className="small profile-filter">
        <input type="checkbox" data-testid="profile-changed-only" checked={changedOnly} onChange={(e) => setChangedOnly(e.target.checked)} />{' '}
        Changed columns only ({changed.length} of {all.length})
      </label>
      <div className="table-wrap">
        <table className="data" aria-label="Profile, base to current" data-testid="profile-result">
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Type</th>
              {METRICS.map((m) => (
                <th scope="col" key={m.key}>
                  {m.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {cols.map((col) => (
              <tr key={col.name}>
                <th scope="row">
                  {col.name}
                  {!col.base && <span className="tag tag--added">added</span>}
                  {!col.current && <span className="tag tag--removed">removed</span>}
                </th>
                <td>{col.type}</td>
                {METRICS.map((m) => (
                  <Cell key={m.key} col={col} metric={m.key} />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {cols.length === 0 && <p className="muted">No column changed.</p>}
        <p className="muted small">
          <ExportButtons
            label="Profile"
            table={() => ({
              columns: [{ name: 'column', kind: 'text' }, { name: 'type', kind: 'text' }, ...METRICS.flatMap((m) => [{ name: `${m.key} (base)` }, { name: `${m.key} (current)` }])],
              rows: cols.map((c) => [c.name, c.type, ...METRICS.flatMap((m) => [c.base?.[m.key] ?? null, c.current?.[m.key] ?? null])]),
            })}
          />
        </p>
      </div>
    </>
  );
}
