// A synthetic lineage of n nodes shaped like a dbt project (sources, then
// staging, intermediate and mart levels; each node reads 1 to 3 nodes of
// earlier levels; about 2 % changed), for scale tests and the dev server.
// Figures measured on it are for synthetic data.
import type { Change, Lineage, LineageNode } from '../api/types';

export function syntheticLineage(n: number, levels = 8): Lineage {
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const perLevel = Math.ceil(n / levels);
  const nodes: LineageNode[] = [];
  const edges: Lineage['edges'] = [];
  for (let i = 0; i < n; i++) {
    const level = Math.floor(i / perLevel);
    const r = rnd();
    const change: Change = r < 0.01 ? 'modified' : r < 0.015 ? 'added' : r < 0.018 ? 'removed' : 'unchanged';
    const type = level === 0 ? 'source' : 'model';
    const name = `${['src', 'stg', 'int', 'int', 'fct', 'fct', 'mart', 'mart'][Math.min(level, 7)]}_${i}`;
    nodes.push({
      unique_id: `${type}.synthetic.${name}`,
      name,
      resource_type: type,
      package_name: i % 10 === 0 ? 'dbt_utils_like' : 'synthetic',
      materialized: type === 'model' ? 'table' : undefined,
      change,
      reasons: change === 'modified' ? ['code'] : [],
      impacted: false,
      columns: { added: [], removed: [], changed: [] },
    });
    if (level > 0) {
      const parents = new Set<number>();
      for (let j = 1 + Math.floor(rnd() * 3); j > 0; j--) parents.add(Math.floor(rnd() * level * perLevel));
      for (const p of parents) edges.push({ source: nodes[p].unique_id, target: nodes[i].unique_id, change: 'unchanged' });
    }
  }
  // Impacted: changed or downstream of a changed node (edges go from lower to higher index).
  const byId = new Map(nodes.map((x) => [x.unique_id, x]));
  for (const x of nodes) x.impacted = x.change !== 'unchanged';
  for (const e of edges) if (byId.get(e.source)!.impacted) byId.get(e.target)!.impacted = true;
  const env = { dbt_version: '1.8.0', generated_at: '2026-01-01T00:00:00Z', project_name: 'synthetic', has_catalog: true };
  return { base: env, current: env, nodes, edges };
}
