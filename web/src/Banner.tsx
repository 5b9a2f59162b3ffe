// The app-wide GitLab notice: with a read_api token nothing is posted, and
// a stored token that stopped working (expired, revoked) must be replaced.
import { Link } from 'wouter';
import type { Info } from './api/types';

export function GitLabBanner({ gitlab }: { gitlab: Info['gitlab'] }) {
  if (!gitlab?.connected || gitlab.mode === 'full') return null;
  return (
    <div className="banner" role="region" aria-label="GitLab notice" data-testid={gitlab.mode === 'read_only' ? 'read-only-banner' : 'gitlab-unusable-banner'}>
      {gitlab.mode === 'read_only'
        ? 'GitLab is connected with a read_api token: merge requests are tracked, but summaries and notes will not be posted on them. '
        : 'The stored GitLab token can no longer be used (it may have expired or been revoked): nothing is tracked or posted. '}
      <Link href="/settings">Replace the token in Settings</Link> with one that has the api scope.
    </div>
  );
}
