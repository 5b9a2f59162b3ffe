// Shown when the server asks for its token (it listens beyond 127.0.0.1).
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from './api/client';
import { ErrorMessage } from './components/status';

export function SignIn() {
  const qc = useQueryClient();
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api.login(token);
      setError(null);
      await qc.invalidateQueries();
    } catch (err) {
      setError(err);
    } finally {
      setToken('');
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>Sign in to Recce</h1>
      <p>This server asks for its access token (the value of RECCE_SERVER_TOKEN it was started with).</p>
      <form onSubmit={submit}>
        <label>
          Server token
          <input type="password" autoComplete="off" required value={token} onChange={(e) => setToken(e.target.value)} data-testid="server-token" />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          Sign in
        </button>
      </form>
      {error !== null && <ErrorMessage error={error} title="Not signed in" />}
    </main>
  );
}
