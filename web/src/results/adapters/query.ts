// query and query_base: a DataFrame (or `{"current"|"base": DataFrame}`).
// query_diff: `{"base", "current", "diff"}`; "diff" (with primary keys) is a
// DataFrame of the differing rows flagged in_a (base) / in_b (current).
// Rows are paired by primary key when there is one, else compared whole.
import { num, obj } from './common';
import { type Column, columnIndex, type Frame, toFrame } from './dataframe';

export function adaptQuery(result: unknown): Frame | null {
  const r = obj(result);
  return toFrame(result) ?? toFrame(r.current) ?? toFrame(r.base);
}

export type RowStatus = 'added' | 'removed' | 'modified';

export interface DiffRow {
  status: RowStatus;
  /** The current row (the base row for removed ones). */
  cells: unknown[];
  /** For modified rows: the base row, cell by cell. */
  base?: unknown[];
}

export interface QueryDiffView {
  columns: Column[];
  rows: DiffRow[];
  added: number;
  removed: number;
  modified: number;
  /** Rows equal on both sides, when known. */
  unchanged: number | null;
  /** Exact counts of rows only on one side, whatever the row cap (ours; absent in the reference's results). */
  onlyInBase: number | null;
  onlyInCurrent: number | null;
  more: boolean;
}

const flagNames = ['in_a', 'in_b'];

/** Base-only and current-only rows, aligned on the current columns. */
function sides(r: Record<string, unknown>) {
  const diff = toFrame(r.diff);
  if (diff) {
    const ia = columnIndex(diff, 'in_a');
    const ib = columnIndex(diff, 'in_b');
    const keep = diff.columns.map((_, i) => i).filter((i) => !flagNames.includes(diff.columns[i].key.toLowerCase()));
    const columns = keep.map((i) => diff.columns[i]);
    const baseOnly: unknown[][] = [];
    const currentOnly: unknown[][] = [];
    for (const row of diff.rows) {
      const cells = keep.map((i) => row[i]);
      const inA = row[ia] === true || row[ia] === 'true';
      const inB = row[ib] === true || row[ib] === 'true';
      if (inA && !inB) baseOnly.push(cells);
      else if (inB && !inA) currentOnly.push(cells);
    }
    return { columns, baseOnly, currentOnly, unchanged: null, more: diff.more };
  }
  const base = toFrame(r.base);
  const current = toFrame(r.current);
  if (!base && !current) return null;
  const columns = (current ?? base)!.columns;
  const align = (f: Frame | null) => {
    if (!f) return [];
    const idx = columns.map((c) => columnIndex(f, c.key));
    return f.rows.map((row) => idx.map((i) => (i >= 0 ? row[i] : null)));
  };
  // Multiset difference of whole rows.
  const counts = new Map<string, number>();
  for (const row of align(base)) counts.set(JSON.stringify(row), (counts.get(JSON.stringify(row)) ?? 0) + 1);
  const currentOnly: unknown[][] = [];
  let unchanged = 0;
  for (const row of align(current)) {
    const k = JSON.stringify(row);
    const c = counts.get(k) ?? 0;
    if (c > 0) {
      counts.set(k, c - 1);
      unchanged++;
    } else currentOnly.push(row);
  }
  const baseOnly = align(base).filter((row) => {
    const k = JSON.stringify(row);
    const c = counts.get(k) ?? 0;
    if (c > 0) counts.set(k, c - 1);
    return c > 0;
  });
  return { columns, baseOnly, currentOnly, unchanged, more: Boolean(base?.more || current?.more) };
}

export function adaptQueryDiff(result: unknown, primaryKeys: string[] = []): QueryDiffView | null {
  const r = obj(result);
  const s = sides(r);
  if (!s) return null;
  const keyIdx = primaryKeys.map((k) => s.columns.findIndex((c) => c.key.toLowerCase() === k.toLowerCase()));
  const canPair = keyIdx.length > 0 && keyIdx.every((i) => i >= 0);
  const keyOf = (row: unknown[]) => JSON.stringify(keyIdx.map((i) => row[i]));

  const rows: DiffRow[] = [];
  const baseByKey = new Map<string, unknown[]>();
  if (canPair) for (const row of s.baseOnly) baseByKey.set(keyOf(row), row);
  for (const row of s.currentOnly) {
    const base = canPair ? baseByKey.get(keyOf(row)) : undefined;
    if (base) {
      baseByKey.delete(keyOf(row));
      rows.push({ status: 'modified', cells: row, base });
    } else rows.push({ status: 'added', cells: row });
  }
  const removed = canPair ? [...baseByKey.values()] : s.baseOnly;
  for (const row of removed) rows.push({ status: 'removed', cells: row });

  const count = (st: RowStatus) => rows.filter((r) => r.status === st).length;
  return {
    columns: s.columns,
    rows,
    added: count('added'),
    removed: count('removed'),
    modified: count('modified'),
    unchanged: s.unchanged,
    onlyInBase: num(r.rows_only_in_base),
    onlyInCurrent: num(r.rows_only_in_current),
    more: s.more,
  };
}
