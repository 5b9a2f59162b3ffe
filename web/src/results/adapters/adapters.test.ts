import { describe, expect, it } from 'vitest';
import * as fx from '../../__fixtures__/results';
import { adaptLineageDiff, adaptSchemaDiff } from './artifacts';
import { toFrame } from './dataframe';
import { adaptHistogram, countTicks } from './histogram';
import { adaptProfile } from './profile';
import { adaptQuery, adaptQueryDiff } from './query';
import { adaptRowCount, statusWords } from './rowCount';
import { adaptTopK } from './topK';
import { adaptValueDiff, commonRows } from './valueDiff';

const junk = [undefined, null, 42, 'text', [], {}, { base: 'x', current: [1] }];

describe('every adapter tolerates missing or malformed results', () => {
  it.each(junk)('%j', (x) => {
    expect(adaptRowCount(x)).toEqual(Array.isArray(x) || typeof x !== 'object' || x === null ? [] : expect.any(Array));
    expect(adaptValueDiff(x).columns).toEqual([]);
    expect(adaptProfile(x)).toEqual([]);
    expect(adaptTopK(x).items).toEqual([]);
    expect(adaptHistogram(x).bins).toEqual([]);
    expect(adaptQueryDiff(x)).toBeNull();
  });
});

describe('row_count_diff', () => {
  it('computes deltas relative to base and keeps missing sides as null', () => {
    const rows = adaptRowCount(fx.rowCountDiff);
    expect(rows.map((r) => r.name)).toEqual(['customers', 'int_customer_orders', 'orders']);
    expect(rows[0]).toMatchObject({ base: 100, current: 112, delta: 12, deltaPercent: 12, deltaRatio: 0.12 });
    expect(rows[1]).toMatchObject({ base: null, current: 94, delta: null, deltaPercent: null });
    expect(rows[2]).toMatchObject({ delta: 0, deltaPercent: 0 });
  });

  it('accepts "current" for "curr" and numbers as strings', () => {
    const [r] = adaptRowCount({ m: { base: '10', current: 5 } });
    expect(r).toMatchObject({ base: 10, current: 5, delta: -5, deltaPercent: -50, baseStatus: null });
  });

  it('says why a side has no count (base_meta / curr_meta)', () => {
    const [r] = adaptRowCount({ new_model: { base: null, curr: 62, base_meta: { status: 'not_in_manifest' } } });
    expect(r).toMatchObject({ base: null, current: 62, baseStatus: 'not_in_manifest', currentStatus: null });
  });

  it('words the statuses: added or removed, not not_in_manifest', () => {
    expect(statusWords('not_in_manifest', 'base')).toBe('added');
    expect(statusWords('not_in_manifest', 'current')).toBe('removed');
    expect(statusWords('table_not_found', 'current')).toBe('no table');
    expect(statusWords('some_new_status', 'base')).toBe('some new status');
  });
});

describe('value_diff', () => {
  it('reads the summary and the match rates', () => {
    const v = adaptValueDiff(fx.valueDiff);
    expect(v).toMatchObject({ total: 112, added: 12, removed: 0 });
    expect(commonRows(v)).toBe(100);
    expect(v.columns[2]).toEqual({ column: 'customer_lifetime_value', matched: 93, rate: 0.93 });
  });

  it('finds columns whatever their case, and reads percentages as ratios', () => {
    const v = adaptValueDiff({ data: { columns: ['COLUMN', 'MATCHED', 'MATCHED_P'], data: [['ID', 5, 50]] } });
    expect(v.columns).toEqual([{ column: 'ID', matched: 5, rate: 0.5 }]);
  });
});

describe('value_diff, with our additions', () => {
  it('prefers the columns list and reads modified and unchanged rows', () => {
    const v = adaptValueDiff({
      summary: { total: 10, added: 1, removed: 1, modified: 2, unchanged: 6 },
      data: { columns: [{ name: 'column' }, { name: 'matched' }, { name: 'matched_p' }], data: [['id', 0, 0]] },
      columns: [{ name: 'amount', matched: 6, mismatched: 2, matched_p: 0.75 }],
    });
    expect(v).toMatchObject({ modified: 2, unchanged: 6 });
    expect(v.columns).toEqual([{ column: 'amount', matched: 6, rate: 0.75 }]);
  });
});

