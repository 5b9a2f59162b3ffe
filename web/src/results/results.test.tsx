// The result views of issue 13: histogram, value diff drill-down, export,
// formatting, schema types and what impacts a node.
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Lineage, LineageNode, Run } from '../api/types';
import { calls, renderApp, serve } from '../test/api';
import { adaptValueDetail } from './adapters/valueDetail';
import { DataTable } from './DataTable';
import { HistogramResult } from './DistributionResults';
import { toDelimited } from './export';
import { ExportButtons } from './Export';
import { profileDiff } from '../__fixtures__/results';
import { ProfileResult } from './ProfileResult';
import { RowCountResult } from './RowCountResult';
import { LineageDiffResult, SchemaDiffResult } from './SchemaDiffResult';
import { DETAIL_PAGE, ValueDetailTable } from './ValueDetail';
import { ValueDiffResult } from './ValueDiffResult';

afterEach(() => vi.unstubAllGlobals());

const LIVE = { mode: 'live', warehouse: { type: 'duckdb', available: true }, lineage: null };

// What our server stores for value_diff_detail (check.ValueDiffDetailResult):
// key, compared columns, in_a / in_b; a modified key as base row then current row.
const cols = [
  { name: 'order_id', type: 'integer' },
  { name: 'order_date', type: 'date' },
  { name: 'amount', type: 'number' },
  { name: 'status', type: 'text' },
  { name: 'in_a', type: 'boolean' },
  { name: 'in_b', type: 'boolean' },
];
function detailResult(modified: number) {
  const data: unknown[][] = [];
  for (let i = 1; i <= modified; i++) {
    data.push([i, '2025-03-10T00:00:00Z', 10 + i, 'completed', true, false]);
    data.push([i, '2025-03-10T00:00:00Z', 20 + i, 'completed', false, true]);
  }
  data.push([5000, '2025-01-03T00:00:00Z', 1234.5, 'return_pending', true, false]); // removed
  data.push([5001, '2025-01-04T00:00:00Z', 99, 'completed', false, true]); // added
  return { columns: cols, data, limit: 1000, more: false, model: 'orders', primary_key: ['order_id'] };
}

describe('histogram', () => {
  const result = {
    type: 'date',
    base: { counts: [10, 20, 0], total: 30 },
    current: { counts: [12, 18, 5], total: 35 },
    bin_edges: ['2024-01-01T00:00:00Z', '2024-01-16T00:00:00Z', '2024-01-31T00:00:00Z', '2024-02-15T00:00:00Z'],
    labels: ['2024-01-01 - 2024-01-16', '2024-01-16 - 2024-01-31', '2024-01-31 - 2024-02-15'],
  };

  it('shows base and current side by side in each bin, neither hiding the other, with both axes', () => {
    const { container } = renderApp(<HistogramResult result={result} column="order_date" columnType="" />);
    const bins = screen.getAllByTestId('histogram-bin');
    expect(bins).toHaveLength(3);
    for (const bin of bins) {
      const base = bin.querySelector('rect.chart__base')!;
      const current = bin.querySelector('rect.chart__current')!;
      const bx = Number(base.getAttribute('x'));
      const bw = Number(base.getAttribute('width'));
      // Current starts where base ends: the bars do not overlap.
      expect(Number(current.getAttribute('x'))).toBeCloseTo(bx + bw, 6);
      expect(Number(current.getAttribute('width'))).toBeCloseTo(bw, 6);
    }
    // The third bin: base 0 (no height), current 5 drawn.
    expect(Number(bins[2].querySelector('rect.chart__base')!.getAttribute('height'))).toBe(0);
    expect(Number(bins[2].querySelector('rect.chart__current')!.getAttribute('height'))).toBeGreaterThan(0);
    expect(bins[0].querySelector('title')!.textContent).toBe('2024-01-01 – 2024-01-15: base 10, current 12');
    // Value axis: dates; count axis: round numbers up to the tallest bar.
    expect(screen.getAllByTestId('histogram-tick').map((t) => t.textContent)).toEqual(['2024-01-01', '2024-01-16', '2024-01-31', '2024-02-14']);
    expect([...container.querySelectorAll('.chart__ytick text')].map((t) => t.textContent)).toEqual(['0', '5', '10', '15', '20']);
    expect(container.textContent).not.toContain('T00:00:00');
  });
});

