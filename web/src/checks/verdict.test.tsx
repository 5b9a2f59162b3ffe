import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Check, Outcome, Run } from '../api/types';
import { renderApp, serve } from '../test/api';
import { ChecksPage } from './ChecksPage';
import { verdictOf } from './verdict';

afterEach(() => vi.unstubAllGlobals());

const run = (status: Run['status'], error?: string): Run => ({ run_id: 'r', type: 'row_count_diff', params: {}, status, result: null, error, run_at: '' });
const check = (id: string, outcome: Outcome | null, extra: Partial<Check> = {}): Check => ({
  check_id: id, name: id, type: 'row_count_diff', params: {}, is_checked: false, created_at: '', updated_at: '', comments: [], outcome, ...extra,
});

describe('verdictOf', () => {
  it('says what the server assessed, as the CLI words it', () => {
    expect(verdictOf(check('a', { verdict: 'mismatch', reason: 'row counts differ in 1 of 3 models', nodes: ['orders'] }))).toMatchObject({
      kind: 'mismatch', label: 'mismatch', mark: '✗', reason: 'row counts differ in 1 of 3 models',
    });
    expect(verdictOf(check('a', { verdict: 'clean', reason: 'same row counts in 3 models' }))).toMatchObject({ kind: 'clean', mark: '✓' });
    expect(verdictOf(check('a', { verdict: 'incomplete', reason: 'model "nope" is not in the current manifest' }))).toMatchObject({
      kind: 'incomplete', label: 'incomplete', reason: 'model "nope" is not in the current manifest',
    });
    expect(verdictOf(check('a', { verdict: 'incomplete', reason: 'not run' }))).toMatchObject({ kind: 'not_run', label: 'not run', reason: null });
    expect(verdictOf(check('a', { verdict: 'info', reason: '1 added, 0 removed, 3 modified; 4 impacted downstream' }))).toMatchObject({ kind: 'info' });
  });

  it('follows a run in progress, and gives notes no verdict', () => {
    expect(verdictOf(check('a', { verdict: 'clean', reason: '' }, { last_run: run('Running') }))?.kind).toBe('running');
    expect(verdictOf(check('n', { verdict: 'info', reason: 'note' }, { type: 'simple' }))).toBeNull();
  });

  it('reads the run when the server sends no outcome (an older server)', () => {
    expect(verdictOf(check('a', null))?.kind).toBe('not_run');
    expect(verdictOf(check('a', null, { last_run: run('Failed', 'Binder Error: column x\nLINE 1') }))).toMatchObject({ kind: 'incomplete', reason: 'Binder Error: column x' });
    expect(verdictOf(check('a', null, { last_run: run('Cancelled') }))).toMatchObject({ kind: 'incomplete', reason: 'cancelled' });
    expect(verdictOf(check('a', null, { last_run: run('Finished') }))?.kind).toBe('finished');
  });
});

describe('the checklist shows verdicts', () => {
  it('in the list (incomplete and mismatch with their reason, approved) and in the detail', async () => {
    serve({
      'GET /api/info': [200, { mode: 'live', warehouse: { type: 'duckdb', available: true }, lineage: null }],
      'GET /api/checks': [
        200,
        [
          check('rows', { verdict: 'mismatch', reason: 'row counts differ in 1 of 3 models' }, { name: 'Row counts', last_run: run('Finished') }),
          check('schema', { verdict: 'clean', reason: 'no column changed in 4 selected nodes' }, { name: 'Schema', type: 'schema_diff', is_checked: true }),
          check('values', { verdict: 'incomplete', reason: 'no primary key for orders' }, { name: 'Values', type: 'value_diff', last_run: run('Failed', 'no primary key for orders') }),
          check('profile', { verdict: 'incomplete', reason: 'not run' }, { name: 'Profile', type: 'profile_diff' }),
        ],
      ],
      'GET /api/runs/r': [200, run('Finished')],
    });
    renderApp(<ChecksPage />, '/');
    const list = await screen.findByTestId('checklist');
    const item = (id: string) => within(list).getByTestId(`check-item-${id}`);
    const badge = (id: string) => within(item(id)).getByTestId('verdict');
    expect(badge('rows').textContent).toBe('✗ mismatch');
    expect(item('rows').textContent).toContain('Row count diff · row counts differ in 1 of 3 models');
    expect(badge('schema').textContent).toBe('✓ clean');
    expect(item('schema').textContent).toContain('approved');
    expect(badge('values').textContent).toBe('! incomplete');
    expect(item('values').textContent).toContain('Value diff · no primary key for orders');
    expect(badge('profile').textContent).toBe('○ not run');
    expect(item('profile').textContent).not.toContain('approved');

    // The first check opens: its verdict with the reason.
    const detail = await screen.findByTestId('check-detail');
    await waitFor(() => expect(within(detail).getByTestId('check-verdict').textContent).toBe('✗ mismatchrow counts differ in 1 of 3 models'));
  });
});