describe('profile_diff', () => {
  it('pairs columns of both sides and flags the added one', () => {
    const cols = adaptProfile(fx.profileDiff);
    expect(cols.map((c) => c.name)).toEqual(['customer_id', 'customer_lifetime_value', 'segment']);
    expect(cols[0].base?.row_count).toBe(100);
    expect(cols[0].current?.row_count).toBe(112);
    expect(cols[2].base).toBeNull();
    expect(cols[2].type).toBe('VARCHAR');
  });
});

describe('top_k_diff', () => {
  it('lines up values with both counts', () => {
    const t = adaptTopK(fx.topKDiff);
    expect(t.items[0]).toEqual({ value: 'completed', base: 67, current: 70 });
    expect(t.items[3].value).toBeNull();
    expect(t).toMatchObject({ baseTotal: 99, currentValids: 89 });
  });
});

describe('histogram_diff', () => {
  it('labels bins from their edges, rounded to the column type', () => {
    // The reference's shape: no type; the check's column_type says it.
    expect(adaptHistogram(fx.histogramDiff).bins[1]).toEqual({ label: '10 – 20', base: 20, current: 18 });
    const ints = adaptHistogram(fx.histogramDiff, 'INTEGER');
    expect(ints.kind).toBe('integer');
    expect(ints.bins.map((b) => b.label)).toEqual(['0 – 9', '10 – 19', '20 – 29', '30 – 39', '40 – 49']);
    expect(ints.ticks.map((t) => t.label)).toEqual(['0', '10', '20', '30', '40', '49']);
    // One value per bin: the value alone.
    expect(adaptHistogram({ type: 'integer', base: { counts: [1, 2] }, current: { counts: [1, 3] }, bin_edges: [1, 2, 3] }).bins.map((b) => b.label)).toEqual(['1', '2']);
    // Numbers: rounded to what tells one bin from the next, not 0.30000000000000004.
    const floats = adaptHistogram({ type: 'number', base: { counts: [1, 1, 1] }, current: { counts: [1, 1, 1] }, bin_edges: [0, 0.1 + 0.2, 0.6000000000000001, 0.9] });
    expect(floats.bins.map((b) => b.label)).toEqual(['0 – 0.3', '0.3 – 0.6', '0.6 – 0.9']);
    expect(adaptHistogram({ type: 'number', base: { counts: [1] }, current: { counts: [1] }, bin_edges: [1234.5678, 2345.6789] }).bins[0].label).toBe('1,235 – 2,346');
  });

  it('labels date bins with dates, not 2024-01-01T00:00:00Z', () => {
    const edges = ['2024-01-01T00:00:00Z', '2024-01-16T00:00:00Z', '2024-01-31T00:00:00Z'];
    const dates = adaptHistogram({ type: 'date', base: { counts: [5, 6] }, current: { counts: [5, 7] }, bin_edges: edges });
    expect(dates.bins.map((b) => b.label)).toEqual(['2024-01-01 – 2024-01-15', '2024-01-16 – 2024-01-30']);
    expect(dates.ticks.map((t) => t.label)).toEqual(['2024-01-01', '2024-01-16', '2024-01-30']);
    const times = adaptHistogram({ type: 'datetime', base: { counts: [1] }, current: { counts: [1] }, bin_edges: ['2024-01-01T00:00:00Z', '2024-01-01T06:30:00Z'] });
    expect(times.bins[0].label).toBe('2024-01-01 00:00:00 – 2024-01-01 06:30:00');
    // A DATE column_type (the reference) with edges in seconds.
    expect(adaptHistogram({ base: { counts: [1] }, current: { counts: [1] }, bin_edges: [0, 86400 * 2] }, 'DATE').bins[0].label).toBe('1970-01-01 – 1970-01-02');
  });

  it('uses the server labels, else the bin numbers, when the edges do not match the bins', () => {
    const odd = adaptHistogram({ base: { counts: [1] }, current: { counts: [2, 3] }, bin_edges: ['2024-01-01', '2024-02-01'], labels: ['first'] });
    expect(odd.bins).toEqual([
      { label: 'first', base: 1, current: 2 },
      { label: 'bin 2', base: 0, current: 3 },
    ]);
    expect(odd.ticks).toEqual([]);
  });

  it('gives the count axis round ticks', () => {
    expect(countTicks(33)).toEqual([0, 10, 20, 30, 40]);
    expect(countTicks(2152)).toEqual([0, 1000, 2000, 3000]);
    expect(countTicks(3)).toEqual([0, 1, 2, 3]);
    expect(countTicks(0)).toEqual([0, 1]);
  });
});