describe('value diff drill-down', () => {
  it('pairs base and current rows by key: added, removed, modified with the changed cells', () => {
    const v = adaptValueDetail(detailResult(2))!;
    expect(v.keyColumns.map((c) => c.name)).toEqual(['order_id']);
    expect(v.columns.map((c) => c.name)).toEqual(['order_date', 'amount', 'status']);
    expect(v.counts).toEqual({ added: 1, removed: 1, modified: 2 });
    expect(v.rows[0]).toEqual({ status: 'modified', key: [1], base: ['2025-03-10T00:00:00Z', 11, 'completed'], current: ['2025-03-10T00:00:00Z', 21, 'completed'], changed: [false, true, false] });
    expect(v.rows[2]).toMatchObject({ status: 'removed', key: [5000], current: null });
    expect(v.rows[3]).toMatchObject({ status: 'added', key: [5001], base: null });
    // The primary key of the check's params when the result does not name it (the reference's).
    const reference: Record<string, unknown> = detailResult(1);
    delete reference.primary_key;
    expect(adaptValueDetail(reference, { primary_key: 'order_id' })!.counts).toEqual({ added: 1, removed: 1, modified: 1 });
    // Our diff's own shape (recce diff value-detail --format json).
    const own = adaptValueDetail({
      model: 'orders', primary_key: ['order_id'], columns: cols.slice(0, 4), limit: 1000, more: true,
      rows: [{ status: 'modified', key: [1], base: [1, '2025-03-10', 11, 'a'], current: [1, '2025-03-10', 21, 'a'], changed: ['amount'] }],
    })!;
    expect(own).toMatchObject({ more: true, limit: 1000, counts: { added: 0, removed: 0, modified: 1 } });
    expect(own.rows[0].changed).toEqual([false, true, false]);
  });

  it('shows the rows paged, filtered by status, base → current in the changed cells, dates as dates', () => {
    // DOM queries, not role queries: jsdom computes roles slowly on 50-row tables.
    renderApp(<ValueDetailTable result={detailResult(60)} params={{ model: 'orders', primary_key: 'order_id' }} />);
    const table = document.querySelector('table[aria-label="Differing rows of orders"]')!;
    const bodyRows = () => [...table.querySelectorAll('tbody tr')];
    expect(bodyRows()).toHaveLength(DETAIL_PAGE);
    expect(screen.getByTestId('value-detail-pager').textContent).toMatch(/^Rows 1–50 of 62/);
    const changed = table.querySelectorAll('[data-testid="changed-cell"]');
    expect(changed).toHaveLength(50);
    expect(changed[0].textContent).toBe('11 → 21');
    expect(changed[0].querySelector('del')!.textContent).toBe('11');
    expect(table.textContent).toContain('2025-03-10');
    expect(table.textContent).not.toContain('T00:00:00Z');
    fireEvent.click(screen.getByTestId('value-detail-next'));
    expect(screen.getByTestId('value-detail-pager').textContent).toMatch(/^Rows 51–62 of 62/);
    expect(bodyRows()).toHaveLength(12);
    fireEvent.click(screen.getByTestId('detail-filter-removed'));
    expect(screen.getByTestId('value-detail-pager').textContent).toMatch(/^Rows 1–1 of 1/);
    expect(bodyRows().map((r) => r.textContent)).toEqual(['− removed5,0002025-01-031,234.5return_pending']);
  });

  it('runs value_diff_detail from a value diff that found differences, with its model, key and columns', async () => {
    const detailRun: Run = {
      run_id: 'd1', type: 'value_diff_detail', name: 'Differing rows of orders', status: 'Finished', result: detailResult(3), run_at: '2026-01-01T00:00:00Z',
      params: { model: 'orders', primary_key: 'order_id', columns: ['amount'] },
    };
    const fetch = serve({
      'GET /api/info': [200, LIVE],
      'POST /api/runs': (body) => [202, { ...detailRun, status: 'Running', result: null, params: (body as Run).params }],
      'GET /api/runs/d1': [200, detailRun],
    });
    const params = { model: 'orders', primary_key: 'order_id', columns: ['amount'] };
    renderApp(<ValueDiffResult result={{ summary: { total: 100, added: 1, removed: 1, modified: 3 }, columns: [] }} params={params} />);
    const button = (await screen.findByTestId('value-diff-drill-down')) as HTMLButtonElement;
    await waitFor(() => expect(button.disabled).toBe(false));
    fireEvent.click(button);
    const rows = await screen.findByTestId('value-detail-result');
    expect(within(rows).getAllByTestId('changed-cell')).toHaveLength(3);
    const post = fetch.mock.calls.find(([path, init]) => path === '/api/runs' && init?.method === 'POST')!;
    expect(JSON.parse(String(post[1]!.body))).toEqual({ type: 'value_diff_detail', params, name: 'Differing rows of orders' });
    expect(calls(fetch)).toContain('GET /api/runs/d1');
  });

  it('offers no drill-down when the value diff found no difference, and says why it cannot run without a warehouse', async () => {
    serve({ 'GET /api/info': [200, { mode: 'review', warehouse: null, lineage: null }] });
    const clean = { summary: { total: 10, added: 0, removed: 0, modified: 0 }, columns: [{ name: 'a', matched: 10, matched_p: 1 }] };
    const { unmount } = renderApp(<ValueDiffResult result={clean} params={{ model: 'orders', primary_key: 'id' }} />);
    expect(screen.queryByTestId('value-diff-drill-down')).toBeNull();
    unmount();
    renderApp(<ValueDiffResult result={{ ...clean, summary: { ...clean.summary, added: 1 } }} params={{ model: 'orders', primary_key: 'id' }} />);
    expect(((await screen.findByTestId('value-diff-drill-down')) as HTMLButtonElement).disabled).toBe(true);
    expect((await screen.findByTestId('disabled-reason')).textContent).toMatch(/^Review mode/);
  });
});

