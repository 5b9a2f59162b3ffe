// What "Run all checks" runs: every check that is not a note and is not
// running already; without a warehouse, only those read from the artifacts
// (lineage and schema diffs), the data checks being skipped with the reason.
import { runsDisabledReason } from '../api/hooks';
import type { Check, Info } from '../api/types';
import { ARTIFACT_ONLY } from './types';

export interface RunAllPlan {
  /** The checks to run, in checklist order. */
  run: Check[];
  /** Data checks left out because there is no warehouse to run them on. */
  skipped: Check[];
  /** What the skipped checks are and why, e.g. "3 data checks skipped: no warehouse connection: …"; null when none are. */
  skippedReason: string | null;
  /** Why the button is disabled, or null when it is not. */
  disabledReason: string | null;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Says that n data checks are skipped and why (the warehouse reason, prefixed unless it says so itself). */
export function skippedMessage(n: number, warehouseReason: string): string {
  const why = /no warehouse/i.test(warehouseReason) ? warehouseReason : `no warehouse connection: ${warehouseReason}`;
  return `${plural(n, 'data check', 'data checks')} skipped: ${why}`;
}

export function planRunAll(info: Info | undefined, checks: Check[]): RunAllPlan {
  const none = (disabledReason: string): RunAllPlan => ({ run: [], skipped: [], skippedReason: null, disabledReason });
  if (!info) return none(runsDisabledReason(info)!);
  const runnable = checks.filter((c) => c.type !== 'simple');
  if (runnable.length === 0) return none('The checklist holds only notes: there is nothing to run.');
  const idle = runnable.filter((c) => c.last_run?.status !== 'Running');
  if (idle.length === 0) return none('Every check is running already.');
  const warehouse = runsDisabledReason(info);
  if (warehouse === null) return { run: idle, skipped: [], skippedReason: null, disabledReason: null };
  const run = idle.filter((c) => ARTIFACT_ONLY.has(c.type));
  const skipped = idle.filter((c) => !ARTIFACT_ONLY.has(c.type));
  if (run.length === 0) {
    const busy = runnable.some((c) => ARTIFACT_ONLY.has(c.type));
    // Nothing left that runs without a warehouse: the warehouse is why (or those that do run already).
    return { run, skipped, skippedReason: null, disabledReason: busy ? `Every check that needs no warehouse is running already, and the data checks cannot run: ${warehouse}` : warehouse };
  }
  return { run, skipped, skippedReason: skipped.length > 0 ? skippedMessage(skipped.length, warehouse) : null, disabledReason: null };
}
