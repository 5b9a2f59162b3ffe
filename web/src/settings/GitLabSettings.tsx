// Settings > Integrations > GitLab: the personal access token flow of the
// GitLab guide. Paste a token, Connect, read the result; then Replace token
// or Disconnect.
import { useState } from 'react';
import { ApiError, tokenSettingsUrl } from '../api/client';
import { useConnectGitLab, useDisconnectGitLab, useGitLab } from '../api/hooks';
import type { DisconnectResult, GitLabRejection } from '../api/types';
import { ErrorMessage, Loading } from '../components/status';
import { ConnectForm, DEFAULT_GITLAB_URL } from './ConnectForm';
import { ConnectionResult } from './ConnectionResult';
import { CreateWebhook } from './CreateWebhook';
import { ScopeTable } from './ScopeTable';

/** How to create a token; the scope table is left out while a check result (with its own) is shown. */
function Guide({ gitlabUrl, withScopes }: { gitlabUrl: string; withScopes: boolean }) {
  return (
    <div className="guide">
      <p>
        Recce connects to your GitLab project with a personal access token (a project or group access token works too).
        Create one in <a href={tokenSettingsUrl(gitlabUrl)} target="_blank" rel="noreferrer">GitLab’s personal access token settings</a>:
        click <em>Add new token</em>, name it (e.g. “Recce Integration”), set an expiration date, and select a scope:
      </p>
      {withScopes && <ScopeTable />}
      <p>
        <strong>Choose the api scope</strong> if you want Recce to post validation summaries and notes on your merge requests; read_api only
        lets Recce read them. Copy the token right away (GitLab shows it once) and paste it below. You need the Maintainer or Owner role on
        the project.
      </p>
    </div>
  );
}

/** After a disconnect, a webhook GitLab would not delete: where to remove it by hand. */
function WebhookLeft({ result }: { result?: DisconnectResult }) {
  const hook = result?.webhook;
  if (!hook || hook.deleted) return null;
  return (
    <div className="banner" role="status" data-testid="gitlab-webhook-left">
      Disconnected, but the project webhook {hook.id} could not be deleted in GitLab ({hook.error}). It can no longer reach Recce:{' '}
      <a href={hook.settings_url} target="_blank" rel="noreferrer">
        remove it in the project’s webhook settings
      </a>
      .
    </div>
  );
}

export function GitLabSettings() {
  const conn = useGitLab();
  const connect = useConnectGitLab();
  const disconnect = useDisconnectGitLab();
  const [replacing, setReplacing] = useState(false);
  const [confirmDisconnect, setConfirmDisconnect] = useState(false);
  const [lastUrl, setLastUrl] = useState(DEFAULT_GITLAB_URL);

  if (conn.isPending) return <Loading label="Loading the GitLab connection…" />;
  if (conn.error) return <ErrorMessage error={conn.error} title="Cannot load the GitLab connection" onRetry={() => conn.refetch()} />;

  const c = conn.data;
  const refused = connect.error instanceof ApiError && connect.error.status === 422 ? (connect.error.detail as GitLabRejection | undefined) : undefined;
  const showForm = !c.connected || replacing;

  return (
    <section className="gitlab-settings" aria-labelledby="gitlab-h" data-testid="gitlab-settings">
      <h2 id="gitlab-h">GitLab</h2>
      {c.connected && c.mode && !replacing && (
        <>
          <ConnectionResult conn={c} mode={c.mode} />
          <CreateWebhook conn={c} />
          <div className="buttons">
            <button type="button" data-testid="gitlab-replace" onClick={() => (connect.reset(), setReplacing(true))}>
              Replace token
            </button>
            {confirmDisconnect ? (
              <span role="group" aria-label="Confirm disconnect">
                Disconnect GitLab? The stored token is deleted{c.webhook?.configured ? ', and the project webhook in GitLab' : ''}.{' '}
                <button type="button" className="danger" autoFocus onClick={() => disconnect.mutate(undefined, { onSuccess: () => setConfirmDisconnect(false) })}>
                  Yes, disconnect
                </button>
                <button type="button" onClick={() => setConfirmDisconnect(false)}>
                  Keep connected
                </button>
              </span>
            ) : (
              <button type="button" className="danger" data-testid="gitlab-disconnect" onClick={() => setConfirmDisconnect(true)}>
                Disconnect
              </button>
            )}
          </div>
          {disconnect.error && <ErrorMessage error={disconnect.error} title="Cannot disconnect" />}
        </>
      )}
      {!c.connected && <WebhookLeft result={disconnect.data} />}
      {showForm && (
        <>
          {!c.connected && <Guide gitlabUrl={lastUrl} withScopes={!refused} />}
          {replacing && <p>Paste the new token. The current connection stays until the new token passes the checks.</p>}
          <ConnectForm
            initial={c.connected ? { gitlab_url: c.gitlab_url, project: c.project?.path ?? String(c.project?.id ?? '') } : undefined}
            busy={connect.isPending}
            onConnect={(req) => {
              setLastUrl(req.gitlab_url);
              connect.mutate(req, { onSuccess: () => setReplacing(false) });
            }}
            onCancel={replacing ? () => (connect.reset(), setReplacing(false)) : undefined}
          />
          {connect.error && (
            <div data-testid="gitlab-refused">
              {refused?.checks?.length ? (
                // The failed checks say what went wrong, once, with their hints.
                <div className="state state--error" role="alert" data-testid="error">
                  <strong>Not connected</strong>: nothing was stored. Fix what the failed check below says, then connect again.
                </div>
              ) : (
                <ErrorMessage error={connect.error} title="Not connected" />
              )}
              {refused && <ConnectionResult conn={{ ...refused, gitlab_url: lastUrl }} mode={refused.mode ?? 'none'} />}
            </div>
          )}
        </>
      )}
    </section>
  );
}
