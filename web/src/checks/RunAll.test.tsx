import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reviewApi, sessionBase } from '../api/client';
import { ReviewProvider } from '../api/review';
import type { Check, Info } from '../api/types';
import { calls, renderApp, serve } from '../test/api';
import { planRunAll, skippedMessage } from './plan';
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

  it('is disabled with the reason when nothing can run: only data checks without a warehouse, only notes, all running', () => {
    const review = { mode: 'review', warehouse: null } as Info;
    const reason = (info: Info | undefined, checks: Check[]) => planRunAll(info, checks).disabledReason;
    expect(reason(review, [check('a', 'row_count_diff'), check('n', 'simple')])).toMatch(/^Review mode: there is no warehouse/);
    expect(reason(live, [check('n', 'simple')])).toBe('The checklist holds only notes: there is nothing to run.');
    expect(reason(review, [check('n', 'simple')])).toBe('The checklist holds only notes: there is nothing to run.');
    expect(reason(live, [check('a', 'row_count_diff', true)])).toBe('Every check is running already.');
    expect(reason(review, [check('l', 'lineage_diff', true), check('a', 'row_count_diff')])).toMatch(
      /^Every check that needs no warehouse is running already, and the data checks cannot run: Review mode/,
    );
    expect(reason(undefined, [check('a', 'row_count_diff')])).toBe('Loading the server information…');
    expect(reason(live, [check('a', 'row_count_diff')])).toBeNull();
  });

  it('runs everything but notes and running checks with a warehouse', () => {
    const checks = [check('l', 'lineage_diff'), check('a', 'row_count_diff'), check('n', 'simple'), check('v', 'value_diff', true)];
    const plan = planRunAll(live, checks);
    expect(plan.run.map((c) => c.check_id)).toEqual(['l', 'a']);
    expect(plan.skipped).toEqual([]);
    expect(plan.skippedReason).toBeNull();
  });

  it('without a warehouse, runs the lineage and schema diffs and skips the data checks with the reason', () => {
    const checks = [
      check('l', 'lineage_diff'), check('a', 'row_count_diff'), check('n', 'simple'), check('s', 'schema_diff'),
      check('v', 'value_diff'), check('p', 'profile_diff'), check('s2', 'schema_diff', true),
    ];
    const review = planRunAll({ mode: 'review', warehouse: null } as Info, checks);
    expect(review.disabledReason).toBeNull();
    expect(review.run.map((c) => c.check_id)).toEqual(['l', 's']);
    expect(review.skipped.map((c) => c.check_id)).toEqual(['a', 'v', 'p']);
    expect(review.skippedReason).toBe('3 data checks skipped: Review mode: there is no warehouse connection, so data diffs and queries cannot run.');

    // A session on a server without a warehouse: its reason, which says so itself.
    const why = 'this recce server has no warehouse connection: checks that query data cannot run here';
    const session = planRunAll({ mode: 'session', warehouse: { type: '', available: false, error: why } } as Info, checks);
    expect(session.skippedReason).toBe(`3 data checks skipped: ${why}`);
    // A warehouse that could not be opened.
    const down = planRunAll({ mode: 'live', warehouse: { type: 'duckdb', available: false } } as Info, [check('s', 'schema_diff'), check('a', 'row_count_diff')]);
    expect(down.run.map((c) => c.check_id)).toEqual(['s']);
    expect(down.skippedReason).toMatch(/^1 data check skipped: no warehouse connection: The duckdb warehouse is not available/);
    // Nothing to skip.
    expect(planRunAll({ mode: 'review', warehouse: null } as Info, [check('s', 'schema_diff')]).skippedReason).toBeNull();
  });

  it('says how many data checks are skipped and why', () => {
    expect(skippedMessage(3, 'profiles.yml has no target dev')).toBe('3 data checks skipped: no warehouse connection: profiles.yml has no target dev');
    expect(skippedMessage(1, 'there is no warehouse')).toBe('1 data check skipped: there is no warehouse');
  });

  it('in review mode, runs the checks that need no warehouse and shows the skipped ones with the reason', async () => {
    const fetch = serve({
      'GET /api/info': [200, { mode: 'review', warehouse: null }],
      'POST /api/checks/l/run': run('l'),
      'POST /api/checks/s/run': run('s'),
      'GET /api/checks': [200, []],
    });
    const checks = [check('l', 'lineage_diff'), check('a', 'row_count_diff'), check('n', 'simple'), check('s', 'schema_diff'), check('v', 'value_diff')];
    renderApp(<RunAll checks={checks} />);
    const button = screen.getByRole('button', { name: 'Run all checks' }) as HTMLButtonElement;
    const note = await screen.findByTestId('run-all-skipped');
    expect(note.textContent).toBe('2 data checks skipped: Review mode: there is no warehouse connection, so data diffs and queries cannot run.');
    expect(button.disabled).toBe(false);
    expect(button.getAttribute('aria-describedby')).toBe(note.id);
    expect(screen.queryByTestId('disabled-reason')).toBeNull();
    fireEvent.click(button);
    expect((await screen.findByRole('status')).textContent).toBe(
      'Started 2 runs. 2 data checks skipped: Review mode: there is no warehouse connection, so data diffs and queries cannot run.',
    );
    expect(calls(fetch).filter((c) => c.startsWith('POST'))).toEqual(['POST /api/checks/l/run', 'POST /api/checks/s/run']);
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
