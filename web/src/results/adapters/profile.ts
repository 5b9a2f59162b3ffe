// profile_diff: `{"base": DataFrame, "current": DataFrame}`, one row per
// column with the metrics below (either side may be missing).
import { obj } from './common';
import { columnIndex, type Frame, toFrame } from './dataframe';

export const METRICS = [
  { key: 'row_count', label: 'Rows' },
  { key: 'not_null_proportion', label: 'Not null' },
  { key: 'distinct_count', label: 'Distinct' },
  { key: 'distinct_proportion', label: 'Distinct %' },
  { key: 'is_unique', label: 'Unique' },
  { key: 'min', label: 'Min' },
  { key: 'max', label: 'Max' },
  { key: 'avg', label: 'Average' },
  { key: 'median', label: 'Median' },
] as const;

export type MetricKey = (typeof METRICS)[number]['key'];

export interface ProfileColumn {
  name: string;
  type: string;
  base: Partial<Record<MetricKey, unknown>> | null;
  current: Partial<Record<MetricKey, unknown>> | null;
}

function byColumn(frame: Frame | null): Map<string, { type: string; values: Partial<Record<MetricKey, unknown>> }> {
  const out = new Map<string, { type: string; values: Partial<Record<MetricKey, unknown>> }>();
  if (!frame) return out;
  const nameIdx = Math.max(0, columnIndex(frame, 'column_name'));
  const typeIdx = columnIndex(frame, 'data_type');
  for (const row of frame.rows) {
    const values: Partial<Record<MetricKey, unknown>> = {};
    for (const m of METRICS) {
      const i = columnIndex(frame, m.key);
      if (i >= 0) values[m.key] = row[i];
    }
    out.set(String(row[nameIdx]).toLowerCase(), {
      type: typeIdx >= 0 ? String(row[typeIdx] ?? '') : '',
      values,
    });
  }
  return out;
}

export function adaptProfile(result: unknown): ProfileColumn[] {
  const r = obj(result);
  const base = byColumn(toFrame(r.base));
  const current = byColumn(toFrame(r.current));
  const names = [...new Set([...current.keys(), ...base.keys()])];
  return names.map((name) => ({
    name,
    type: current.get(name)?.type || base.get(name)?.type || '',
    base: base.get(name)?.values ?? null,
    current: current.get(name)?.values ?? null,
  }));
}
