import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { serve } from './test/api';

afterEach(() => {
  cleanup(); // unmounted first: a mounted app would redirect from '/' again
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const renderApp = () =>
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <App />
    </QueryClientProvider>,
  );

describe('a team server (no local review)', () => {
  it('starts from the merge requests, without the local Lineage, Query and Checks, nor posting a summary by hand', async () => {
    serve({
      'GET /api/info': [200, { mode: 'team', warehouse: null, lineage: null, gitlab: { connected: true, mode: 'full' } }],
      'GET /api/integrations/gitlab': [200, { connected: true, mode: 'full', project: { path: 'data/analytics' } }],
      'GET /api/integrations/gitlab/merge-requests?state=opened': [
        200,
        [{ iid: 4, title: 'MR 4', state: 'opened', source_branch: 'b', target_branch: 'main', web_url: 'https://x/4', updated_at: '2026-11-02T10:00:00Z', session: { status: 'up_to_date' } }],
      ],
    });
    window.history.replaceState(null, '', '/lineage');
    renderApp();
    const row = await screen.findByTestId('mr-4');
    expect(window.location.pathname).toBe('/merge-requests');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getAllByRole('link').map((a) => a.textContent)).toEqual(['Merge requests', 'Settings']);
    expect(screen.getByTestId('project').textContent).toBe('team server');
    expect(within(row).getByTestId('mr-open-4')).toBeTruthy();
    expect(within(row).queryByTestId('post-summary-4')).toBeNull();
  });

  it('keeps the local review on other servers', async () => {
    serve({
      'GET /api/info': [200, { mode: 'demo', warehouse: { type: 'duckdb', available: true }, lineage: { base: { project_name: 'recce_demo' }, current: { project_name: 'recce_demo' }, nodes: [], edges: [] }, gitlab: { connected: false, mode: 'none' } }],
    });
    renderApp();
    expect((await screen.findByTestId('project')).textContent).toBe('recce_demo · demo');
    await waitFor(() => expect(window.location.pathname).toBe('/lineage'));
    expect(within(screen.getByRole('navigation', { name: 'Main' })).getAllByRole('link').map((a) => a.textContent)).toEqual([
      'Lineage', 'Query', 'Checks', 'Summary', 'Merge requests', 'Settings',
    ]);
  });
});
