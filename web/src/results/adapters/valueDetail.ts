// value_diff_detail: what `recce diff value-detail` lists, the rows whose
// key was added or removed or whose values changed. Stored as a DataFrame
// (the reference's shape): the key columns, the compared columns, then
// in_a (the row is base's) and in_b (current's); a modified key has its
// base row then its current row. `primary_key` (ours) names the key
// columns, else the check's params do. Our diff's own shape, `rows: [{status,
// key, base, current, changed}]`, is read too.
import { isObj, num, obj } from './common';
import { type Column, columnIndex, toFrame } from './dataframe';

export type DetailStatus = 'added' | 'removed' | 'modified';

export interface DetailRow {
  status: DetailStatus;
  key: unknown[];
  /** The compared columns' values in base (null for an added row) and current (null for a removed one). */
  base: unknown[] | null;
  current: unknown[] | null;
  /** Per compared column: whether base and current differ (modified rows). */
  changed: boolean[];
}

export interface ValueDetailView {
  model: string;
  keyColumns: Column[];
  columns: Column[];
  rows: DetailRow[];
  counts: Record<DetailStatus, number>;
  /** The server listed at most `limit` differing keys and there were more. */
  more: boolean;
  limit: number | null;
}

const asKeys = (x: unknown): string[] => (Array.isArray(x) ? x.map(String) : typeof x === 'string' && x !== '' ? [x] : []);

/** Values equal as the warehouse returned them (numbers by value, else by JSON). */
const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

function count(rows: DetailRow[]): Record<DetailStatus, number> {
  const c = { added: 0, removed: 0, modified: 0 };
  for (const r of rows) c[r.status]++;
  return c;
}

/** Our diff's shape: `{columns, primary_key, rows: [{status, key, base, current, changed}]}`. */
function fromRows(r: Record<string, unknown>, keys: string[]): ValueDetailView | null {
  const frame = toFrame({ columns: r.columns, data: [] });
  if (!frame || !Array.isArray(r.rows)) return null;
  const nk = keys.length;
  const columns = frame.columns.slice(nk);
  const rows: DetailRow[] = r.rows.map(obj).map((row) => {
    const base = Array.isArray(row.base) ? row.base.slice(nk) : null;
    const current = Array.isArray(row.current) ? row.current.slice(nk) : null;
    const status = (row.status === 'added' || row.status === 'removed' ? row.status : 'modified') as DetailStatus;
    return {
      status,
      key: Array.isArray(row.key) ? row.key : [],
      base,
      current,
      changed: columns.map((_, i) => status === 'modified' && base !== null && current !== null && !same(base[i], current[i])),
    };
  });
  return { model: String(r.model ?? ''), keyColumns: frame.columns.slice(0, nk), columns, rows, counts: count(rows), more: r.more === true, limit: num(r.limit) };
}

export function adaptValueDetail(result: unknown, params: Record<string, unknown> = {}): ValueDetailView | null {
  if (!isObj(result)) return null;
  const keys = asKeys(result.primary_key).length > 0 ? asKeys(result.primary_key) : asKeys(params.primary_key);
  if (Array.isArray(result.rows)) return fromRows(result, keys);
  const frame = toFrame(result);
  if (!frame) return null;
  const ia = columnIndex(frame, 'in_a');
  const ib = columnIndex(frame, 'in_b');
  const keyIdx = keys.map((k) => columnIndex(frame, k)).filter((i) => i >= 0);
  const valueIdx = frame.columns.map((_, i) => i).filter((i) => i !== ia && i !== ib && !keyIdx.includes(i));
  const yes = (v: unknown) => v === true || v === 'true';
  // Keyed rows in the order they come (the server orders them by key).
  const byKey = new Map<string, { key: unknown[]; base: unknown[] | null; current: unknown[] | null }>();
  for (const row of frame.rows) {
    const key = keyIdx.map((i) => row[i]);
    const k = JSON.stringify(keyIdx.length > 0 ? key : row);
    const entry = byKey.get(k) ?? { key, base: null, current: null };
    const values = valueIdx.map((i) => row[i]);
    if (yes(row[ia]) && !yes(row[ib])) entry.base = values;
    else if (yes(row[ib]) && !yes(row[ia])) entry.current = values;
    byKey.set(k, entry);
  }
  const rows: DetailRow[] = [...byKey.values()].map(({ key, base, current }) => {
    const status: DetailStatus = base && current ? 'modified' : base ? 'removed' : 'added';
    return { status, key, base, current, changed: valueIdx.map((_, i) => status === 'modified' && !same(base![i], current![i])) };
  });
  return {
    model: String(result.model ?? params.model ?? ''),
    keyColumns: keyIdx.map((i) => frame.columns[i]),
    columns: valueIdx.map((i) => frame.columns[i]),
    rows,
    counts: count(rows),
    more: frame.more,
    limit: num(result.limit),
  };
}
