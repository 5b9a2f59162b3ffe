// The project's webhook, created from Settings when the connection has none:
// merge request events mark sessions outdated within seconds instead of at
// the next background sync.
import { useCreateWebhook } from '../api/hooks';
import type { GitLabConnection } from '../api/types';
import { ErrorMessage } from '../components/status';

export function CreateWebhook({ conn }: { conn: GitLabConnection }) {
  const create = useCreateWebhook();
  if (conn.mode !== 'full' || !conn.webhook || conn.webhook.configured) return null;
  return (
    <div className="row" data-testid="gitlab-webhook">
      <p className="muted small">
        Without a webhook, new commits reach Recce at the next sync (every few minutes). With one, merge requests are marked outdated at once.
      </p>
      <button type="button" onClick={() => create.mutate(undefined)} disabled={create.isPending} data-testid="gitlab-create-webhook">
        {create.isPending ? 'Creating the webhook…' : 'Create the webhook'}
      </button>
      {create.error && <ErrorMessage error={create.error} title="No webhook" />}
    </div>
  );
}
