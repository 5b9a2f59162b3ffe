// value_diff: `{"summary": {"total", "added", "removed"}, "data": DataFrame}`
// whose columns are column, matched, matched_p (matched / rows in both).
import { num, obj } from './common';
import { columnIndex, toFrame } from './dataframe';

export interface ColumnMatch {
  column: string;
  matched: number | null;
  /** 0..1, or null when no row is in both. */
  rate: number | null;
}

export interface ValueDiffView {
  total: number | null;
  added: number | null;
  removed: number | null;
  columns: ColumnMatch[];
}

export function adaptValueDiff(result: unknown): ValueDiffView {
  const r = obj(result);
  const summary = obj(r.summary);
  const frame = toFrame(r.data);
  const columns: ColumnMatch[] = [];
  if (frame) {
    const ci = Math.max(0, columnIndex(frame, 'column'));
    const mi = columnIndex(frame, 'matched');
    const pi = columnIndex(frame, 'matched_p');
    for (const row of frame.rows) {
      let rate = pi >= 0 ? num(row[pi]) : null;
      if (rate !== null && rate > 1) rate /= 100; // a percentage
      columns.push({ column: String(row[ci] ?? ''), matched: mi >= 0 ? num(row[mi]) : null, rate });
    }
  }
  return { total: num(summary.total), added: num(summary.added), removed: num(summary.removed), columns };
}

/** Rows present on both sides. */
export const commonRows = (v: ValueDiffView) =>
  v.total === null ? null : v.total - (v.added ?? 0) - (v.removed ?? 0);
