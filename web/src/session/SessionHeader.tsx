// The header of a merge request's review: which merge request, what the
// pipeline uploaded, the session's status and what it means, the way back
// to the list, and the review's tabs.
import { Link, useRoute } from 'wouter';
import type { Session } from '../api/types';
import { Time } from '../components/Time';
import { shortSha } from '../mrs/sessionStatus';
import { SessionStatusBadge, SessionStatusHint } from '../mrs/SessionStatus';

function Tab({ href, label, iid }: { href: string; label: string; iid: number }) {
  // Relative to the session's route (/mr/{iid}): the same screens as the main navigation's.
  const [active] = useRoute(`${href}/*?`);
  return (
    <Link href={href} aria-current={active ? 'page' : undefined} aria-label={`${label} of !${iid}`} data-testid={`session-tab${href.replace('/', '-')}`}>
      {label}
    </Link>
  );
}

function Uploaded({ session }: { session: Session }) {
  if (!session.uploaded_at) return null;
  return (
    <span>
      uploaded <Time iso={session.uploaded_at} />
      {session.uploaded_by && ` by ${session.uploaded_by}`}
      {session.pipeline_id ? ` (pipeline #${session.pipeline_id})` : ''}
    </span>
  );
}

/**
 * The merge request comes with the session (`merge_request`, as last synced);
 * without it (an older server) the header still names !iid and shows the
 * session's own facts.
 */
export function SessionHeader({ iid, session }: { iid: number; session: Session | undefined }) {
  const mr = session?.merge_request ?? null;
  const status = session?.status;
  const head = session?.head_sha || mr?.sha;
  const reviewed = session?.state_sha;
  return (
    <section className="session-header" aria-label={`Merge request !${iid}`} data-testid="session-header">
      <Link href="~/merge-requests" data-testid="session-back" className="small">
        ← All merge requests
      </Link>
      <h1>
        <span>
          !{iid} {mr?.title}
        </span>
        {mr?.state && mr.state !== 'opened' && <span className={`tag tag--mr-${mr.state}`}>{mr.state}</span>}
        {status && <SessionStatusBadge iid={iid} status={status} />}
        {mr?.web_url && (
          <a href={mr.web_url} target="_blank" rel="noreferrer" className="small" data-testid="session-gitlab-link">
            Open in GitLab ↗
          </a>
        )}
      </h1>
      <p className="session-header__meta">
        {mr?.source_branch && (
          <span>
            <code>{mr.source_branch}</code> → <code>{mr.target_branch}</code>
            {mr.author?.username && ` by @${mr.author.username}`}
          </span>
        )}
        {head && (
          <span>
            head <code data-testid="session-head-sha">{shortSha(head)}</code>
            {reviewed && reviewed !== head && (
              <>
                {' '}
                (the review is of <code>{shortSha(reviewed)}</code>)
              </>
            )}
          </span>
        )}
        {session && <Uploaded session={session} />}
        {session?.summary && (
          <span>
            summary note{' '}
            <a href={session.summary.url} target="_blank" rel="noreferrer">
              posted
            </a>{' '}
            <Time iso={session.summary.posted_at} />
          </span>
        )}
        {session?.commit_status && (
          <span>
            commit status <strong>{session.commit_status.state}</strong> on <code>{shortSha(session.commit_status.sha)}</code>
          </span>
        )}
      </p>
      {status && (
        <p className="session-header__hint" data-testid="session-hint">
          <SessionStatusHint status={status} />
          {session?.result_error && <span className="reason">{session.result_error}</span>}
        </p>
      )}
      {session && session.revision > 0 && (
        <nav aria-label={`Review of !${iid}`} className="tabs">
          <Tab href="/lineage" label="Lineage" iid={iid} />
          <Tab href="/query" label="Query" iid={iid} />
          <Tab href="/checks" label="Checks" iid={iid} />
          <Tab href="/summary" label="Summary" iid={iid} />
        </nav>
      )}
    </section>
  );
}
