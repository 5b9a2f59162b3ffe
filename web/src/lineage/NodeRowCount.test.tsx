import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { NodeDetail, Run } from '../api/types';
import { calls, renderApp, serve } from '../test/api';
import { latestRowCount } from './latestRowCount';
import { NodePanel } from './NodePanel';

afterEach(() => vi.unstubAllGlobals());

const CUSTOMERS = { unique_id: 'model.shop.customers', name: 'customers' };
const rowCount = (id: string, run_at: string, node_ids: unknown, result: unknown, status: Run['status'] = 'Finished'): Run => ({
  run_id: id, type: 'row_count_diff', params: { node_ids }, status, result, run_at, name: `Row count ${id}`,
});

describe('latestRowCount', () => {
  it('takes the newest finished row_count_diff run whose node_ids include the node', () => {
    const runs: Run[] = [
      rowCount('running', '2026-11-02T12:00:00Z', [CUSTOMERS.unique_id], null, 'Running'),
      rowCount('failed', '2026-11-02T11:00:00Z', [CUSTOMERS.unique_id], null, 'Failed'),
      { ...rowCount('profile', '2026-11-02T10:30:00Z', [CUSTOMERS.unique_id], { customers: { base: 1, curr: 1 } }), type: 'profile_diff' },
      rowCount('other-node', '2026-11-02T10:20:00Z', ['model.shop.orders'], { customers: { base: 7, curr: 7 } }),
      rowCount('by-select', '2026-11-02T10:10:00Z', undefined, { customers: { base: 8, curr: 8 } }),
      rowCount('newest', '2026-11-02T10:00:00Z', [CUSTOMERS.unique_id, 'model.shop.orders'], { customers: { base: 100, curr: 112 }, orders: { base: 5, curr: 5 } }),
      rowCount('older', '2026-11-01T10:00:00Z', [CUSTOMERS.unique_id], { customers: { base: 90, curr: 90 } }),
    ];
    const latest = latestRowCount(runs, CUSTOMERS);
    expect(latest?.run.run_id).toBe('newest');
    expect(latest?.row).toMatchObject({ name: 'customers', base: 100, current: 112, delta: 12 });
    // The list order does not matter: the latest run_at wins.
    expect(latestRowCount([...runs].reverse(), CUSTOMERS)?.run.run_id).toBe('newest');
    expect(latestRowCount(runs, { unique_id: 'model.shop.payments', name: 'payments' })).toBeNull();
    expect(latestRowCount(undefined, CUSTOMERS)).toBeNull();
  });

  it('finds the node’s row by unique_id, by name or package.name, or as the only row of a one-node run', () => {
    const byId = rowCount('a', '2026-11-02T10:00:00Z', [CUSTOMERS.unique_id, 'model.other.customers'], {
      'shop.customers': { base: 1, curr: 2, unique_id: CUSTOMERS.unique_id },
      'other.customers': { base: 3, curr: 4, unique_id: 'model.other.customers' },
    });
    expect(latestRowCount([byId], CUSTOMERS)?.row.current).toBe(2);
    expect(latestRowCount([byId], { unique_id: 'model.other.customers', name: 'customers' })?.row.current).toBe(4);
    const byPackage = rowCount('b', '2026-11-02T10:00:00Z', [CUSTOMERS.unique_id], { 'shop.customers': { base: 5, curr: 6 }, 'x.customers': { base: 0, curr: 0 } });
    expect(latestRowCount([byPackage], CUSTOMERS)?.row.current).toBe(6);
    const only = rowCount('c', '2026-11-02T10:00:00Z', [CUSTOMERS.unique_id], { 'renamed': { base: 7, curr: null, curr_meta: { status: 'table_not_found' } } });
    expect(latestRowCount([only], CUSTOMERS)?.row).toMatchObject({ base: 7, current: null, currentStatus: 'table_not_found' });
    // A run without a count for the node is passed over for an older one that has it.
    const empty = rowCount('d', '2026-11-03T10:00:00Z', [CUSTOMERS.unique_id], {});
    expect(latestRowCount([empty, byPackage], CUSTOMERS)?.run.run_id).toBe('b');
  });
});

const NODE: NodeDetail = {
  unique_id: CUSTOMERS.unique_id, name: 'customers', resource_type: 'model', change: 'modified', reasons: ['code'],
  base: { code: 'select 1', columns: [] }, current: { code: 'select 1', columns: [] }, primary_key: null,
};
const nodePath = `GET /api/nodes/${encodeURIComponent(CUSTOMERS.unique_id)}`;

describe('the node panel’s earlier row counts', () => {
  it('shows the latest row counts of the node from earlier runs, without a new run', async () => {
    const fetch = serve({
      [nodePath]: [200, NODE],
      'GET /api/runs': [200, [rowCount('r1', '2026-11-02T10:00:00Z', [CUSTOMERS.unique_id], { customers: { base: 100, curr: 112 } })]],
    });
    renderApp(<NodePanel id={CUSTOMERS.unique_id} onClose={() => {}} runsDisabledReason="Review mode: no warehouse." />);
    const counts = await screen.findByTestId('node-row-count');
    expect(counts.textContent).toMatch(/^Rows: base 100 → current 112 \(\+12, \+12 %\) · counted .+ in “Row count r1”$/);
    expect(calls(fetch).filter((c) => c.startsWith('POST'))).toEqual([]);
  });

  it.each([
    ['no earlier run counted the node', [200, [rowCount('r1', '2026-11-02T10:00:00Z', ['model.shop.orders'], { orders: { base: 1, curr: 1 } })]]],
    ['runs cannot be listed', [409, { error: 'team mode' }]],
  ] as const)('shows nothing when %s', async (_, answer) => {
    const fetch = serve({ [nodePath]: [200, NODE], 'GET /api/runs': [...answer] });
    renderApp(<NodePanel id={CUSTOMERS.unique_id} onClose={() => {}} runsDisabledReason={null} />);
    await screen.findByRole('heading', { name: 'customers' });
    await waitFor(() => expect(calls(fetch)).toContain('GET /api/runs'));
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId('node-row-count')).toBeNull();
  });

  it('follows a Row count run from the panel once it ends', async () => {
    let listed: Run[] = [];
    const finished = rowCount('new', '2026-11-02T12:00:00Z', [CUSTOMERS.unique_id], { customers: { base: 100, curr: 90 } });
    serve({
      [nodePath]: [200, NODE],
      'GET /api/runs': () => [200, listed],
      'POST /api/runs': [202, { ...finished, status: 'Running', result: null }],
      'GET /api/runs/new': () => ((listed = [finished]), [200, finished]),
    });
    renderApp(<NodePanel id={CUSTOMERS.unique_id} onClose={() => {}} runsDisabledReason={null} />);
    const panel = await screen.findByTestId('node-panel');
    fireEvent.click(await within(panel).findByTestId('run-row_count_diff'));
    const counts = await screen.findByTestId('node-row-count', {}, { timeout: 3000 });
    expect(counts.textContent).toMatch(/^Rows: base 100 → current 90 \(-10, -10 %\)/);
    expect(screen.getByTestId('row-count-result')).toBeTruthy();
  });
});
