// histogram_diff: `{"base": {"counts", "total"}, "current": {...}, "min", "max",
// "bin_edges", "labels"}`; labels may be missing (dates): bins are then named
// from their edges.
import { num, nums, obj } from './common';

export interface HistogramBin {
  label: string;
  base: number;
  current: number;
}

export interface HistogramView {
  bins: HistogramBin[];
  baseTotal: number | null;
  currentTotal: number | null;
  min: unknown;
  max: unknown;
}

function edgeText(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4).replace(/\.?0+$/, '');
  return v === null || v === undefined ? '' : String(v);
}

export function adaptHistogram(result: unknown): HistogramView {
  const r = obj(result);
  const b = obj(r.base);
  const c = obj(r.current);
  const bc = nums(b.counts);
  const cc = nums(c.counts);
  const n = Math.max(bc.length, cc.length);
  const labels = Array.isArray(r.labels) ? r.labels : [];
  const edges = Array.isArray(r.bin_edges) ? r.bin_edges : [];
  const label = (i: number) => {
    if (typeof labels[i] === 'string' && labels[i] !== '') return labels[i] as string;
    if (i + 1 < edges.length) return `${edgeText(edges[i])} – ${edgeText(edges[i + 1])}`;
    return `bin ${i + 1}`;
  };
  return {
    bins: Array.from({ length: n }, (_, i) => ({ label: label(i), base: bc[i] ?? 0, current: cc[i] ?? 0 })),
    baseTotal: num(b.total),
    currentTotal: num(c.total),
    min: r.min,
    max: r.max,
  };
}
