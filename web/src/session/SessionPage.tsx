// /mr/{iid}/...: a merge request's session, reviewed with the same Lineage,
// Query and Checks screens as the local review, against /api/mr/{iid}/...
// (the review context). Nested routes: /mr/12/lineage, /mr/12/checks/<id>.
import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useMemo, useRef } from 'react';
import { Link, Redirect, Route, Switch, useParams } from 'wouter';
import { ApiError, reviewApi, sessionBase } from '../api/client';
import { keys, useSession } from '../api/hooks';
import { ReviewProvider } from '../api/review';
import { Empty, ErrorMessage, Loading } from '../components/status';
import { LineagePage } from '../lineage/LineagePage';
import { SessionHeader } from './SessionHeader';
import { Waiting } from './Waiting';

const ChecksPage = lazy(() => import('../checks/ChecksPage').then((m) => ({ default: m.ChecksPage })));
const QueryPage = lazy(() => import('../query/QueryPage').then((m) => ({ default: m.QueryPage })));
const SummaryPage = lazy(() => import('../summary/SummaryPage').then((m) => ({ default: m.SummaryPage })));

/** When another upload arrives while the review is open, its lineage, checks and runs are fetched again. */
function useRefreshOnUpload(base: string, revision: number | undefined) {
  const qc = useQueryClient();
  const seen = useRef(revision);
  useEffect(() => {
    if (revision === undefined) return;
    if (seen.current !== undefined && seen.current !== revision) {
      void qc.invalidateQueries({ queryKey: keys.info(base) });
      void qc.invalidateQueries({ queryKey: keys.checks(base) });
      void qc.invalidateQueries({ queryKey: keys.runs(base) });
    }
    seen.current = revision;
  }, [qc, base, revision]);
}

function SessionError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const reason = error instanceof ApiError ? (error.detail as { reason?: string } | undefined)?.reason : undefined;
  if (reason === 'not_connected') {
    return (
      <Empty>
        GitLab is not connected, so there are no merge request sessions. <Link href="~/settings">Connect your project in Settings</Link>.
      </Empty>
    );
  }
  return <ErrorMessage error={error} title="Cannot load the session" onRetry={onRetry} />;
}

function SessionView({ iid }: { iid: number }) {
  const review = useMemo(() => reviewApi(sessionBase(iid)), [iid]);
  const session = useSession(iid);
  useRefreshOnUpload(review.base, session.data?.revision);

  return (
    <ReviewProvider review={review}>
      <div className="session-page">
        <SessionHeader iid={iid} session={session.data} />
        {session.isPending ? (
          <Loading label={`Loading the session of !${iid}…`} />
        ) : session.error ? (
          <SessionError error={session.error} onRetry={() => session.refetch()} />
        ) : session.data.revision === 0 ? (
          <Waiting iid={iid} />
        ) : (
          <Suspense fallback={<Loading label="Loading…" />}>
          <Switch>
            <Route path="/lineage" component={LineagePage} />
            <Route path="/query" component={QueryPage} />
            <Route path="/checks/:id?" component={ChecksPage} />
            <Route path="/summary" component={SummaryPage} />
            <Route>
              <Redirect to="/lineage" replace />
            </Route>
          </Switch>
          </Suspense>
        )}
      </div>
    </ReviewProvider>
  );
}

export function SessionPage() {
  const { iid } = useParams<{ iid: string }>();
  const n = Number(iid);
  if (!Number.isInteger(n) || n <= 0) {
    return (
      <Empty>
        “{iid}” is not a merge request number. <Link href="~/merge-requests">Back to the merge requests</Link>
      </Empty>
    );
  }
  // Keyed: another merge request starts afresh (its own review and caches).
  return <SessionView key={n} iid={n} />;
}
