// top_k_diff: `{"base": {"values", "counts", "valids", "total"}, "current": {...}}`;
// both sides list the same values (categories), most frequent first.
import { num, nums, obj } from './common';

export interface TopKItem {
  /** null is the NULL value. */
  value: string | null;
  base: number;
  current: number;
}

export interface TopKView {
  items: TopKItem[];
  baseTotal: number | null;
  currentTotal: number | null;
  baseValids: number | null;
  currentValids: number | null;
}

export function adaptTopK(result: unknown): TopKView {
  const r = obj(result);
  const b = obj(r.base);
  const c = obj(r.current);
  const values = (Array.isArray(c.values) ? c.values : Array.isArray(b.values) ? b.values : []) as unknown[];
  const bc = nums(b.counts);
  const cc = nums(c.counts);
  return {
    items: values.map((v, i) => ({ value: v === null ? null : String(v), base: bc[i] ?? 0, current: cc[i] ?? 0 })),
    baseTotal: num(b.total),
    currentTotal: num(c.total),
    baseValids: num(b.valids),
    currentValids: num(c.valids),
  };
}
