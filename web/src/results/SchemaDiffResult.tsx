// schema_diff and lineage_diff need no warehouse. A run's own result is
// shown when it has one; otherwise (the reference stores none) they are
// read from the lineage (GET /api/info) for the check's nodes.
import { Link } from 'wouter';
import { useSelect } from '../api/hooks';
import type { Change, ColumnsDiff, Lineage, Params } from '../api/types';
import { ErrorMessage, Loading } from '../components/status';
import { categoryOf, changeCounts, isChanged } from '../lineage/graph';
import { adaptLineageDiff, adaptSchemaDiff, type LineageDiffView, type SchemaNodeView } from './adapters/artifacts';

const asList = (x: unknown): string[] => (Array.isArray(x) ? x.map(String) : typeof x === 'string' ? [x] : []);

const differs = (d: ColumnsDiff | null | undefined) =>
  Boolean(d && (d.added.length + d.removed.length + d.changed.length > 0 || d.missing));

function ColumnChanges({ diff }: { diff: ColumnsDiff | null | undefined }) {
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

function SchemaNodes({ nodes, selected }: { nodes: SchemaNodeView[]; selected: number }) {
  const changed = nodes.filter((n) => differs(n.diff));
  return (
    <div data-testid="schema-diff-result">
      <p>
        {changed.length === 0
          ? `No schema change in ${selected} node${selected === 1 ? '' : 's'}.`
          : `${changed.length} of ${selected} nodes changed schema.`}
      </p>
      {changed.map((n) => (
        <section key={n.uniqueId}>
          <h4>{n.name}</h4>
          <ColumnChanges diff={n.diff} />
        </section>
      ))}
    </div>
  );
}

function SchemaFromLineage({ params, lineage }: { params: Params; lineage: Lineage }) {
  const ids = [...asList(params.node_id), ...asList(params.node_ids)];
  const names = asList(params.node_names);
  const bySelector = ids.length === 0 && names.length === 0;
  const select = typeof params.select === 'string' ? params.select : '';
  const exclude = typeof params.exclude === 'string' ? params.exclude : '';
  const selection = useSelect(bySelector ? select || 'state:modified' : '', bySelector ? exclude : '');
  if (bySelector && selection.isPending) return <Loading label="Selecting nodes…" />;
  if (bySelector && selection.error) return <ErrorMessage error={selection.error} title="Cannot select the nodes" />;
  const wanted = new Set(bySelector ? (selection.data?.nodes ?? []) : ids);
  const nodes = lineage.nodes.filter((n) => wanted.has(n.unique_id) || names.includes(n.name));
  if (nodes.length === 0) return <p className="muted">No node matches this check.</p>;
  const views = nodes.map((n) => ({ uniqueId: n.unique_id, name: n.name, diff: n.columns ?? { added: [], removed: [], changed: [] } }));
  return <SchemaNodes nodes={views} selected={nodes.length} />;
}

export function SchemaDiffResult({ params, result, lineage }: { params: Params; result: unknown; lineage: Lineage }) {
  const fromRun = adaptSchemaDiff(result);
  if (fromRun) return <SchemaNodes nodes={fromRun.nodes} selected={fromRun.selected ?? fromRun.nodes.length} />;
  return <SchemaFromLineage params={params} lineage={lineage} />;
}

function fromLineage(lineage: Lineage): LineageDiffView {
  return {
    selected: lineage.nodes.length,
    impacted: changeCounts(lineage.nodes).impacted,
    nodes: lineage.nodes.filter(isChanged).map((n) => ({
      uniqueId: n.unique_id,
      name: n.name,
      resourceType: n.resource_type,
      change: categoryOf(n) as Change,
      reasons: n.reasons,
    })),
  };
}

export function LineageDiffResult({ result, lineage }: { result: unknown; lineage: Lineage }) {
  const view = adaptLineageDiff(result) ?? fromLineage(lineage);
  const count = (c: Change) => view.nodes.filter((n) => n.change === c).length;
  return (
    <div data-testid="lineage-diff-result">
      <p>
        {count('added')} added, {count('modified')} modified, {count('removed')} removed
        {view.impacted !== null && `, ${view.impacted} impacted downstream`}
        {view.selected !== null && ` (of ${view.selected} nodes)`}.
      </p>
      <ul className="plain">
        {view.nodes.slice(0, 50).map((n) => (
          <li key={n.uniqueId}>
            <span className={`tag tag--${n.change}`}>{n.change}</span> {n.name}
            {n.reasons.length > 0 && <span className="muted small"> ({n.reasons.join(', ')})</span>}
          </li>
        ))}
      </ul>
      {view.nodes.length > 50 && <p className="muted">and {view.nodes.length - 50} more.</p>}
      <Link href="/lineage">Open the lineage graph</Link>
    </div>
  );
}
