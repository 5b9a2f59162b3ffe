// Run results in the reference system's shapes, for the adapter tests and the
// dev server's mock API.
export const rowCountDiff = {
  customers: { base: 100, curr: 112 },
  orders: { base: 250, curr: 250 },
  int_customer_orders: { base: null, curr: 94, base_meta: { status: 'not_in_manifest' } },
};

const valueDiffFrame = {
  columns: [
    { key: 'column', name: 'column', type: 'text' },
    { key: 'matched', name: 'matched', type: 'number' },
    { key: 'matched_p', name: 'matched_p', type: 'number' },
  ],
  data: [
    ['customer_id', 100, 1],
    ['first_order', 100, 1],
    ['customer_lifetime_value', 93, 0.93],
  ],
};

export const valueDiff = { summary: { total: 112, added: 12, removed: 0 }, data: valueDiffFrame };

const profileColumns = [
  'column_name', 'data_type', 'row_count', 'not_null_proportion', 'distinct_proportion',
  'distinct_count', 'is_unique', 'min', 'max', 'avg', 'median',
].map((k) => ({ key: k, name: k, type: 'text' }));

export const profileDiff = {
  base: {
    columns: profileColumns,
    data: [
      ['customer_id', 'INTEGER', 100, 1, 1, 100, true, '1', '100', 50.5, 50.5],
      ['customer_lifetime_value', 'DOUBLE', 100, 0.62, 0.35, 35, false, '1', '99', 26.97, 26],
    ],
  },
  current: {
    columns: profileColumns,
    data: [
      ['customer_id', 'INTEGER', 112, 1, 1, 112, true, '1', '112', 56.5, 56.5],
      ['customer_lifetime_value', 'DOUBLE', 112, 0.7, 0.33, 37, false, '1', '99', 27.1, 26],
      ['segment', 'VARCHAR', 112, 1, 0.03, 3, false, 'high', 'mid', null, null],
    ],
  },
};

export const topKDiff = {
  base: { values: ['completed', 'shipped', 'returned', null], counts: [67, 13, 4, 0], valids: 84, total: 99 },
  current: { values: ['completed', 'shipped', 'returned', null], counts: [70, 13, 6, 0], valids: 89, total: 99 },
};

export const histogramDiff = {
  base: { counts: [10, 20, 30, 25, 15], total: 100 },
  current: { counts: [12, 18, 33, 25, 24], total: 112 },
  min: 0,
  max: 50,
  bin_edges: [0, 10, 20, 30, 40, 50],
  labels: ['0-10', '10-20', '20-30', '30-40', '40-50'],
};

const queryColumns = [
  { key: 'customer_id', name: 'customer_id', type: 'integer' },
  { key: 'segment', name: 'segment', type: 'text' },
];

export const query = { columns: queryColumns, data: [[1, 'high'], [2, 'low'], [3, null]] };

export const queryDiff = {
  base: { columns: queryColumns, data: [[1, 'high'], [2, 'low'], [4, 'mid']] },
  current: { columns: queryColumns, data: [[1, 'high'], [2, 'mid'], [3, null]] },
};

export const queryDiffWithKeys = {
  diff: {
    columns: [...queryColumns, { key: 'in_a', name: 'in_a', type: 'boolean' }, { key: 'in_b', name: 'in_b', type: 'boolean' }],
    data: [
      [2, 'low', true, false],
      [2, 'mid', false, true],
      [3, null, false, true],
      [4, 'mid', true, false],
    ],
  },
};

export const resultsByType: Record<string, unknown> = {
  row_count_diff: rowCountDiff,
  value_diff: valueDiff,
  profile_diff: profileDiff,
  top_k_diff: topKDiff,
  histogram_diff: histogramDiff,
  query: query,
  query_base: query,
  query_diff: queryDiff,
  value_diff_detail: queryDiffWithKeys.diff,
};
