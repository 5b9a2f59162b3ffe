import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorMessage } from '../components/status';
import { GitLabSettings } from '../settings/GitLabSettings';
import { serve } from '../test/api';
import { forTheWeb } from './words';

afterEach(() => vi.unstubAllGlobals());

// The server's messages as internal/diff, internal/gitlab and internal/server word them for the CLI.
const SERVER = {
  added: 'model "customer_cohorts" is not in the base manifest (it is added by this change): there is nothing to compare it with; use `recce query` to look at it',
  removed: 'model "legacy_order_summary" is not in the current manifest (it is removed by this change): there is nothing to compare it with; use `recce query --base` to look at it',
  noKey: 'no primary key for orders: pass --primary-key COLUMN[,COLUMN], or declare one in the project (primary_key or a unique_key config, or unique and not_null tests on a column)',
  notUnique: 'primary key (status) is not unique and not null in base: 3 offending key values, e.g. completed; pass the columns that identify a row with --primary-key',
  unreachableHint: 'check the URL (--gitlab-url, or CI_SERVER_URL in CI) and the network: proxy, VPN, firewall',
  unauthorizedHint: 'copy the token again (it is shown only once), or create one at https://gitlab.com/-/user_settings/personal_access_tokens with the api scope; check --gitlab-url',
  projectHint: 'check --project / CI_PROJECT_ID (numeric id or full group/project path); if it is right, ask a project Owner to add recce-bot as a Maintainer',
  noProject: 'pass --project with the numeric id or the group/project path, or run in a GitLab CI job (CI_PROJECT_ID)',
  tls: 'if your instance uses a private certificate authority, pass its CA bundle with --gitlab-ca-file',
  expiry: 'create a replacement token at https://gitlab.com/-/user_settings/personal_access_tokens before then and update RECCE_GITLAB_TOKEN (or run recce gitlab connect again)',
  noMR: "this review is not tied to a merge request of data/analytics (open the merge request's session, or start the server with --review on a merge request pipeline's state file), so there is nowhere to post",
};

describe('words for the web', () => {
  it.each(Object.entries(SERVER))('%s: names what to do in the app, no CLI flag or command', (_, message) => {
    const text = forTheWeb(message);
    expect(text).not.toMatch(/ --[a-z]|`recce |RECCE_|CI_PROJECT_ID|recce gitlab/);
    expect(text.length).toBeGreaterThan(20);
  });

  it('keeps what the message says and replaces only the instruction', () => {
    expect(forTheWeb(SERVER.removed)).toBe(
      'model "legacy_order_summary" is not in the current manifest (it is removed by this change): there is nothing to compare it with; look at it on the Query screen, with Run on: Base',
    );
    expect(forTheWeb(SERVER.noKey)).toMatch(/^no primary key for orders: enter the primary key column\(s\) in the Primary key field, or declare one/);
    expect(forTheWeb(SERVER.unreachableHint)).toBe('check the GitLab URL field and the network: proxy, VPN, firewall');
    expect(forTheWeb('the query failed: Binder Error')).toBe('the query failed: Binder Error');
  });

  it('is what an error shows in the app', () => {
    render(<ErrorMessage error={new Error(SERVER.added)} title="The run failed" />);
    expect(screen.getByRole('alert').textContent).toBe(
      'The run failed: model "customer_cohorts" is not in the base manifest (it is added by this change): there is nothing to compare it with; look at it on the Query screen',
    );
  });
});

describe('a GitLab connection error', () => {
  it('is shown once, with what to fix in the form, not three times', async () => {
    const message = 'cannot reach https://gitlab.example.com: no such host';
    serve({
      'GET /api/integrations/gitlab': [200, { connected: false }],
      'PUT /api/integrations/gitlab': [
        422,
        {
          error: `not connected, nothing was stored: ${message}: ${SERVER.unreachableHint}`,
          detail: { mode: 'none', token: null, user: null, project: null, checks: [{ name: 'gitlab_url', ok: false, severity: 'error', message, hint: SERVER.unreachableHint }] },
        },
      ],
    });
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const { container } = render(
      <QueryClientProvider client={client}>
        <GitLabSettings />
      </QueryClientProvider>,
    );
    fireEvent.change(await screen.findByLabelText('GitLab URL'), { target: { value: 'https://gitlab.example.com' } });
    fireEvent.change(screen.getByLabelText('Personal access token'), { target: { value: 'glpat-abcdefghijklmnop' } });
    fireEvent.change(screen.getByLabelText('Project'), { target: { value: 'data/analytics' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await screen.findByTestId('gitlab-result');
    const text = container.textContent ?? '';
    expect(text.split('cannot reach').length - 1).toBe(1);
    expect(text.split('check the GitLab URL field').length - 1).toBe(1);
    expect(text).not.toContain('--gitlab-url');
    expect(text).not.toContain('This token cannot be used');
    expect(screen.getByTestId('gitlab-mode').textContent).toContain('GitLab could not be reached at this URL');
    expect(screen.getByRole('alert').textContent).toBe('Not connected: nothing was stored. Fix what the failed check below says, then connect again.');
    // Not the token's fault: no new-token link, no scope table.
    expect(screen.queryByRole('link', { name: 'Create a new token' })).toBeNull();
    expect(screen.queryByTestId('scope-table')).toBeNull();
  });
});
