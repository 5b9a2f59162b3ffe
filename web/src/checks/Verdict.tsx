import type { Check } from '../api/types';
import { verdictOf } from './verdict';

/** The verdict badge of a check (list and detail); with `withReason`, the reason beside it. */
export function VerdictBadge({ check, withReason = false }: { check: Check; withReason?: boolean }) {
  const v = verdictOf(check);
  if (!v) return null;
  return (
    <span className={`verdict verdict--${v.kind}`} data-testid="verdict" data-verdict={v.kind} title={v.reason ?? undefined}>
      <span className={`tag tag--verdict-${v.kind}`}>
        <span aria-hidden="true">{v.mark} </span>
        {v.label}
      </span>
      {withReason && v.reason && <span className="verdict__reason">{v.reason}</span>}
    </span>
  );
}
