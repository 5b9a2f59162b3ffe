// What the connection check found: mode, scopes, token, role, and each check
// with its hint. Used for a stored connection and for a refused token alike.
import { tokenSettingsUrl } from '../api/client';
import type { GitLabCheck, GitLabConnection, GitLabMode } from '../api/types';
import { forTheWeb } from '../api/words';
import { MODE_LABELS, roleName } from './scopes';
import { ScopeTable } from './ScopeTable';

const MODE_TEXT: Record<GitLabMode, string> = {
  full: 'Merge requests are tracked, and summaries and notes are posted on them.',
  read_only:
    'Merge requests are tracked, but summaries and notes will not be posted: the token has the read_api scope only. Replace it with a token that has the api scope to receive them.',
  none: 'This token cannot be used. Fix what the failed checks below say, then connect again.',
};

function expiry(token: GitLabConnection['token']): string {
  if (!token?.expires_at) return 'never expires';
  const days = token.days_left;
  if (days == null) return `expires on ${token.expires_at}`;
  if (days < 0) return `expired on ${token.expires_at}`;
  return `expires on ${token.expires_at} (${days === 0 ? 'today' : `${days} day${days === 1 ? '' : 's'} left`})`;
}

/** Checks that a new token can fix (not the URL, not the project or the role). */
const TOKEN_CHECKS = new Set(['token', 'token_scope', 'token_expiry', 'token_active']);

/** What the mode line says: for an unusable connection, whether the URL or the token is at fault. */
function modeText(mode: GitLabMode, checks: GitLabCheck[]): string {
  if (mode === 'none' && checks.some((c) => c.name === 'gitlab_url' && !c.ok)) {
    return 'GitLab could not be reached at this URL: see the check below.';
  }
  if (mode === 'none' && checks.some((c) => !c.ok && c.severity === 'error' && !TOKEN_CHECKS.has(c.name))) {
    return 'The token works, but not on this project: see the check below.';
  }
  return MODE_TEXT[mode];
}

function CheckItem({ check, gitlabUrl }: { check: GitLabCheck; gitlabUrl: string }) {
  const level = check.ok ? 'ok' : check.severity;
  return (
    <li className={`gl-check gl-check--${level}`} data-testid={`gitlab-check-${check.name}`} data-ok={check.ok}>
      <span className="gl-check__icon" aria-hidden="true">
        {check.ok ? '✔' : check.severity === 'warning' ? '!' : check.severity === 'info' ? 'i' : '✖'}
      </span>
      <div>
        <p>
          <span className="visually-hidden">{check.ok ? 'Passed: ' : `${check.severity}: `}</span>
          {forTheWeb(check.message)}
        </p>
        {!check.ok && check.hint && <p className="hint">{forTheWeb(check.hint)}</p>}
        {!check.ok && TOKEN_CHECKS.has(check.name) && (
          <a href={tokenSettingsUrl(gitlabUrl)} target="_blank" rel="noreferrer">
            Create a new token
          </a>
        )}
      </div>
    </li>
  );
}

export function ConnectionResult({ conn, mode }: { conn: Omit<GitLabConnection, 'connected'>; mode: GitLabMode }) {
  const gitlabUrl = conn.gitlab_url || 'https://gitlab.com';
  const checks = conn.checks ?? [];
  const failed = checks.filter((c) => !c.ok);
  const unreachable = checks.some((c) => c.name === 'gitlab_url' && !c.ok);
  return (
    <div className="gl-result" data-testid="gitlab-result" data-mode={mode}>
      <p className={`mode mode--${mode}`} data-testid="gitlab-mode">
        <strong>{MODE_LABELS[mode]}</strong>: {modeText(mode, checks)}
      </p>
      <dl className="facts">
        {conn.token?.name && (
          <div>
            <dt>Token</dt>
            <dd data-testid="gitlab-token-name">
              {conn.token.name} ({(conn.token.scopes ?? []).join(', ') || 'no scope'}), {expiry(conn.token)}
            </dd>
          </div>
        )}
        {conn.user && (
          <div>
            <dt>User</dt>
            <dd>{conn.user.name ? `${conn.user.name} (@${conn.user.username})` : `@${conn.user.username}`}</dd>
          </div>
        )}
        {conn.project && (
          <div>
            <dt>Project</dt>
            <dd>
              {conn.project.web_url ? <a href={conn.project.web_url}>{conn.project.path}</a> : conn.project.path}
              {' · role: '}
              <span data-testid="gitlab-role">{roleName(conn.project.role, conn.project.access_level)}</span>
            </dd>
          </div>
        )}
        {conn.webhook?.url && (
          <div>
            <dt>Webhook</dt>
            <dd>
              <code>{conn.webhook.url}</code> {conn.webhook.configured ? '(configured)' : '(not configured on the project)'}
            </dd>
          </div>
        )}
      </dl>
      {/* Scopes are worth showing once GitLab has answered about the token. */}
      {!unreachable && <ScopeTable scopes={conn.token?.scopes} />}
      {conn.checked_at && <p className="muted small">Checked {new Date(conn.checked_at).toLocaleString()}</p>}
      {checks.length > 0 && (
        <>
          <h3>{failed.length === 0 ? 'All checks passed' : `${failed.length} check${failed.length === 1 ? '' : 's'} to fix`}</h3>
          <ul className="plain gl-checks" aria-label="Connection checks">
            {[...failed, ...checks.filter((c) => c.ok)].map((c) => (
              <CheckItem key={c.name} check={c} gitlabUrl={gitlabUrl} />
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
