// schema_diff and lineage_diff need no warehouse: they are read from the
// lineage (GET /api/info) for the check's nodes, whatever the run returned.
import { useSelect } from '../api/hooks';
import type { ColumnsDiff, Lineage, LineageNode, Params } from '../api/types';
import { Loading, ErrorMessage } from '../components/status';
import { categoryOf, changeCounts, isChanged } from '../lineage/graph';
import { Link } from 'wouter';

const asList = (x: unknown): string[] => (Array.isArray(x) ? x.map(String) : typeof x === 'string' ? [x] : []);

export function ColumnChanges({ diff }: { diff: ColumnsDiff | null | undefined }) {
  if (!diff) return <p className="muted">No catalog entry on either side: the columns are unknown.</p>;
  const rows = [
    ...diff.added.map((c) => ({ name: c, change: 'added', base: '', current: '' })),
    ...diff.removed.map((c) => ({ name: c, change: 'removed', base: '', current: '' })),
    ...diff.changed.map((c) => ({ name: c.name, change: 'type changed', base: c.base_type, current: c.current_type })),
  ];
  return (
    <>
      {diff.missing && <p className="muted">The {diff.missing} catalog has no entry for this node: its columns are unknown there.</p>}
      {rows.length === 0 ? (
        <p>No column change.</p>
      ) : (
        <table className="data" aria-label="Column changes">
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Change</th>
              <th scope="col">Base type</th>
              <th scope="col">Current type</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.change}:${r.name}`} className={`row--${r.change.split(' ')[0]}`}>
                <th scope="row">{r.name}</th>
                <td>{r.change}</td>
                <td>{r.base}</td>
                <td>{r.current}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function NodesSchema({ nodes }: { nodes: LineageNode[] }) {
  if (nodes.length === 0) return <p className="muted">No node matches this check.</p>;
  const changed = nodes.filter((n) => n.columns && (n.columns.added.length + n.columns.removed.length + n.columns.changed.length > 0 || n.columns.missing));
  return (
    <div data-testid="schema-diff-result">
      <p>
        {changed.length === 0 ? 'No schema change' : `${changed.length} of ${nodes.length} nodes changed schema`}
        {changed.length === 0 && ` in ${nodes.length} node${nodes.length === 1 ? '' : 's'}`}.
      </p>
      {changed.map((n) => (
        <section key={n.unique_id}>
          <h4>{n.name}</h4>
          <ColumnChanges diff={n.columns} />
        </section>
      ))}
    </div>
  );
}

export function SchemaDiffResult({ params, lineage }: { params: Params; lineage: Lineage }) {
  const ids = [...asList(params.node_id), ...asList(params.node_ids)];
  const names = asList(params.node_names);
  const select = typeof params.select === 'string' ? params.select : '';
  const exclude = typeof params.exclude === 'string' ? params.exclude : '';
  const bySelector = ids.length === 0 && names.length === 0;
  const selection = useSelect(bySelector ? select || 'state:modified' : '', bySelector ? exclude : '');
  if (bySelector && selection.isPending) return <Loading label="Selecting nodes…" />;
  if (bySelector && selection.error) return <ErrorMessage error={selection.error} title="Cannot select the nodes" />;
  const wanted = new Set(bySelector ? selection.data?.nodes ?? [] : ids);
  const nodes = lineage.nodes.filter((n) => wanted.has(n.unique_id) || names.includes(n.name));
  return <NodesSchema nodes={nodes} />;
}

export function LineageDiffResult({ lineage }: { lineage: Lineage }) {
  const counts = changeCounts(lineage.nodes);
  const changed = lineage.nodes.filter(isChanged);
  return (
    <div data-testid="lineage-diff-result">
      <p>
        {counts.added} added, {counts.modified} modified, {counts.removed} removed, {counts.impacted} impacted downstream
        {counts.whitespace > 0 && `; ${counts.whitespace} changed in whitespace only`}.
      </p>
      <ul className="plain">
        {changed.slice(0, 50).map((n) => (
          <li key={n.unique_id}>
            <span className={`tag tag--${categoryOf(n)}`}>{categoryOf(n)}</span> {n.name}
          </li>
        ))}
      </ul>
      {changed.length > 50 && <p className="muted">and {changed.length - 50} more.</p>}
      <Link href="/lineage">Open the lineage graph</Link>
    </div>
  );
}
