// What a merge request session's status means, and what to do about it:
// the one place the list, the session header and the tests read it from.
import type { SessionStatus } from '../api/types';

export type Tone = 'neutral' | 'ok' | 'warn' | 'bad';

export interface StatusInfo {
  label: string;
  /** What it means and what to do, in one sentence. */
  hint: string;
  tone: Tone;
}

const STATUSES: Record<SessionStatus, StatusInfo> = {
  waiting: {
    label: 'waiting for a pipeline',
    hint: 'No pipeline has uploaded yet: add `recce upload` after `recce run` in the merge request pipeline.',
    tone: 'neutral',
  },
  up_to_date: {
    label: 'up to date',
    hint: 'The last upload reviews the head commit and no check found a difference: the summary note and commit status are current.',
    tone: 'ok',
  },
  outdated: {
    label: 'outdated',
    hint: 'New commits since the last upload; the next pipeline’s `recce upload` refreshes it.',
    tone: 'warn',
  },
  mismatch: {
    label: 'mismatch found',
    hint: 'A check found a data difference: open the review, look at the checks in red, then approve or comment.',
    tone: 'bad',
  },
  failed: {
    label: 'failed',
    hint: 'A check could not complete, or the upload could not be read: open the review for the error, fix it, and run the pipeline again.',
    tone: 'bad',
  },
};

/** The label, hint and colour of a session status (one the app does not know is shown as it is). */
export function sessionStatus(status: string | null | undefined): StatusInfo {
  if (!status) return STATUSES.waiting;
  return STATUSES[status as SessionStatus] ?? { label: status.replace(/_/g, ' '), hint: 'A status this version of the app does not know.', tone: 'neutral' };
}

/** A commit's short form, as GitLab shows it. */
export const shortSha = (sha: string | null | undefined) => (sha ? sha.slice(0, 8) : '');
