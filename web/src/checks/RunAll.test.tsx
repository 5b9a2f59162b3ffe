import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reviewApi, sessionBase } from '../api/client';
import { runAllDisabledReason } from '../api/hooks';
import { ReviewProvider } from '../api/review';
import type { Check, Info } from '../api/types';
import { calls, renderApp, serve } from '../test/api';
import { RunAll } from './RunAll';

afterEach(() => vi.unstubAllGlobals());

const check = (id: string, type: Check['type'], running = false): Check => ({
  check_id: id, name: id, type, params: {}, is_checked: false, created_at: '', updated_at: '',
  last_run: running ? { run_id: `r-${id}`, type, params: {}, status: 'Running', result: null, run_at: '' } : null,
});
const live = { mode: 'session', warehouse: { type: 'duckdb', available: true } } as Info;
const run = (id: string) => [202, { run_id: `r-${id}`, check_id: id, type: 'row_count_diff', params: {}, status: 'Running', result: null, run_at: '' }] as [number, unknown];

describe('Run all checks', () => {
  it('runs every check that is not a note and not running already, in the review of the context', async () => {
    const fetch = serve({
      'GET /api/mr/7/info': [200, live],
      'POST /api/mr/7/checks/a/run': run('a'),
      'POST /api/mr/7/checks/b/run': [409, { error: 'the model customers is not in the current manifest' }],
      'GET /api/mr/7/checks': [200, []],
    });
    const checks = [check('a', 'row_count_diff'), check('note', 'simple'), check('b', 'value_diff'), check('c', 'profile_diff', true)];
    renderApp(
      <ReviewProvider review={reviewApi(sessionBase(7))}>
        <RunAll checks={checks} />
      </ReviewProvider>,
    );
    const button = screen.getByTestId('run-all-checks') as HTMLButtonElement;
    await waitFor(() => expect(button.disabled).toBe(false));
    fireEvent.click(button);
    expect((await screen.findByRole('status')).textContent).toBe('Started 1 run. 1 could not start:');
    expect(screen.getByRole('alert').textContent).toContain('the model customers is not in the current manifest');
    expect(calls(fetch).filter((c) => c.startsWith('POST'))).toEqual(['POST /api/mr/7/checks/a/run', 'POST /api/mr/7/checks/b/run']);
  });

  it('is disabled with the reason in review mode, or when there is nothing to run', () => {
    const review = { mode: 'review', warehouse: null } as Info;
    expect(runAllDisabledReason(review, [check('a', 'row_count_diff')])).toMatch(/^Review mode: there is no warehouse/);
    expect(runAllDisabledReason(live, [check('n', 'simple')])).toBe('The checklist holds only notes: there is nothing to run.');
    expect(runAllDisabledReason(live, [check('a', 'row_count_diff', true)])).toBe('Every check is running already.');
    expect(runAllDisabledReason(live, [check('a', 'row_count_diff')])).toBeNull();
  });

  it('names the reason next to the disabled button', async () => {
    serve({ 'GET /api/info': [200, { mode: 'review', warehouse: null }] });
    renderApp(<RunAll checks={[check('a', 'row_count_diff')]} />);
    const reason = await screen.findByTestId('disabled-reason');
    const button = screen.getByRole('button', { name: 'Run all checks' }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.getAttribute('aria-describedby')).toBe(reason.id);
  });
});
