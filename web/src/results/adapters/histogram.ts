// histogram_diff: `{"base": {"counts", "total"}, "current": {...}, "min", "max",
// "bin_edges", "labels", "type"}`. Bins are labelled from their edges by the
// column's kind ("type", ours; else the check's column_type, as the
// reference sends it): integers as integers, dates as dates, other numbers
// rounded to the bin width. The server's labels are used only without edges.
import { fmtDate, fmtNumber } from '../format';
import { asString, num, nums, obj } from './common';

export type HistogramKind = 'integer' | 'number' | 'date' | 'datetime';

export interface HistogramBin {
  label: string;
  base: number;
  current: number;
}

export interface HistogramView {
  kind: HistogramKind;
  bins: HistogramBin[];
  /** Labels of the x axis: at boundary `at` (0 = the first bin's start, bins.length = the last one's end). */
  ticks: { at: number; label: string }[];
  baseTotal: number | null;
  currentTotal: number | null;
}

const DAY_MS = 86_400_000;

/** The kind of a histogram's values from the result's type or a SQL type name (INTEGER, DATE, TIMESTAMP, DOUBLE...). */
export function histogramKind(type: string): HistogramKind {
  const t = type.toLowerCase();
  if (t === 'integer' || /^(big|small|tiny|u)?int|integer|^int\d|serial/.test(t)) return 'integer';
  if (t === 'datetime' || /timestamp|datetime/.test(t)) return 'datetime';
  if (t === 'date') return 'date';
  return 'number';
}

/** An edge as a number: ms since 1970 for dates, the value otherwise. */
function edgeNumber(v: unknown, kind: HistogramKind): number | null {
  if (kind === 'date' || kind === 'datetime') {
    if (typeof v === 'number') return v * 1000; // seconds since 1970
    const t = Date.parse(asString(v));
    return Number.isNaN(t) ? null : t;
  }
  return num(v);
}

/** Decimals that tell apart values one bin width apart (at most 6). */
const decimalsFor = (width: number) => (width > 0 && Number.isFinite(width) ? Math.min(6, Math.max(0, Math.ceil(-Math.log10(width)) + 1)) : 2);

function formatter(kind: HistogramKind, width: number): (x: number) => string {
  switch (kind) {
    case 'integer':
      return (x) => fmtNumber(Math.round(x));
    case 'date':
      return (x) => fmtDate(new Date(x).toISOString(), 'date') ?? '';
    case 'datetime':
      return (x) => fmtDate(new Date(x).toISOString(), 'datetime') ?? '';
    default: {
      const f = new Intl.NumberFormat('en-US', { maximumFractionDigits: decimalsFor(width) });
      return (x) => f.format(x);
    }
  }
}

/** At most this many labels on the x axis. */
const MAX_TICKS = 7;

export function adaptHistogram(result: unknown, columnType = ''): HistogramView {
  const r = obj(result);
  const kind = histogramKind(asString(r.type) || columnType);
  const bc = nums(obj(r.base).counts);
  const cc = nums(obj(r.current).counts);
  const n = Math.max(bc.length, cc.length);
  const labels = Array.isArray(r.labels) ? r.labels : [];
  const rawEdges = Array.isArray(r.bin_edges) ? r.bin_edges : [];
  const edges = rawEdges.map((e) => edgeNumber(e, kind));
  const haveEdges = edges.length === n + 1 && edges.every((e) => e !== null);
  const e = edges as number[];
  const width = haveEdges && n > 0 ? (e[n] - e[0]) / n : 0;
  const fmt = formatter(kind, width);
  // Integer and date bins hold whole values: the last value of a bin is
  // its end minus one (a bin one value wide shows that value alone).
  const unit = kind === 'integer' ? 1 : kind === 'date' ? DAY_MS : 0;
  const last = (i: number) => (unit ? e[i + 1] - unit : e[i + 1]);
  const label = (i: number) => {
    if (!haveEdges) return typeof labels[i] === 'string' && labels[i] !== '' ? (labels[i] as string) : `bin ${i + 1}`;
    if (unit && last(i) <= e[i]) return fmt(e[i]);
    return `${fmt(e[i])} – ${fmt(last(i))}`;
  };
  const ticks: HistogramView['ticks'] = [];
  if (haveEdges && n > 0) {
    const step = Math.ceil(n / (MAX_TICKS - 1));
    for (let i = 0; i < n; i += step) ticks.push({ at: i, label: fmt(e[i]) });
    // The end: the last value binned for whole values, the last edge otherwise.
    const end = unit ? Math.max(e[n - 1], last(n - 1)) : e[n];
    if (ticks.length > 1 && n - ticks[ticks.length - 1].at < step) ticks.pop(); // the end's label (right-aligned) needs a step
    ticks.push({ at: n, label: fmt(end) });
  }
  return {
    kind,
    bins: Array.from({ length: n }, (_, i) => ({ label: label(i), base: bc[i] ?? 0, current: cc[i] ?? 0 })),
    ticks,
    baseTotal: num(obj(r.base).total),
    currentTotal: num(obj(r.current).total),
  };
}

/** Round steps for a count axis: about `count` ticks from 0 to at least max. */
export function countTicks(max: number, count = 4): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const stepInt = Math.max(1, step);
  const out: number[] = [];
  for (let v = 0; v < max + stepInt; v += stepInt) out.push(v);
  return out;
}
