// Settings > Jobs: the server's durable job queue (summary notes and review
// notes being posted), to see why a note did not arrive, and retry dead jobs.
import { useId, useState } from 'react';
import { Link } from 'wouter';
import { useJobs, useRetryJob } from '../api/hooks';
import type { Job } from '../api/types';
import { Empty, ErrorMessage, Loading } from '../components/status';
import { Time } from '../components/Time';
import { canRetry, emptyJobsText, JOB_STATES, jobKindLabel, jobMergeRequest, nextTry, stateLabel } from './jobs';

function Retry({ job }: { job: Job }) {
  const retry = useRetryJob();
  return (
    <>
      <button type="button" onClick={() => retry.mutate(job.id)} disabled={retry.isPending} aria-label={`Retry job ${job.id}`} data-testid={`job-retry-${job.id}`}>
        {retry.isPending ? 'Retrying…' : 'Retry'}
      </button>
      {retry.error && <ErrorMessage error={retry.error} title="Not retried" />}
    </>
  );
}

function JobRow({ job }: { job: Job }) {
  const iid = jobMergeRequest(job);
  const next = nextTry(job);
  return (
    <tr data-testid={`job-${job.id}`} data-state={job.state}>
      <td className="num">{job.id}</td>
      <td>{jobKindLabel(job.kind)}</td>
      <td>{iid ? <Link href={`/mr/${iid}`}>!{iid}</Link> : <span className="muted">–</span>}</td>
      <td>
        <span className={`tag tag--job-${job.state}`}>{job.state}</span>
      </td>
      <td className="num">
        {job.attempts} of {job.max_attempts}
      </td>
      <td className="small">{next ? <Time iso={next} /> : job.finished_at ? <>finished <Time iso={job.finished_at} /></> : <span className="muted">–</span>}</td>
      <td className="small error-text">{job.last_error || <span className="muted">–</span>}</td>
      <td>{canRetry(job) && <Retry job={job} />}</td>
    </tr>
  );
}

export function Jobs() {
  const id = useId();
  const [state, setState] = useState('');
  const jobs = useJobs(state);
  return (
    <section aria-labelledby={`${id}-h`} data-testid="jobs">
      <h2 id={`${id}-h`}>Jobs</h2>
      <p>
        The server posts summary notes, commit statuses and review notes through a queue that survives restarts: a job that fails is retried with
        backoff, and is <strong>dead</strong> once its attempts are used up. Fix the cause (a token replaced, a role given), then retry it.
      </p>
      <div className="row">
        <label>
          State
          <select value={state} onChange={(e) => setState(e.target.value)} data-testid="jobs-state">
            {JOB_STATES.map((s) => (
              <option key={s} value={s}>
                {stateLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => jobs.refetch()} disabled={jobs.isFetching}>
          {jobs.isFetching ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {jobs.isPending ? (
        <Loading label="Loading the jobs…" />
      ) : jobs.error ? (
        <ErrorMessage error={jobs.error} title="Cannot load the jobs" onRetry={() => jobs.refetch()} />
      ) : jobs.data.length === 0 ? (
        <Empty>{emptyJobsText(state)}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="data" aria-label="Jobs" data-testid="jobs-table">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Kind</th>
                <th scope="col">Merge request</th>
                <th scope="col">State</th>
                <th scope="col">Attempts</th>
                <th scope="col">Next try</th>
                <th scope="col">Last error</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.map((j) => (
                <JobRow key={j.id} job={j} />
              ))}
            </tbody>
          </table>
          {jobs.data.length >= 100 && <p className="muted small">The newest 100 jobs are shown: filter by state to see others.</p>}
        </div>
      )}
    </section>
  );
}
