// A check's verdict as the list and the detail show it: the server's
// outcome (check.Assess, what `recce run` and the summary say), with the
// running state of the run being polled; from last_run alone when the
// server sends no outcome.
import type { Check } from '../api/types';
import { forTheWeb } from '../api/words';

export type VerdictKind = 'mismatch' | 'clean' | 'incomplete' | 'not_run' | 'running' | 'info' | 'finished';

export interface VerdictView {
  kind: VerdictKind;
  /** The word of the badge: the CLI's (mismatch, clean, incomplete, info), or not run, running. */
  label: string;
  /** The CLI's mark before it. */
  mark: string;
  /** Why (figures, the error); null when the label says it all. */
  reason: string | null;
}

const firstLine = (s: string) => s.trim().split('\n')[0];

const view = (kind: VerdictKind, reason: string | null = null): VerdictView => ({
  kind,
  label: kind.replace('_', ' '),
  mark: { mismatch: '✗', clean: '✓', incomplete: '!', not_run: '○', running: '…', info: '·', finished: '·' }[kind],
  reason: reason === null || reason === '' ? null : forTheWeb(reason),
});

/** The verdict of a check, or null for a note (nothing runs). */
export function verdictOf(check: Check): VerdictView | null {
  if (check.type === 'simple') return null;
  const run = check.last_run;
  if (run?.status === 'Running') return view('running', run.progress?.message ?? null);
  const o = check.outcome;
  if (o) {
    if (o.verdict === 'incomplete' && o.reason === 'not run') return view('not_run');
    if (o.verdict === 'incomplete' && o.reason === 'still running') return view('running');
    return view(o.verdict, o.reason);
  }
  // An older server: what the run's status tells.
  if (!run) return view('not_run');
  if (run.status === 'Failed') return view('incomplete', run.error ? firstLine(run.error) : 'the run failed');
  if (run.status === 'Cancelled') return view('incomplete', run.error ? firstLine(run.error) : 'cancelled');
  return view('finished');
}
