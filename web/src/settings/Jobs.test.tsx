import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { vi } from 'vitest';
import type { Job } from '../api/types';
import { calls, renderApp, serve } from '../test/api';
import { Jobs } from './Jobs';

afterEach(() => vi.unstubAllGlobals());

const soon = new Date(Date.now() + 60_000).toISOString();
const JOBS: Job[] = [
  { id: 3, kind: 'summary', state: 'dead', attempts: 8, max_attempts: 8, run_after: soon, last_error: 'GitLab answered 403 Forbidden', dedupe_key: 'summary:42:14', created_at: soon, finished_at: soon },
  { id: 2, kind: 'note', state: 'pending', attempts: 2, max_attempts: 8, run_after: soon, last_error: 'GitLab answered 502', created_at: soon, finished_at: null },
];

describe('Settings > Jobs', () => {
  it('lists the jobs with their merge request, attempts, next try and error; Retry only for dead ones', async () => {
    const fetch = serve({ 'GET /api/jobs': [200, JOBS], 'POST /api/jobs/3/retry': [204] });
    renderApp(<Jobs />);
    const table = await screen.findByTestId('jobs-table');
    const dead = within(table).getByTestId('job-3');
    expect(dead.textContent).toContain('Summary note and commit status');
    expect(within(dead).getByRole('link', { name: '!14' }).getAttribute('href')).toBe('/mr/14');
    expect(dead.textContent).toContain('8 of 8');
    expect(dead.textContent).toContain('GitLab answered 403 Forbidden');
    const pending = within(table).getByTestId('job-2');
    expect(pending.textContent).toContain('Review note');
    expect(pending.textContent).toMatch(/in (1 minute|60 seconds)/);
    expect(within(pending).queryByRole('button')).toBeNull();

    fireEvent.click(within(dead).getByRole('button', { name: 'Retry job 3' }));
    await waitFor(() => expect(calls(fetch)).toContain('POST /api/jobs/3/retry'));
    // The list is fetched again after the retry.
    await waitFor(() => expect(calls(fetch).filter((c) => c === 'GET /api/jobs')).toHaveLength(2));
  });

  it('filters by state, and says when there is no job', async () => {
    const fetch = serve({ 'GET /api/jobs': [200, []], 'GET /api/jobs?state=dead': [200, []] });
    renderApp(<Jobs />);
    expect((await screen.findByTestId('empty')).textContent).toMatch(/^No job yet/);
    fireEvent.change(screen.getByLabelText('State'), { target: { value: 'dead' } });
    await waitFor(() => expect(screen.getByTestId('empty').textContent).toMatch(/^No dead job/));
    expect(calls(fetch)).toContain('GET /api/jobs?state=dead');
  });

  it('shows loading, then the server’s error with a way to try again', async () => {
    serve({ 'GET /api/jobs': [500, { error: 'the store cannot be read: disk full' }] });
    renderApp(<Jobs />);
    expect(screen.getByTestId('loading')).toBeTruthy();
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('the store cannot be read: disk full');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });

  it('says what a failed retry answered', async () => {
    serve({ 'GET /api/jobs': [200, [JOBS[0]]], 'POST /api/jobs/3/retry': [409, { error: 'job 3 is pending, not dead: nothing to retry' }] });
    renderApp(<Jobs />);
    fireEvent.click(await screen.findByRole('button', { name: 'Retry job 3' }));
    expect((await screen.findByRole('alert')).textContent).toContain('job 3 is pending, not dead');
  });
});
