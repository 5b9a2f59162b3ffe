// How results show numbers, percentages, dates and values: one place, so
// that every table and figure of the app reads the same.
const int = new Intl.NumberFormat('en-US');
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });

export const fmtInt = (n: number | null | undefined) => (n == null ? '–' : int.format(n));

/**
 * A ratio (0.985 for 98.5 %) as a percentage: the one rounding of every
 * output (check.Percent on the server, docs/checks.md "How numbers are
 * shown"): v = ratio × 100, |v| rounded to two decimals half away from
 * zero, v's sign put back; a value that is not exactly 0 never shows as
 * 0.00% (0.01%), one that is not exactly 100 never as 100.00% (99.99%
 * below, 100.01% above). "98.50%"; NaN and infinities "n/a"; no value "–".
 * `signed` puts a + before a positive value (changes).
 */
export function fmtPercent(ratio: number | null | undefined, opts: { signed?: boolean; decimals?: number } = {}): string {
  if (ratio == null) return '–';
  const d = opts.decimals ?? 2;
  const v = ratio * 100;
  if (!Number.isFinite(v)) return 'n/a';
  if (v === 0) return `${(0).toFixed(d)}%`;
  const scale = 10 ** d;
  const step = 1 / scale;
  const abs = Math.abs(v);
  let r = Math.round(abs * scale) / scale;
  if (r === 0) r = step;
  else if (r === 100 && abs < 100) r = 100 - step;
  else if (r === 100 && abs > 100) r = 100 + step;
  const sign = v < 0 ? '-' : opts.signed ? '+' : '';
  return `${sign}${r.toFixed(d)}%`;
}

/**
 * Two ratios as fmtPercent shows them, with more decimals when two decimals
 * would show different values alike (98.4970% and 98.4969%); equal values
 * show alike (check.PercentPair).
 */
export function fmtPercentPair(base: number, current: number): [string, string] {
  for (let d = 2; d <= 12; d++) {
    const b = fmtPercent(base, { decimals: d });
    const c = fmtPercent(current, { decimals: d });
    if (b !== c || base === current) return [b, c];
  }
  return [`${base * 100}%`, `${current * 100}%`];
}

/**
 * A count's change: +12, -3, 0. For a percentage use fmtPercent(ratio,
 * { signed: true }); the suffix form ('+12 %', one decimal) is kept for the
 * node panel until it moves to fmtPercent.
 */
export function fmtSigned(n: number | null, suffix = ''): string {
  if (n === null) return '–';
  const s = Number.isInteger(n) ? int.format(n) : n.toFixed(1);
  return `${n > 0 ? '+' : ''}${s}${suffix}`;
}

/** A number with thousands grouped and at most 6 decimals (1,234,567.25); tiny values in exponent form. */
export function fmtNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n !== 0 && Math.abs(n) < 1e-6) return n.toExponential(3);
  return decimal.format(n);
}

/**
 * Two numbers as fmtNumber shows them, with as many more decimals as it
 * takes to tell them apart when they differ (check.NumberPair):
 * 2,778.171647 and 2,778.1716470000005 never show alike.
 */
export function fmtNumberPair(base: number, current: number): [string, string] {
  const [b, c] = [fmtNumber(base), fmtNumber(current)];
  if (b !== c || base === current) return [b, c];
  for (let d = 7; d <= 20; d++) {
    const f = new Intl.NumberFormat('en-US', { maximumFractionDigits: d });
    if (f.format(base) !== f.format(current)) return [f.format(base), f.format(current)];
  }
  return [String(base), String(current)];
}

/**
 * A changed value's base and current as text for a table cell, numbers
 * told apart (fmtNumberPair), the rest as formatValue shows them.
 */
export function formatChange(base: unknown, current: unknown, kind?: string): [string, string] {
  if (typeof base === 'number' && typeof current === 'number') return fmtNumberPair(base, current);
  return [formatValue(base, kind), formatValue(current, kind)];
}

/** Groups the integer part of a number written as text ("1234567.890" → "1,234,567.890"), keeping every digit (decimals sent as strings). */
function groupNumericText(s: string): string | null {
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(s.trim());
  if (!m) return null;
  return `${m[1]}${m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${m[3] ?? ''}`;
}

const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A date or timestamp sent as ISO text ("2024-01-01T00:00:00Z") as people
 * read it: "2024-01-01" for a date (a date column, or midnight UTC when the
 * kind is unknown), "2024-01-01 12:30:05" for a timestamp. null when the
 * text is not a date.
 */
export function fmtDate(s: string, kind?: string): string | null {
  const m = ISO.exec(s);
  if (!m) return null;
  const [, day, time, frac, zone] = m;
  if (!time || kind === 'date') return day;
  const fraction = frac ? frac.replace(/0+$/, '').replace(/^\.$/, '') : '';
  const midnight = time === '00:00:00' && fraction === '' && (zone === undefined || zone === 'Z');
  if (midnight && kind !== 'datetime') return day;
  const offset = zone && zone !== 'Z' && !/^[+-]00:?00$/.test(zone) ? ` ${zone}` : '';
  return `${day} ${time}${fraction}${offset}`;
}

/**
 * A value of a result as text for a table cell, by its column's kind
 * (integer, number, text, boolean, date, datetime... as the server's
 * DataFrame columns say; undefined when unknown): NULL for null, numbers
 * grouped, dates as dates, objects as JSON.
 */
export function formatValue(v: unknown, kind?: string): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') return fmtNumber(v);
  if (typeof v === 'string') {
    if (kind === 'text') return v;
    if (kind === 'integer' || kind === 'number') return groupNumericText(v) ?? v;
    return fmtDate(v, kind) ?? v;
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * A value for a CSV or TSV file: plain (no grouping, for spreadsheets),
 * dates as dates, null as an empty cell, objects as JSON.
 */
export function exportValue(v: unknown, kind?: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return kind === 'text' ? v : (fmtDate(v, kind) ?? v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
