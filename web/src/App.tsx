// The app shell: header and navigation, the GitLab banner, and the screens.
// Routes are paths (/checks/<id>): the server answers index.html for them.
import { lazy, Suspense } from 'react';
import { Link, Redirect, Route, Router, Switch, useLocation } from 'wouter';
import { ApiError } from './api/client';
import { useInfo } from './api/hooks';
import type { Info } from './api/types';
import { GitLabBanner } from './Banner';
import { ErrorMessage, Loading } from './components/status';
import { LineagePage } from './lineage/LineagePage';
import { SignIn } from './SignIn';

// The lineage opens first; the other screens load when first visited.
const ChecksPage = lazy(() => import('./checks/ChecksPage').then((m) => ({ default: m.ChecksPage })));
const QueryPage = lazy(() => import('./query/QueryPage').then((m) => ({ default: m.QueryPage })));
const MergeRequestsPage = lazy(() => import('./mrs/MergeRequestsPage').then((m) => ({ default: m.MergeRequestsPage })));
const SettingsPage = lazy(() => import('./settings/SettingsPage').then((m) => ({ default: m.SettingsPage })));
const SessionPage = lazy(() => import('./session/SessionPage').then((m) => ({ default: m.SessionPage })));
const SummaryPage = lazy(() => import('./summary/SummaryPage').then((m) => ({ default: m.SummaryPage })));

/** A link of the main navigation; `also`: another route it is current on. */
function NavLink({ href, also, children }: { href: string; also?: string; children: string }) {
  const [location] = useLocation();
  const active = [href, also].some((p) => p && (location === p || location.startsWith(`${p}/`)));
  return (
    <Link href={href} aria-current={active ? 'page' : undefined} data-testid={`nav${href.replace('/', '-')}`}>
      {children}
    </Link>
  );
}

const MODE_LABELS: Record<string, string> = {
  live: 'live',
  review: 'review mode (no warehouse)',
  demo: 'demo',
  session: 'merge request session',
  team: 'team server',
};

/** What the server reviews: the project, the mode, and the merge request of the local review. */
function ServerLine({ info }: { info: Info }) {
  const pr = info.pull_request;
  const project = info.lineage ? info.lineage.current.project_name || info.lineage.base.project_name : '';
  return (
    <span className="muted small" data-testid="project">
      {project && `${project} · `}
      {MODE_LABELS[info.mode] ?? info.mode}
      {pr?.title && (
        <>
          {' · '}
          {pr.url ? <a href={pr.url}>{pr.title}</a> : pr.title}
        </>
      )}
    </span>
  );
}

/** The screens. A team server has no local review: it starts from the merge requests. */
function Screens({ team }: { team: boolean }) {
  const home = team ? '/merge-requests' : '/lineage';
  return (
    <Suspense fallback={<Loading label="Loading…" />}>
      <Switch>
        {!team && <Route path="/lineage" component={LineagePage} />}
        {!team && <Route path="/query" component={QueryPage} />}
        {!team && <Route path="/checks/:id?" component={ChecksPage} />}
        {!team && <Route path="/summary" component={SummaryPage} />}
        <Route path="/merge-requests" component={MergeRequestsPage} />
        <Route path="/mr/:iid" nest component={SessionPage} />
        <Route path="/settings" nest component={SettingsPage} />
        <Route>
          <Redirect to={home} replace />
        </Route>
      </Switch>
    </Suspense>
  );
}

function Shell() {
  const info = useInfo();
  if (info.error instanceof ApiError && info.error.status === 401) return <SignIn />;
  const team = info.data?.mode === 'team';
  return (
    <>
      <header className="header">
        <span className="brand">Recce</span>
        {info.data && <ServerLine info={info.data} />}
        <nav aria-label="Main" className="nav">
          {!team && <NavLink href="/lineage">Lineage</NavLink>}
          {!team && <NavLink href="/query">Query</NavLink>}
          {!team && <NavLink href="/checks">Checks</NavLink>}
          {!team && <NavLink href="/summary">Summary</NavLink>}
          <NavLink href="/merge-requests" also="/mr">
            Merge requests
          </NavLink>
          <NavLink href="/settings">Settings</NavLink>
        </nav>
      </header>
      <GitLabBanner gitlab={info.data?.gitlab} />
      <main>
        {info.isPending ? (
          <Loading label="Connecting to the recce server…" />
        ) : info.error ? (
          <ErrorMessage error={info.error} title="Cannot load the server information" onRetry={() => info.refetch()} />
        ) : (
          <Screens team={team} />
        )}
      </main>
    </>
  );
}

export function App() {
  return (
    <Router>
      <Shell />
    </Router>
  );
}
