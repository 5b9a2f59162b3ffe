// row_count_diff: `{"<node name>": {"base": n, "curr": n}}`; a side may be null
// (no such table), and may carry a status instead of a number.
import { isObj, num, obj, pick } from './common';

export interface RowCountRow {
  name: string;
  base: number | null;
  current: number | null;
  /** current - base, when both are known. */
  delta: number | null;
  /** The delta relative to the base count (what people expect), in percent. */
  deltaPercent: number | null;
  /** Why a count is missing (e.g. "table_not_found"), if the server said. */
  status: string | null;
}

export function adaptRowCount(result: unknown): RowCountRow[] {
  if (!isObj(result)) return [];
  return Object.entries(result)
    .map(([name, v]) => {
      const o = obj(v);
      const base = num(o.base);
      const current = num(pick(o, 'curr', 'current'));
      const delta = base !== null && current !== null ? current - base : null;
      const deltaPercent = delta === null || base === null || base === 0 ? null : (delta / base) * 100;
      const status = [o.status, o.base_status, o.curr_status].find((s) => typeof s === 'string') as string | undefined;
      return { name, base, current, delta, deltaPercent, status: status ?? null };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export const rowCountDiffers = (r: RowCountRow) => r.base !== r.current;