describe('export as CSV and TSV', () => {
  const table = {
    columns: [{ name: 'id', kind: 'integer' }, { name: 'name', kind: 'text' }, { name: 'day', kind: 'date' }, { name: 'amount', kind: 'number' }],
    rows: [
      [1, 'Ann, "the first"', '2024-01-01T00:00:00Z', 1234.5],
      [2, 'two\nlines', null, -3],
      [3, '=HYPERLINK("http://evil")', '2024-01-02T00:00:00Z', '-12.5'],
    ],
  };

  it('writes CSV with quoting where needed, CRLF lines, plain numbers and dates as dates', () => {
    expect(toDelimited(table, 'csv')).toBe(
      'id,name,day,amount\r\n1,"Ann, ""the first""",2024-01-01,1234.5\r\n2,"two\nlines",,-3\r\n3,"\'=HYPERLINK(""http://evil"")",2024-01-02,-12.5\r\n',
    );
  });

  it('writes TSV with tabs, and no tab or line break inside a value', () => {
    expect(toDelimited(table, 'tsv').split('\r\n')[2]).toBe('2\ttwo lines\t\t-3');
  });

  it('downloads the whole table from the buttons under it', async () => {
    const blobs: Blob[] = [];
    vi.stubGlobal('URL', Object.assign(Object.create(URL), { createObjectURL: (b: Blob) => (blobs.push(b), 'blob:x'), revokeObjectURL: () => {} }));
    const names: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download);
    });
    renderApp(<ExportButtons label="Query result" table={() => table} />);
    fireEvent.click(screen.getByTestId('export-tsv'));
    fireEvent.click(screen.getByTestId('export-csv'));
    expect(names).toEqual(['query-result.tsv', 'query-result.csv']);
    expect(blobs[0].type).toBe('text/tab-separated-values;charset=utf-8');
    const text = await new Promise<string>((resolve) => {
      const r = new FileReader();
      r.onload = () => resolve(String(r.result));
      r.readAsText(blobs[1]);
    });
    expect(text).toBe(toDelimited(table, 'csv'));
    click.mockRestore();
  });
});

describe('query results', () => {
  it('group numbers and show dates as dates, and can be exported', () => {
    const frame = {
      columns: [
        { key: 'customer_id', name: 'customer_id', type: 'integer' },
        { key: 'first_order', name: 'first_order', type: 'date' },
        { key: 'lifetime_value', name: 'lifetime_value', type: 'number' },
      ],
      rows: [[1234567, '2024-01-01T00:00:00Z', 98765.4321], [2, null, '1234.50']],
      more: false,
    };
    renderApp(<DataTable frame={frame} label="Query result" />);
    const cells = within(screen.getByTestId('data-table')).getAllByRole('cell').map((c) => c.textContent);
    expect(cells).toEqual(['1,234,567', '2024-01-01', '98,765.4321', '2', 'NULL', '1,234.50']);
    expect(screen.getByTestId('export-csv')).toBeTruthy();
  });
});

describe('row counts', () => {
  it('say added or removed for a model on one side only, not counted without a table, and round the change as everywhere', () => {
    renderApp(
      <RowCountResult
        result={{
          customer_cohorts: { base: null, curr: 21, base_meta: { status: 'not_in_manifest' } },
          legacy: { base: 7, curr: null, curr_meta: { status: 'not_in_manifest' } },
          orders: { base: 30000, curr: 29999 },
          stg: { base: 5, curr: null, curr_meta: { status: 'table_not_found' } },
          customers: { base: 100, curr: 112 },
        }}
      />,
    );
    const rows = [...screen.getByTestId('row-count-result').querySelectorAll('tbody tr')].map((r) => r.textContent);
    expect(rows).toEqual(['customer_cohorts–21added', 'customers100112+12 (+12.00%)', 'legacy7–removed', 'orders30,00029,999-1 (-0.01%)', 'stg5no tablenot counted']);
    expect(screen.getByTestId('row-count-result').textContent).not.toContain('not_in_manifest');
  });
});

