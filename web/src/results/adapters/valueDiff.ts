// value_diff: `{"summary": {"total", "added", "removed"}, "data": DataFrame}`
// whose columns are column, matched, matched_p (matched / rows in both).
// Ours adds summary.modified / unchanged and `columns: [{"name", "matched",
// "mismatched", "matched_p"}]`, read first when present.
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
  /** Rows in both whose values differ / are equal (absent from the reference's results). */
  modified: number | null;
  unchanged: number | null;
  columns: ColumnMatch[];
}

const rate = (x: unknown) => {
  const r = num(x);
  return r !== null && r > 1 ? r / 100 : r; // a percentage
};

export function adaptValueDiff(result: unknown): ValueDiffView {
  const r = obj(result);
  const summary = obj(r.summary);
  const frame = toFrame(r.data);
  const columns: ColumnMatch[] = [];
  if (Array.isArray(r.columns) && r.columns.length > 0) {
    for (const c of r.columns.map(obj)) columns.push({ column: String(c.name ?? c.column ?? ''), matched: num(c.matched), rate: rate(c.matched_p) });
  } else if (frame) {
    const ci = Math.max(0, columnIndex(frame, 'column'));
    const mi = columnIndex(frame, 'matched');
    const pi = columnIndex(frame, 'matched_p');
    for (const row of frame.rows) {
      columns.push({ column: String(row[ci] ?? ''), matched: mi >= 0 ? num(row[mi]) : null, rate: pi >= 0 ? rate(row[pi]) : null });
    }
  }
  return {
    total: num(summary.total),
    added: num(summary.added),
    removed: num(summary.removed),
    modified: num(summary.modified),
    unchanged: num(summary.unchanged),
    columns,
  };
}

/** Rows present on both sides. */
export const commonRows = (v: ValueDiffView) =>
  v.total === null ? null : v.total - (v.added ?? 0) - (v.removed ?? 0);
