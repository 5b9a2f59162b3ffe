// DataFrame: `{"columns": [{"key", "name", "type"}], "data": [[...]]}` in the
// reference; columns as plain names, and rows as objects, are accepted too.
import { isObj, obj } from './common';

export interface Column {
  key: string;
  name: string;
  type: string;
}

export interface Frame {
  columns: Column[];
  rows: unknown[][];
  /** True when the server cut the rows at its limit. */
  more: boolean;
}

export function toFrame(x: unknown): Frame | null {
  if (!isObj(x) || !Array.isArray(x.columns)) return null;
  const columns: Column[] = x.columns.map((c, i) => {
    if (typeof c === 'string') return { key: c, name: c, type: '' };
    const o = obj(c);
    const name = String(o.name ?? o.key ?? `column ${i + 1}`);
    return { key: String(o.key ?? name), name, type: String(o.type ?? '') };
  });
  const data = Array.isArray(x.data) ? x.data : [];
  const rows = data.map((r) => (Array.isArray(r) ? r : columns.map((c) => obj(r)[c.key] ?? obj(r)[c.name])));
  return { columns, rows, more: x.more === true };
}

/** Index of a column by key or name, ignoring case (warehouses upper-case names), or -1. */
export function columnIndex(frame: Frame, name: string): number {
  const n = name.toLowerCase();
  return frame.columns.findIndex((c) => c.key.toLowerCase() === n || c.name.toLowerCase() === n);
}

/** A cell as text for a table, by its column's kind (results/format.ts). */
export { formatValue as formatCell } from '../format';