describe('profile', () => {
  it('shows a changed statistic base → current by the one rounding, and a column on one side only as its values', () => {
    const near = structuredClone(profileDiff);
    near.current.data[0][9] = 50.50000000000001; // customer_id's average, a float's noise away
    renderApp(<ProfileResult result={near} />);
    const rows = [...screen.getByTestId('profile-result').querySelectorAll('tbody tr')];
    const row = (name: string) => rows.find((r) => r.querySelector('th')!.textContent!.startsWith(name))!;
    const changes = (name: string) => [...row(name).querySelectorAll('[data-testid="profile-change"]')].map((c) => c.textContent);
    expect(changes('customer_lifetime_value')).toEqual(['100 → 112', '62.00% → 70.00%', '35 → 37', '35.00% → 33.00%', '26.97 → 27.1']);
    // Two different values never look alike.
    expect(changes('customer_id')).toContain('50.5 → 50.50000000000001');
    expect(changes('segment')).toEqual([]);
    expect(row('segment').textContent).toContain('added');
  });
});

const node = (id: string, extra: Partial<LineageNode> = {}): LineageNode => ({
  unique_id: `model.shop.${id}`, name: id, resource_type: 'model', package_name: 'shop', change: 'unchanged', reasons: [], impacted: false, ...extra,
});

describe('schema diff', () => {
  it('shows the types of added and removed columns, read from the node when the diff has none', async () => {
    const fetch = serve({
      'GET /api/nodes/model.shop.customers': [
        200,
        {
          unique_id: 'model.shop.customers', name: 'customers', resource_type: 'model', change: 'modified', reasons: ['code'],
          base: { columns: [{ name: 'id', type: 'INTEGER' }, { name: 'last_name', type: 'VARCHAR' }] },
          current: { columns: [{ name: 'id', type: 'INTEGER' }, { name: 'segment', type: 'VARCHAR(16)' }] },
        },
      ],
    });
    const result = { selected: 1, nodes: [{ unique_id: 'model.shop.customers', name: 'customers', added: ['segment'], removed: ['last_name'], changed: [{ name: 'ltv', base_type: 'DECIMAL(18,2)', current_type: 'DOUBLE' }] }] };
    const lineage = { base: {}, current: {}, nodes: [], edges: [] } as unknown as Lineage;
    renderApp(<SchemaDiffResult params={{}} result={result} lineage={lineage} />);
    const table = await screen.findByRole('table', { name: 'Column changes of customers' });
    await waitFor(() => expect(within(table).getAllByRole('row').map((r) => r.textContent)).toEqual([
      'ColumnChangeBase typeCurrent type',
      'segmentaddedVARCHAR(16)',
      'last_nameremovedVARCHAR',
      'ltvtype changedDECIMAL(18,2)DOUBLE',
    ]));
    expect(calls(fetch)).toEqual(['GET /api/nodes/model.shop.customers']);
  });

  it('uses the types the diff carries, without asking for the node', () => {
    const fetch = serve({});
    const result = { selected: 1, nodes: [{ unique_id: 'model.shop.customers', name: 'customers', added: [{ name: 'segment', type: 'TEXT' }], removed: [], changed: [] }] };
    renderApp(<SchemaDiffResult params={{}} result={result} lineage={{ base: {}, current: {}, nodes: [], edges: [] } as unknown as Lineage} />);
    expect(screen.getByRole('table', { name: 'Column changes of customers' }).textContent).toContain('segmentaddedTEXT');
    expect(calls(fetch)).toEqual([]);
  });
});

describe('lineage diff', () => {
  it('says which upstream change impacts each impacted node', () => {
    const lineage = {
      base: {}, current: {}, edges: [],
      nodes: [
        node('orders', { change: 'modified', reasons: ['code'], impacted: true, impacted_by: ['model.shop.orders'] }),
        node('customers', { change: 'modified', reasons: ['code'], impacted: true, impacted_by: ['model.shop.customers', 'model.shop.orders'] }),
        node('daily_revenue', { impacted: true, impacted_by: ['model.shop.orders'] }),
        node('revenue_dashboard', { resource_type: 'exposure', impacted: true, impacted_by: ['model.shop.customers', 'model.shop.orders'] }),
        node('stg_orders'),
      ],
    } as unknown as Lineage;
    renderApp(<LineageDiffResult result={null} lineage={lineage} />);
    expect(screen.getByTestId('impacted-daily_revenue').textContent).toBe('impacted daily_revenue by orders');
    expect(screen.getByTestId('impacted-revenue_dashboard').textContent).toBe('impacted revenue_dashboard by customers, orders');
    expect(within(screen.getByTestId('impacted-nodes')).getAllByRole('listitem')).toHaveLength(2);
    // A changed node downstream of another change says so too.
    expect(screen.getByTestId('lineage-diff-result').textContent).toContain('customers (code) · also impacted by orders');
  });
});
