// How the job queue's jobs read in Settings > Jobs.
import type { Job } from '../api/types';

const KINDS: Record<string, string> = {
  summary: 'Summary note and commit status',
  note: 'Review note',
};

export const jobKindLabel = (kind: string) => KINDS[kind] ?? kind;

/** The merge request a job works for: the server's `iid`, else the summary job's dedupe key (summary:{project}:{iid}). */
export function jobMergeRequest(job: Job): number | null {
  if (typeof job.iid === 'number' && job.iid > 0) return job.iid;
  const m = /^summary:\d+:(\d+)$/.exec(job.dedupe_key ?? '');
  return m ? Number(m[1]) : null;
}

/** When the job runs next: only a pending job has a next try. */
export function nextTry(job: Job): string | null {
  return job.state === 'pending' ? job.run_after : null;
}

export const canRetry = (job: Job) => job.state === 'dead';

export const JOB_STATES = ['', 'pending', 'running', 'dead', 'done'] as const;

export const stateLabel = (state: string) => (state === '' ? 'all' : state);

/** What an empty list says, by the state filter. */
export function emptyJobsText(state: string): string {
  if (state === 'dead') return 'No dead job: everything that failed was retried successfully, or nothing failed.';
  if (state) return `No ${state} job.`;
  return 'No job yet. Jobs appear when a pipeline uploads to a merge request, or a reviewer approves or comments in a merge request’s review.';
}
