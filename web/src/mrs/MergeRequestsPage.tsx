// Merge requests screen: the project's tracked merge requests, the status of
// their review session (what the pipelines uploaded), their summary note,
// "Open review" (the session's Lineage, Query and Checks), and a button to
// post or refresh the summary of the local review.
import { useId, useState } from 'react';
import { Link } from 'wouter';
import { useGitLab, useInfo, useMergeRequests, usePostSummary, useSyncMergeRequests } from '../api/hooks';
import type { MergeRequest } from '../api/types';
import { DisabledReason, Empty, ErrorMessage, Loading } from '../components/status';
import { Time } from '../components/Time';
import { SessionStatusBadge, SessionStatusHint } from './SessionStatus';

const STATES = ['opened', 'merged', 'closed', 'locked', 'all'];

function PostSummary({ mr, reason, reasonId }: { mr: MergeRequest; reason: string | null; reasonId: string }) {
  const post = usePostSummary();
  return (
    <>
      <button
        type="button"
        data-testid={`post-summary-${mr.iid}`}
        disabled={reason !== null || post.isPending}
        aria-describedby={reason ? reasonId : undefined}
        aria-label={`${mr.summary ? 'Refresh' : 'Post'} the summary on !${mr.iid}`}
        title="Posts the summary of this server’s own review (Lineage and Checks in the main navigation) as the merge request’s summary note"
        onClick={() => post.mutate(mr.iid)}
      >
        {post.isPending ? 'Posting…' : mr.summary ? 'Refresh summary' : 'Post summary'}
      </button>
      {post.data && (
        <span role="status" className="ok small">
          {' '}
          Summary {post.data.action}
          {post.data.url && (
            <>
              {' '}
              (<a href={post.data.url}>note</a>)
            </>
          )}
        </span>
      )}
      {post.error && <ErrorMessage error={post.error} />}
    </>
  );
}

/**
 * A merge request. `localSummary`: the server has a review of its own, whose
 * summary can be posted by hand (a team server posts its sessions' itself).
 */
function Row({ mr, reason, reasonId, localSummary }: { mr: MergeRequest; reason: string | null; reasonId: string; localSummary: boolean }) {
  return (
    <tr data-testid={`mr-${mr.iid}`}>
      <td>
        <a href={mr.web_url} target="_blank" rel="noreferrer">
          !{mr.iid} {mr.title}
        </a>
        {mr.draft && <span className="tag">draft</span>}
      </td>
      <td>
        <span className={`tag tag--mr-${mr.state}`}>{mr.state}</span>
      </td>
      <td className="small">
        <code>{mr.source_branch}</code> → <code>{mr.target_branch}</code>
      </td>
      <td>{mr.author?.name || mr.author?.username || ''}</td>
      <td className="small">
        <Time iso={mr.updated_at} />
      </td>
      <td className="small mr-session">
        <SessionStatusBadge iid={mr.iid} status={mr.session?.status} />
        {mr.session?.updated_at && (
          <span className="muted">
            {' '}
            updated <Time iso={mr.session.updated_at} />
          </span>
        )}
        <SessionStatusHint status={mr.session?.status} />
      </td>
      <td className="small" data-testid={`mr-summary-${mr.iid}`}>
        {mr.summary ? (
          <>
            {mr.summary.url ? (
              <a href={mr.summary.url} target="_blank" rel="noreferrer">
                posted
              </a>
            ) : (
              'posted'
            )}{' '}
            <Time iso={mr.summary.posted_at} />
            {mr.summary.status && <span className={`tag tag--status-${mr.summary.status}`}>{mr.summary.status}</span>}
          </>
        ) : (
          <span className="muted">not posted</span>
        )}
      </td>
      <td>
        <div className="mrs__actions">
          <Link href={`/mr/${mr.iid}`} className="button primary" data-testid={`mr-open-${mr.iid}`} aria-label={`Open the review of !${mr.iid}`}>
            Open review
          </Link>
          {localSummary && <PostSummary mr={mr} reason={reason} reasonId={reasonId} />}
        </div>
      </td>
    </tr>
  );
}

export function MergeRequestsPage() {
  const id = useId();
  const [state, setState] = useState('opened');
  const conn = useGitLab();
  const connected = conn.data?.connected === true;
  const mrs = useMergeRequests(state, connected);
  const sync = useSyncMergeRequests();
  const team = useInfo().data?.mode === 'team';

  if (conn.isPending) return <Loading label="Loading the GitLab connection…" />;
  if (conn.error) return <ErrorMessage error={conn.error} title="Cannot load the GitLab connection" onRetry={() => conn.refetch()} />;
  if (!connected) {
    return (
      <div className="mrs">
        <h1>Merge requests</h1>
        <Empty>
          GitLab is not connected. <Link href="/settings">Connect your project in Settings</Link> to track its merge requests.
        </Empty>
      </div>
    );
  }
  const reason =
    conn.data.mode === 'read_only'
      ? 'The GitLab token has the read_api scope only: summaries cannot be posted. Replace it with an api token in Settings.'
      : conn.data.mode === 'none'
        ? 'The GitLab token cannot be used: see Settings.'
        : null;

  return (
    <div className="mrs">
      <h1>Merge requests</h1>
      <p className="muted">
        Each merge request pipeline sends its review with <code>recce upload</code>; the server then posts the summary note and commit
        status. <strong>Open review</strong> shows a merge request’s lineage and checks. Notes on their way to GitLab:{' '}
        <Link href="/settings/jobs">the job queue</Link>.
      </p>
      <div className="row">
        <label>
          State
          <select aria-label="State" value={state} onChange={(e) => setState(e.target.value)} data-testid="mr-state">
            {STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => sync.mutate()} disabled={sync.isPending}>
          {sync.isPending ? 'Syncing…' : 'Sync with GitLab'}
        </button>
        {sync.data && <span role="status">{sync.data.synced} merge requests synced.</span>}
      </div>
      {sync.error && <ErrorMessage error={sync.error} title="Cannot sync" />}
      {conn.data.mode === 'none' ? (
        // The app-wide GitLab banner says it, with the link to Settings: here it only describes the disabled buttons.
        <p id={`${id}-why`} className="visually-hidden">
          {reason}
        </p>
      ) : (
        <DisabledReason id={`${id}-why`} reason={reason} />
      )}
      {mrs.isPending ? (
        <Loading label="Loading the merge requests…" />
      ) : mrs.error ? (
        <ErrorMessage error={mrs.error} title="Cannot load the merge requests" onRetry={() => mrs.refetch()} />
      ) : mrs.data.length === 0 ? (
        <Empty>No {state === 'all' ? '' : `${state} `}merge request in {conn.data.project?.path ?? 'the project'}.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="data" aria-label="Merge requests" data-testid="mr-table">
            <thead>
              <tr>
                <th scope="col">Merge request</th>
                <th scope="col">State</th>
                <th scope="col">Branches</th>
                <th scope="col">Author</th>
                <th scope="col">Updated</th>
                <th scope="col">Session</th>
                <th scope="col">Summary note</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {mrs.data.map((mr) => (
                <Row key={mr.iid} mr={mr} reason={reason} reasonId={`${id}-why`} localSummary={!team} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
