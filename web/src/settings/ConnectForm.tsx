// The GitLab URL, token and project fields. The token is write-only: the
// field is masked, never filled from the server, and emptied after each try.
import { type FormEvent, useState } from 'react';
import type { ConnectRequest } from '../api/types';

export const DEFAULT_GITLAB_URL = 'https://gitlab.com';

interface Props {
  initial?: { gitlab_url?: string; project?: string };
  busy: boolean;
  onConnect: (req: ConnectRequest) => void;
  onCancel?: () => void;
}

export function ConnectForm({ initial, busy, onConnect, onCancel }: Props) {
  const [url, setUrl] = useState(initial?.gitlab_url || DEFAULT_GITLAB_URL);
  const [token, setToken] = useState('');
  const [project, setProject] = useState(initial?.project ?? '');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onConnect({ gitlab_url: url.trim(), token: token.trim(), project: project.trim() });
    setToken('');
  };
  return (
    <form className="connect-form" onSubmit={submit} data-testid="gitlab-connect-form" autoComplete="off">
      <label>
        GitLab URL
        <input type="url" name="gitlab_url" required value={url} onChange={(e) => setUrl(e.target.value)} data-testid="gitlab-url" />
      </label>
      <label>
        Personal access token
        <input
          type="password"
          name="token"
          required
          autoComplete="off"
          spellCheck={false}
          placeholder="glpat-…"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          data-testid="gitlab-token"
        />
      </label>
      <label>
        Project
        <input
          name="project"
          required
          placeholder="group/project or project ID"
          value={project}
          onChange={(e) => setProject(e.target.value)}
          data-testid="gitlab-project"
        />
      </label>
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy} data-testid="gitlab-connect">
          {busy ? 'Checking the token…' : 'Connect'}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
