// Settings > API tokens: tokens for `recce upload` in pipelines and scripts.
// A new token is shown once, from this component's state only (the mutation
// is reset at once, so no cache keeps it), until "Done".
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { useApiTokens, useCreateApiToken, useRevokeApiToken } from '../api/hooks';
import type { ApiToken } from '../api/types';
import { Empty, ErrorMessage, Loading } from '../components/status';
import { Time } from '../components/Time';

function ShownOnce({ token, onDone }: { token: ApiToken; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  useEffect(() => {
    field.current?.focus();
    field.current?.select();
  }, []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.token ?? '');
      setCopied('yes');
    } catch {
      field.current?.select();
      setCopied('no');
    }
  };
  return (
    <div className="token-once" role="region" aria-label="New API token" data-testid="api-token-shown">
      <p>
        <strong>Copy the token “{token.name}” now: you will not see it again.</strong> Recce keeps only a hash of it.
      </p>
      <div className="row">
        <input ref={field} readOnly aria-label={`API token ${token.name}`} value={token.token ?? ''} data-testid="api-token-value" onFocus={(e) => e.target.select()} />
        <button type="button" onClick={copy} data-testid="api-token-copy">
          Copy
        </button>
        <button type="button" className="primary" onClick={onDone} data-testid="api-token-done">
          Done
        </button>
      </div>
      {copied && (
        <p role="status" className="small">
          {copied === 'yes' ? 'Copied to the clipboard.' : 'The browser refused the clipboard: the token is selected, press Ctrl+C (⌘C) to copy it.'}
        </p>
      )}
    </div>
  );
}

function CreateToken() {
  const id = useId();
  const [name, setName] = useState('');
  const [shown, setShown] = useState<ApiToken | null>(null);
  // After "Done", the keyboard goes back to the name field (the shown token's buttons are gone).
  const [refocus, setRefocus] = useState(false);
  const nameField = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (refocus && !shown) nameField.current?.focus();
  }, [refocus, shown]);
  const create = useCreateApiToken();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() === '') return;
    create.mutate(name.trim(), {
      onSuccess: (token) => {
        setShown(token);
        setName('');
        create.reset(); // the token stays in this component only
      },
    });
  };
  if (shown) return <ShownOnce token={shown} onDone={() => (setShown(null), setRefocus(true))} />;
  return (
    <>
      <form className="token-form" onSubmit={submit} aria-labelledby={`${id}-h`}>
        <h3 id={`${id}-h`} className="visually-hidden">
          Create an API token
        </h3>
        <label>
          Token name
          <input
            ref={nameField}
            required
            placeholder="e.g. CI upload, nightly script"
            value={name}
            onChange={(e) => setName(e.target.value)}
            data-testid="api-token-name"
          />
        </label>
        <button type="submit" className="primary" disabled={create.isPending || name.trim() === ''} data-testid="api-token-create">
          {create.isPending ? 'Creating…' : 'Create token'}
        </button>
      </form>
      {create.error && <ErrorMessage error={create.error} title="Cannot create the token" />}
    </>
  );
}

function Revoke({ token }: { token: ApiToken }) {
  const [confirm, setConfirm] = useState(false);
  const revoke = useRevokeApiToken();
  if (!confirm) {
    return (
      <button type="button" className="danger" aria-label={`Revoke ${token.name}`} data-testid={`api-token-revoke-${token.id}`} onClick={() => setConfirm(true)}>
        Revoke
      </button>
    );
  }
  return (
    <span role="group" aria-label={`Confirm revoking ${token.name}`}>
      Revoke “{token.name}”? What uses it can no longer upload.{' '}
      <button type="button" className="danger" autoFocus disabled={revoke.isPending} onClick={() => revoke.mutate(token.id)} data-testid={`api-token-revoke-confirm-${token.id}`}>
        Yes, revoke
      </button>
      <button type="button" onClick={() => (revoke.reset(), setConfirm(false))}>
        Keep it
      </button>
      {revoke.error && <ErrorMessage error={revoke.error} title="Not revoked" />}
    </span>
  );
}

function TokenList() {
  const tokens = useApiTokens();
  if (tokens.isPending) return <Loading label="Loading the API tokens…" />;
  if (tokens.error) return <ErrorMessage error={tokens.error} title="Cannot load the API tokens" onRetry={() => tokens.refetch()} />;
  if (tokens.data.length === 0) {
    return <Empty>No API token yet. Merge request pipelines of the connected project upload with their own job token; create one for anything else.</Empty>;
  }
  return (
    <div className="table-wrap">
      <table className="data" aria-label="API tokens" data-testid="api-tokens-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.data.map((t) => (
            <tr key={t.id} data-testid={`api-token-${t.id}`}>
              <td>{t.name}</td>
              <td className="small">
                <Time iso={t.created_at} />
              </td>
              <td className="small">
                <Time iso={t.last_used_at} fallback="never" />
              </td>
              <td>
                <Revoke token={t} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ApiTokens() {
  return (
    <section aria-labelledby="api-tokens-h" data-testid="api-tokens">
      <h2 id="api-tokens-h">API tokens</h2>
      <p>
        For <code>recce upload</code> in pipelines and scripts: store the token as the masked CI/CD variable{' '}
        <code>RECCE_SERVER_API_TOKEN</code>, then run <code>recce upload --server {window.location.origin}</code>. (A merge request pipeline
        of the connected project needs none: it signs in with its <code>CI_JOB_TOKEN</code>.)
      </p>
      <CreateToken />
      <TokenList />
    </section>
  );
}