describe('DataFrame and queries', () => {
  it('accepts columns as names and rows as objects', () => {
    expect(toFrame({ columns: ['a', 'b'], data: [{ a: 1, b: 2 }] })).toEqual({
      columns: [
        { key: 'a', name: 'a', type: '' },
        { key: 'b', name: 'b', type: '' },
      ],
      rows: [[1, 2]],
      more: false,
    });
  });

  it('reads a query result as a frame, bare or under current', () => {
    expect(adaptQuery(fx.query)?.rows).toHaveLength(3);
    expect(adaptQuery({ current: fx.query })?.rows).toHaveLength(3);
  });

  it('diffs base and current whole rows without keys', () => {
    const v = adaptQueryDiff(fx.queryDiff)!;
    expect(v).toMatchObject({ added: 2, removed: 2, modified: 0, unchanged: 1 });
  });

  it('pairs rows by primary key into modified ones', () => {
    const v = adaptQueryDiff(fx.queryDiff, ['customer_id'])!;
    expect(v).toMatchObject({ added: 1, removed: 1, modified: 1, unchanged: 1 });
    const modified = v.rows.find((r) => r.status === 'modified')!;
    expect(modified.base).toEqual([2, 'low']);
    expect(modified.cells).toEqual([2, 'mid']);
  });

  it('reads the exact counts of rows only on one side', () => {
    const v = adaptQueryDiff({ ...fx.queryDiff, rows_only_in_base: 2000, rows_only_in_current: 3000 })!;
    expect(v).toMatchObject({ onlyInBase: 2000, onlyInCurrent: 3000 });
    expect(adaptQueryDiff(fx.queryDiff)).toMatchObject({ onlyInBase: null, onlyInCurrent: null });
  });

  it('reads the in_a / in_b diff frame of a keyed query diff', () => {
    const v = adaptQueryDiff(fx.queryDiffWithKeys, ['CUSTOMER_ID'])!;
    expect(v.columns.map((c) => c.key)).toEqual(['customer_id', 'segment']);
    expect(v).toMatchObject({ added: 1, removed: 1, modified: 1, unchanged: null });
  });
});

describe('lineage_diff and schema_diff results', () => {
  it('reads the nodes of a run, or says there is no result (reference runs)', () => {
    expect(adaptSchemaDiff(null)).toBeNull();
    expect(adaptLineageDiff({})).toBeNull();
    const s = adaptSchemaDiff({ selected: 3, nodes: [{ unique_id: 'model.a', name: 'a', added: ['x'], changed: [{ name: 'y', base_type: 'int', current_type: 'text' }] }] })!;
    expect(s.selected).toBe(3);
    expect(s.nodes[0].diff).toEqual({ added: ['x'], removed: [], changed: [{ name: 'y', base_type: 'int', current_type: 'text' }], missing: undefined });
    const l = adaptLineageDiff({ selected: 12, impacted: 4, nodes: [{ unique_id: 'model.a', name: 'a', change: 'added' }] })!;
    expect(l).toMatchObject({ selected: 12, impacted: 4, nodes: [{ name: 'a', change: 'added', reasons: [] }] });
  });
});
