import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GitLabSettings } from './GitLabSettings';

const TOKEN = 'glpat-secret-value-123';

function serve(routes: Record<string, [number, unknown?]>) {
  const fetch = vi.fn(async (path: string, init?: RequestInit) => {
    const [status, body] = routes[`${init?.method ?? 'GET'} ${path}`] ?? [404, { error: 'no route' }];
    return new Response(body === undefined ? null : JSON.stringify(body), { status });
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

function renderSettings() {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={qc}>
      <GitLabSettings />
    </QueryClientProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('GitLab settings', () => {
  it('shows the checks, hints and a new-token link of a refused token, and never shows the token', async () => {
    const fetch = serve({
      'GET /api/integrations/gitlab': [200, { connected: false }],
      'PUT /api/integrations/gitlab': [
        422,
        {
          error: 'The token cannot be used: see the failed checks.',
          detail: {
            mode: 'none',
            token: { name: 'old', scopes: ['read_api'], expires_at: '2026-01-31', days_left: -3 },
            checks: [{ name: 'token_active', ok: false, severity: 'error', message: 'The token expired on 2026-01-31.', hint: 'Create a new token with the api scope.' }],
          },
        },
      ],
    });
    const { container } = renderSettings();
    const token = (await screen.findByLabelText('Personal access token')) as HTMLInputElement;
    expect(token.type).toBe('password');
    expect((screen.getByLabelText('GitLab URL') as HTMLInputElement).value).toBe('https://gitlab.com');
    fireEvent.change(token, { target: { value: TOKEN } });
    fireEvent.change(screen.getByLabelText('Project'), { target: { value: 'data/analytics' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));

    expect(await screen.findByText('The token expired on 2026-01-31.')).toBeTruthy();
    expect(screen.getByText('Create a new token with the api scope.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Create a new token' }).getAttribute('href')).toBe(
      'https://gitlab.com/-/user_settings/personal_access_tokens',
    );
    expect(screen.getByTestId('scope-row-read_api').getAttribute('aria-current')).toBe('true');
    expect(screen.getByTestId('gitlab-mode').textContent).toContain('Not usable');
    expect(JSON.parse(fetch.mock.calls[1][1]!.body as string)).toEqual({ gitlab_url: 'https://gitlab.com', token: TOKEN, project: 'data/analytics' });
    // Write-only: the field is emptied and the token appears nowhere on the page.
    expect(token.value).toBe('');
    expect(container.innerHTML).not.toContain(TOKEN);
  });

  it('shows a read-only connection with its row highlighted, then offers Replace token and Disconnect', async () => {
    serve({
      'GET /api/integrations/gitlab': [
        200,
        {
          connected: true,
          mode: 'read_only',
          gitlab_url: 'https://gitlab.example.com',
          project: { id: 42, path: 'data/analytics', access_level: 40, role: 'maintainer' },
          user: { id: 7, username: 'recce-bot' },
          token: { name: 'Recce Integration', scopes: ['read_api'], expires_at: '2027-01-31', days_left: 68 },
          checks: [{ name: 'token_scope', ok: false, severity: 'warning', message: 'read_api only', hint: 'Use api.' }],
        },
      ],
    });
    renderSettings();
    expect((await screen.findByTestId('gitlab-mode')).textContent).toContain('summaries and notes will not be posted');
    expect(screen.getByTestId('gitlab-token-name').textContent).toBe('Recce Integration (read_api), expires on 2027-01-31 (68 days left)');
    expect(screen.getByTestId('gitlab-role').textContent).toBe('Maintainer');
    expect(screen.getByTestId('scope-row-read_api').getAttribute('aria-current')).toBe('true');
    expect(screen.getByRole('link', { name: 'Create a new token' }).getAttribute('href')).toBe(
      'https://gitlab.example.com/-/user_settings/personal_access_tokens',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Replace token' }));
    await waitFor(() => expect((screen.getByLabelText('Project') as HTMLInputElement).value).toBe('data/analytics'));
    expect((screen.getByLabelText('Personal access token') as HTMLInputElement).value).toBe('');
  });
  it('disconnects, and says where to remove a webhook GitLab would not delete', async () => {
    let connected = true;
    const fetch = vi.fn(async (path: string, init?: RequestInit) => {
      const key = `${init?.method ?? 'GET'} ${path}`;
      if (key === 'DELETE /api/integrations/gitlab') {
        connected = false;
        return Response.json({
          disconnected: true,
          webhook: { id: 5, deleted: false, error: 'the token was revoked', settings_url: 'https://gitlab.example.com/data/analytics/-/hooks' },
        });
      }
      if (key === 'GET /api/integrations/gitlab')
        return Response.json(
          connected
            ? {
                connected: true,
                mode: 'full',
                gitlab_url: 'https://gitlab.example.com',
                project: { id: 42, path: 'data/analytics', access_level: 40, role: 'maintainer' },
                user: { id: 7, username: 'recce-bot' },
                token: { name: 'Recce Integration', scopes: ['api'], expires_at: '2027-01-31', days_left: 68 },
                checks: [],
                webhook: { url: 'https://recce.example.com/api/integrations/gitlab/webhook', configured: true },
              }
            : { connected: false },
        );
      return Response.json({ error: 'no route' }, { status: 404 });
    });
    vi.stubGlobal('fetch', fetch);
    renderSettings();
    fireEvent.click(await screen.findByTestId('gitlab-disconnect'));
    expect(screen.getByRole('group', { name: 'Confirm disconnect' }).textContent).toContain('and the project webhook in GitLab');
    fireEvent.click(screen.getByRole('button', { name: 'Yes, disconnect' }));
    const left = await screen.findByTestId('gitlab-webhook-left');
    expect(left.textContent).toContain('webhook 5 could not be deleted in GitLab (the token was revoked)');
    expect(screen.getByRole('link', { name: 'remove it in the project’s webhook settings' }).getAttribute('href')).toBe(
      'https://gitlab.example.com/data/analytics/-/hooks',
    );
    expect(await screen.findByLabelText('Personal access token')).toBeTruthy();
  });
});
