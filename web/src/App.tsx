// The app shell: header and navigation, the GitLab banner, and the screens.
// Routes live in the URL hash (/#/checks) so that the server only serves /.
import { Link, Redirect, Route, Router, Switch, useRoute } from 'wouter';
import { useHashLocation } from 'wouter/use-hash-location';
import { ApiError } from './api/client';
import { useInfo } from './api/hooks';
import { GitLabBanner } from './Banner';
import { ChecksPage } from './checks/ChecksPage';
import { ErrorMessage, Loading } from './components/status';
import { LineagePage } from './lineage/LineagePage';
import { MergeRequestsPage } from './mrs/MergeRequestsPage';
import { QueryPage } from './query/QueryPage';
import { SettingsPage } from './settings/SettingsPage';
import { SignIn } from './SignIn';

function NavLink({ href, children }: { href: string; children: string }) {
  const [active] = useRoute(`${href}/*?`);
  return (
    <Link href={href} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

const MODE_LABELS = { live: 'live', review: 'review mode (no warehouse)', demo: 'demo' };

function Shell() {
  const info = useInfo();
  if (info.error instanceof ApiError && info.error.status === 401) return <SignIn />;
  const pr = info.data?.pull_request;
  return (
    <>
      <header className="header">
        <span className="brand">Recce</span>
        {info.data && (
          <span className="muted small" data-testid="project">
            {info.data.lineage.current.project_name || info.data.lineage.base.project_name}
            {' · '}
            {MODE_LABELS[info.data.mode] ?? info.data.mode}
            {pr?.title && (
              <>
                {' · '}
                {pr.url ? <a href={pr.url}>{pr.title}</a> : pr.title}
              </>
            )}
          </span>
        )}
        <nav aria-label="Main" className="nav">
          <NavLink href="/lineage">Lineage</NavLink>
          <NavLink href="/query">Query</NavLink>
          <NavLink href="/checks">Checks</NavLink>
          <NavLink href="/merge-requests">Merge requests</NavLink>
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
          <Switch>
            <Route path="/lineage" component={LineagePage} />
            <Route path="/query" component={QueryPage} />
            <Route path="/checks/:id?" component={ChecksPage} />
            <Route path="/merge-requests" component={MergeRequestsPage} />
            <Route path="/settings/*?" component={SettingsPage} />
            <Route>
              <Redirect to="/lineage" replace />
            </Route>
          </Switch>
        )}
      </main>
    </>
  );
}

export function App() {
  return (
    <Router hook={useHashLocation}>
      <Shell />
    </Router>
  );
}
