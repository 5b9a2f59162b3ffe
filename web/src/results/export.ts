// A result table as CSV or TSV, for "Export" under every result table (the
// reference offers both). Values are written plainly (results/format.ts
// exportValue); text that a spreadsheet would run as a formula is quoted
// with a leading apostrophe, since result values come from the data.
import { exportValue } from './format';

export interface TableData {
  columns: { name: string; kind?: string }[];
  rows: unknown[][];
}

export type Delimiter = 'csv' | 'tsv';

/** Text starting like a formula (=, +, -, @, tab, CR) that is not a number. */
const FORMULA = /^[=+\-@\t\r]/;

function cellText(v: unknown, kind: string | undefined): string {
  const s = exportValue(v, kind);
  if (typeof v === 'string' && FORMULA.test(s) && Number.isNaN(Number(s))) return `'${s}`;
  return s;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** TSV has no quoting: a tab or line break inside a value becomes a space. */
const tsvField = (s: string) => s.replace(/[\t\r\n]+/g, ' ');

/** The table as CSV (RFC 4180: quoted where needed, CRLF line ends) or TSV, with a header row. */
export function toDelimited(t: TableData, format: Delimiter): string {
  const field = format === 'csv' ? csvField : tsvField;
  const sep = format === 'csv' ? ',' : '\t';
  const line = (cells: string[]) => cells.map(field).join(sep);
  const lines = [line(t.columns.map((c) => c.name))];
  for (const row of t.rows) lines.push(line(t.columns.map((c, i) => cellText(row[i], c.kind))));
  return `${lines.join('\r\n')}\r\n`;
}

/** A file name from a result's label: "Value diff of orders" → "value-diff-of-orders.csv". */
export function exportFileName(label: string, format: Delimiter): string {
  const base = label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'result';
  return `${base}.${format}`;
}
