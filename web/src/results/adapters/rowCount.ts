// row_count_diff: `{"<node name>": {"base": n, "curr": n}}`; a side may be
// null, with `base_meta` / `curr_meta` `{"status"}` saying why
// (table_not_found, not_in_manifest...), and `unique_id` (ours).
import { isObj, num, obj, pick } from './common';

export interface RowCountRow {
  name: string;
  base: number | null;
  current: number | null;
  /** current - base, when both are known. */
  delta: number | null;
  /** The delta relative to the base count (what people expect), in percent. */
  deltaPercent: number | null;
  /** The same as a ratio (0.12 for +12 %), for fmtPercent. */
  deltaRatio: number | null;
  /** Why a side has no count (e.g. "table_not_found"), if the server said: show it with statusWords. */
  baseStatus: string | null;
  currentStatus: string | null;
  /** The node counted, when the server says (ours does; the reference keys by name only). */
  uniqueId: string | null;
}

/**
 * Why a side has no count, as people say it: a model missing from one
 * manifest is added (not in base) or removed (not in current), not
 * "not_in_manifest"; unknown statuses are shown with spaces.
 */
export function statusWords(status: string, side: 'base' | 'current'): string {
  switch (status) {
    case 'not_in_manifest':
      return side === 'base' ? 'added' : 'removed';
    case 'table_not_found':
      return 'no table';
    case 'permission_denied':
      return 'no permission';
    case 'unsupported_materialization':
      return 'not counted (not a table)';
  }
  return status.replaceAll('_', ' ');
}

export function adaptRowCount(result: unknown): RowCountRow[] {
  if (!isObj(result)) return [];
  return Object.entries(result)
    .map(([name, v]) => {
      const o = obj(v);
      const base = num(o.base);
      const current = num(pick(o, 'curr', 'current'));
      const delta = base !== null && current !== null ? current - base : null;
      const deltaRatio = delta === null || base === null || base === 0 ? null : delta / base;
      const deltaPercent = deltaRatio === null ? null : deltaRatio * 100;
      const status = (meta: unknown) => {
        const s = obj(meta).status ?? o.status;
        return typeof s === 'string' ? s : null;
      };
      const uniqueId = typeof o.unique_id === 'string' && o.unique_id !== '' ? o.unique_id : null;
      return { name, base, current, delta, deltaPercent, deltaRatio, baseStatus: status(o.base_meta), currentStatus: status(o.curr_meta), uniqueId };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
