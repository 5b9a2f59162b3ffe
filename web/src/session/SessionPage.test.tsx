import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Route } from 'wouter';
import type { Check, Info, MergeRequestBrief, Session } from '../api/types';
import { calls, renderApp, serve } from '../test/api';
import { SessionPage } from './SessionPage';

afterEach(() => vi.unstubAllGlobals());

const MR: MergeRequestBrief = {
  title: 'Add customer segments', state: 'opened', draft: false, source_branch: 'feature/segments', target_branch: 'main', sha: 'abcdef0123456789',
  author: { username: 'ada' }, web_url: 'https://gitlab.com/data/analytics/-/merge_requests/12',
};
const SESSION: Session = {
  iid: 12, status: 'outdated', revision: 1, head_sha: 'abcdef0123456789', state_sha: '99887766aabbccdd', uploaded_at: '2026-11-02T09:00:00Z',
  uploaded_by: 'job 4242', pipeline_id: 777, artifacts_size: 10, summary: null, commit_status: null, updated_at: '2026-11-02T09:00:00Z',
  merge_request: MR,
};
const INFO = {
  mode: 'session', warehouse: { type: 'duckdb', available: true }, gitlab: { connected: true, mode: 'full' }, session: SESSION,
  lineage: { base: {}, current: {}, nodes: [], edges: [] },
} as unknown as Info;
const CHECK: Check = { check_id: 'c1', name: 'Row count of customers', type: 'row_count_diff', params: {}, is_checked: false, created_at: '', updated_at: '', comments: [] };

const renderSession = (path: string) => renderApp(<Route path="/mr/:iid" nest component={SessionPage} />, path);

describe('a merge request session', () => {
  it('shows the Checks screen against /api/mr/{iid}, under a header naming the merge request; approvals are queued as notes', async () => {
    const fetch = serve({
      'GET /api/mr/12': [200, SESSION],
      'GET /api/mr/12/info': [200, INFO],
      'GET /api/mr/12/checks': [200, [CHECK]],
      'POST /api/mr/12/checks/c1/approve': [200, { ...CHECK, is_checked: true, note: { posted: false, queued: true, job_id: 5 } }],
    });
    renderSession('/mr/12/checks');
    const header = await screen.findByTestId('session-header');
    await waitFor(() => expect(header.textContent).toContain('!12 Add customer segments'));
    expect(header.textContent).toContain('feature/segments → main by @ada');
    expect(header.textContent).toContain('head abcdef01 (the review is of 99887766)');
    expect(within(header).getByTestId('session-status-12').textContent).toBe('outdated');
    expect(within(header).getByTestId('session-hint').textContent).toContain('the next pipeline’s recce upload refreshes it');
    expect(within(header).getByRole('link', { name: /Open in GitLab/ }).getAttribute('href')).toBe(MR.web_url);
    expect(within(header).getByRole('link', { name: '← All merge requests' }).getAttribute('href')).toBe('/merge-requests');
    expect(within(header).getByRole('link', { name: 'Checks of !12' }).getAttribute('aria-current')).toBe('page');
    expect(within(header).getByRole('link', { name: 'Lineage of !12' }).getAttribute('href')).toBe('/mr/12/lineage');

    // The Checks screen is a lazy chunk: its first import is slow on a loaded machine.
    const detail = await screen.findByTestId('check-detail', {}, { timeout: 5000 });
    expect(within(screen.getByTestId('checklist')).getByRole('link').getAttribute('href')).toBe('/mr/12/checks/c1');
    fireEvent.click(within(detail).getByTestId('approve-check'));
    expect((await screen.findByTestId('note-status')).textContent).toBe('Will be posted on the merge request shortly (job 5 in the queue).');
    expect(calls(fetch)).toContain('POST /api/mr/12/checks/c1/approve');
    // The merge request comes with the session: no request for the list of merge requests.
    expect(calls(fetch).filter((c) => c.startsWith('GET /api/') && !c.startsWith('GET /api/mr/12'))).toEqual([]);
  }, 15_000);

  it('names !iid and the session’s facts when the session carries no merge request', async () => {
    const fetch = serve({
      'GET /api/mr/12': [200, { ...SESSION, merge_request: null }],
      'GET /api/mr/12/info': [200, INFO],
      'GET /api/mr/12/checks': [200, []],
    });
    renderSession('/mr/12/checks');
    const header = await screen.findByTestId('session-header');
    await waitFor(() => expect(within(header).getByTestId('session-head-sha').textContent).toBe('abcdef01'));
    expect(within(header).getByRole('heading', { level: 1 }).textContent).toBe('!12 outdated');
    expect(header.textContent).not.toContain('→');
    expect(within(header).queryByTestId('session-gitlab-link')).toBeNull();
    expect(within(header).getByRole('link', { name: 'Checks of !12' })).toBeTruthy();
    expect(calls(fetch).some((c) => c.includes('merge-requests'))).toBe(false);
  });

  it('tags a merge request that is no longer open', async () => {
    serve({
      'GET /api/mr/12': [200, { ...SESSION, merge_request: { ...MR, state: 'merged' } }],
      'GET /api/mr/12/info': [200, INFO],
      'GET /api/mr/12/checks': [200, []],
    });
    renderSession('/mr/12/checks');
    const header = await screen.findByTestId('session-header');
    await waitFor(() => expect(within(header).getByRole('heading', { level: 1 }).textContent).toContain('!12 Add customer segments'));
    expect(header.querySelector('.tag--mr-merged')?.textContent).toBe('merged');
  });

  it('says it waits for a pipeline instead of showing an empty review', async () => {
    const fetch = serve({
      'GET /api/mr/11': [200, { ...SESSION, iid: 11, status: 'waiting', revision: 0, state_sha: '', uploaded_at: null, uploaded_by: '' }],
    });
    renderSession('/mr/11');
    const waiting = await screen.findByTestId('session-waiting');
    expect(waiting.textContent).toContain('No pipeline has uploaded to !11 yet');
    expect(waiting.textContent).toContain('recce upload --server');
    expect(screen.getByTestId('session-status-11').textContent).toBe('waiting for a pipeline');
    expect(screen.queryByRole('navigation', { name: 'Review of !11' })).toBeNull();
    expect(calls(fetch).some((c) => c.includes('/api/mr/11/'))).toBe(false);
  });

  it('sends to Settings when GitLab is not connected, and refuses a number that is not one', async () => {
    serve({
      'GET /api/mr/12': [409, { error: 'GitLab is not connected', detail: { reason: 'not_connected' } }],
    });
    const { unmount } = renderSession('/mr/12');
    expect((await screen.findByTestId('empty')).textContent).toContain('GitLab is not connected');
    expect(screen.getByRole('link', { name: 'Connect your project in Settings' }).getAttribute('href')).toBe('/settings');
    unmount();
    renderSession('/mr/abc');
    expect(screen.getByTestId('empty').textContent).toContain('“abc” is not a merge request number');
  });
});
