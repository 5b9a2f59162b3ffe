// Settings: Integrations > GitLab, API tokens, Jobs (nested routes under /settings).
import { Link, Redirect, Route, Switch, useRoute } from 'wouter';
import { ApiTokens } from './ApiTokens';
import { GitLabSettings } from './GitLabSettings';
import { Jobs } from './Jobs';

/** A section's link, current on its path (and on `also`). */
function Section({ href, also, children }: { href: string; also?: string; children: string }) {
  const [here] = useRoute(href);
  const [alsoHere] = useRoute(also ?? href);
  const active = here || alsoHere;
  return (
    <Link href={href} aria-current={active ? 'page' : undefined} data-testid={`settings-nav${href.replace('/', '-')}`}>
      {children}
    </Link>
  );
}

export function SettingsPage() {
  return (
    <div className="settings">
      <h1>Settings</h1>
      <nav aria-label="Settings sections" className="subnav">
        Integrations ›{' '}
        <Section href="/gitlab" also="/">
          GitLab
        </Section>{' '}
        · <Section href="/tokens">API tokens</Section> · <Section href="/jobs">Jobs</Section>
      </nav>
      <Switch>
        <Route path="/" component={GitLabSettings} />
        <Route path="/gitlab" component={GitLabSettings} />
        <Route path="/tokens" component={ApiTokens} />
        <Route path="/jobs" component={Jobs} />
        <Route>
          <Redirect to="/" replace />
        </Route>
      </Switch>
    </div>
  );
}
