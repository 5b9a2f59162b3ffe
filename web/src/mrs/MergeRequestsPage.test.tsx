import { screen, within } from '@testing-library/react';
import { App } from '../App';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MergeRequest } from '../api/types';
import { renderApp, serve } from '../test/api';
import { MergeRequestsPage } from './MergeRequestsPage';

afterEach(() => vi.unstubAllGlobals());

const mr = (iid: number, session: MergeRequest['session'], summary: MergeRequest['summary'] = null): MergeRequest => ({
  iid, title: `MR ${iid}`, state: 'opened', source_branch: `b${iid}`, target_branch: 'main', web_url: `https://gitlab.com/p/-/merge_requests/${iid}`,
  updated_at: new Date().toISOString(), summary, session,
});

describe('Merge requests', () => {
  it('shows each session status with what it means, the summary note, and Open review', async () => {
    serve({
      'GET /api/integrations/gitlab': [200, { connected: true, mode: 'full', project: { path: 'data/analytics' } }],
      'GET /api/integrations/gitlab/merge-requests?state=opened': [
        200,
        [
          mr(3, { status: 'outdated', revision: 2, updated_at: new Date().toISOString() }, { note_id: 5, url: 'https://gitlab.com/p/-/merge_requests/3#note_5', posted_at: new Date().toISOString(), status: 'failed' }),
          mr(4, { status: 'waiting', revision: 0, updated_at: null }),
          mr(5, null),
        ],
      ],
    });
    renderApp(<MergeRequestsPage />);
    const row = await screen.findByTestId('mr-3');
    const badge = within(row).getByTestId('session-status-3');
    expect(badge.textContent).toBe('outdated');
    expect(badge.className).toContain('status--warn');
    expect(row.textContent).toContain('New commits since the last upload; the next pipeline’s recce upload refreshes it.');
    expect(within(row).getByRole('link', { name: 'posted' }).getAttribute('href')).toBe('https://gitlab.com/p/-/merge_requests/3#note_5');
    expect(within(row).getByRole('link', { name: 'Open the review of !3' }).getAttribute('href')).toBe('/mr/3');
    expect(within(row).getByTestId('mr-open-3')).toBeTruthy();
    expect(screen.getByTestId('session-status-4').textContent).toBe('waiting for a pipeline');
    expect(within(screen.getByTestId('mr-4')).getByTestId('mr-summary-4').textContent).toBe('not posted');
    expect(screen.getByTestId('session-status-5').textContent).toBe('waiting for a pipeline'); // no session yet
    // Only the post-summary answer may be a status in a row (the browser test reads it).
    expect(within(row).queryByRole('status')).toBeNull();
  });

  it('says once that the stored token cannot be used: in the banner, not again above the list', async () => {
    const conn = { connected: true, mode: 'none', project: { path: 'data/analytics' } };
    serve({
      'GET /api/info': [200, { mode: 'demo', warehouse: { type: 'duckdb', available: true }, lineage: null, gitlab: { connected: true, mode: 'none' } }],
      'GET /api/integrations/gitlab': [200, conn],
      'GET /api/integrations/gitlab/merge-requests?state=opened': [200, [mr(3, null)]],
    });
    renderApp(<App />, '/merge-requests');
    const button = await screen.findByTestId('post-summary-3');
    expect(screen.getByTestId('gitlab-unusable-banner').textContent).toMatch(/can no longer be used/);
    const visible = document.body.textContent!.replace(document.getElementById(button.getAttribute('aria-describedby')!)!.textContent!, '');
    expect(visible.match(/cannot be used|can no longer be used/g)).toHaveLength(1);
    // The disabled button still says why to assistive technology.
    expect(document.getElementById(button.getAttribute('aria-describedby')!)!.textContent).toBe('The GitLab token cannot be used: see Settings.');
  });
});
