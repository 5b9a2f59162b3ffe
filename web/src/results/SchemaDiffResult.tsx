// schema_diff and lineage_diff need no warehouse. A run's own result is
// shown when it has one; otherwise (the reference stores none) they are
// read from the lineage (GET /api/info) for the check's nodes.
import { Link } from 'wouter';
import { useNode, useSelect } from '../api/hooks';
import type { Change, Lineage, LineageNode, NodeDetail, Params } from '../api/types';
import { ErrorMessage, Loading } from '../components/status';
import { categoryOf, changeCounts, isChanged } from '../lineage/graph';
import { adaptLineageDiff, adaptSchemaDiff, type LineageDiffView, type ListedColumn, type SchemaColumns, type SchemaNodeView } from './adapters/artifacts';
import { ExportButtons } from './Export';

const asList = (x: unknown): string[] => (Array.isArray(x) ? x.map(String) : typeof x === 'string' ? [x] : []);

const differs = (d: SchemaColumns | null | undefined) =>
  Boolean(d && (d.added.length + d.removed.length + d.changed.length > 0 || d.missing));

const nameOf = (c: ListedColumn) => (typeof c === 'string' ? c : c.name);
const typeOf = (c: ListedColumn) => (typeof c === 'string' ? undefined : c.type);

interface ColumnRow {
  name: string;
  change: 'added' | 'removed' | 'type changed';
  base: string;
  current: string;
}

/**
 * The column changes of a node, with the types of added and removed columns:
 * from the diff when it has them, else from the node's columns (GET /nodes/{id}).
 */
export function columnRows(diff: SchemaColumns, node?: NodeDetail): ColumnRow[] {
  const lookup = (side: 'base' | 'current', name: string) =>
    node?.[side]?.columns?.find((c) => c.name.toLowerCase() === name.toLowerCase())?.type ?? '';
  return [
    ...diff.added.map((c) => ({ name: nameOf(c), change: 'added' as const, base: '', current: typeOf(c) ?? lookup('current', nameOf(c)) })),
    ...diff.removed.map((c) => ({ name: nameOf(c), change: 'removed' as const, base: typeOf(c) ?? lookup('base', nameOf(c)), current: '' })),
    ...diff.changed.map((c) => ({ name: c.name, change: 'type changed' as const, base: c.base_type, current: c.current_type })),
  ];
}

function ColumnChanges({ diff, uniqueId, name }: { diff: SchemaColumns | null | undefined; uniqueId: string; name: string }) {
  const untyped = Boolean(diff && [...diff.added, ...diff.removed].some((c) => typeOf(c) === undefined));
  const node = useNode(untyped && uniqueId.includes('.') ? uniqueId : null);
  if (!diff) return <p className="muted">No catalog entry on either side: the columns are unknown.</p>;
  const rows = columnRows(diff, node.data);
  return (
    <>
      {diff.missing && (
        <p className="muted">
          {diff.missing === 'both'
            ? 'Neither catalog has an entry for this node: its columns are unknown, nothing was compared.'
            : `The ${diff.missing} catalog has no entry for this node: its columns are unknown there.`}
        </p>
      )}
      {rows.length === 0 ? (
        <p>No column change.</p>
      ) : (
        <>
          <table className="data" aria-label={`Column changes of ${name}`}>
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
          <p className="muted small">
            <ExportButtons
              label={`Column changes of ${name}`}
              table={() => ({
                columns: ['column', 'change', 'base_type', 'current_type'].map((n) => ({ name: n, kind: 'text' })),
                rows: rows.map((r) => [r.name, r.change, r.base, r.current]),
              })}
            />
          </p>
        </>
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
          <ColumnChanges diff={n.diff} uniqueId={n.uniqueId} name={n.name} />
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

/**
 * The impacted nodes that did not change themselves, each with the changed
 * upstream nodes that impact it (the lineage's impacted_by, by name).
 */
export function impactedNodes(lineage: Lineage): { node: LineageNode; by: string[] }[] {
  const names = new Map(lineage.nodes.map((n) => [n.unique_id, n.name]));
  return lineage.nodes
    .filter((n) => n.impacted && !isChanged(n))
    .map((node) => ({ node, by: (node.impacted_by ?? []).filter((id) => id !== node.unique_id).map((id) => names.get(id) ?? id) }));
}

/** "customers, orders" or "customers, orders and 3 more". */
function nameList(names: string[], max = 3): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

const SHOWN = 50;

export function LineageDiffResult({ result, lineage }: { result: unknown; lineage: Lineage }) {
  const fromRun = adaptLineageDiff(result);
  const view = fromRun ?? fromLineage(lineage);
  const count = (c: Change) => view.nodes.filter((n) => n.change === c).length;
  const byId = new Map(lineage.nodes.map((n) => [n.unique_id, n]));
  const names = new Map(lineage.nodes.map((n) => [n.unique_id, n.name]));
  // The lineage's: a run's result counts the impacted nodes of its selection but does not list them.
  const impacted = impactedNodes(lineage);
  return (
    <div data-testid="lineage-diff-result">
      <p data-testid="lineage-counts">
        {/* lineage.Counts' words, as every output says them. */}
        {count('added') + count('removed') + count('modified')} changed ({count('added')} added, {count('removed')} removed, {count('modified')} modified)
        {view.impacted !== null && `, ${view.impacted} impacted downstream`}
        {view.selected !== null && ` (of ${view.selected} nodes)`}.
      </p>
      <ul className="plain">
        {view.nodes.slice(0, SHOWN).map((n) => {
          // A changed node may also sit downstream of another change.
          const by = (byId.get(n.uniqueId)?.impacted_by ?? []).filter((id) => id !== n.uniqueId).map((id) => names.get(id) ?? id);
          return (
            <li key={n.uniqueId}>
              <span className={`tag tag--${n.change}`}>{n.change}</span> {n.name}
              {n.reasons.length > 0 && <span className="muted small"> ({n.reasons.join(', ')})</span>}
              {by.length > 0 && <span className="muted small"> · also impacted by {nameList(by)}</span>}
            </li>
          );
        })}
      </ul>
      {view.nodes.length > SHOWN && <p className="muted">and {view.nodes.length - SHOWN} more.</p>}
      {impacted.length > 0 && (
        <>
          <h4>Impacted downstream{fromRun && ' (in the whole project)'}</h4>
          <ul className="plain" data-testid="impacted-nodes">
            {impacted.slice(0, SHOWN).map(({ node, by }) => (
              <li key={node.unique_id} data-testid={`impacted-${node.name}`}>
                <span className="tag tag--impacted">impacted</span> {node.name}
                {by.length > 0 && <span className="impacted-by"> by {nameList(by)}</span>}
              </li>
            ))}
          </ul>
          {impacted.length > SHOWN && <p className="muted">and {impacted.length - SHOWN} more.</p>}
        </>
      )}
      <Link href="/lineage">Open the lineage graph</Link>
    </div>
  );
}
