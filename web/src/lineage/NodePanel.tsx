// The selected node: what changed, its schema and code side by side, and diffs to run.
import { lazy, memo, Suspense, useEffect, useRef } from 'react';
import { useNode } from '../api/hooks';
import type { LineageNode, NodeDetail } from '../api/types';
import { ErrorMessage, Loading } from '../components/status';
import { categoryOf } from './graph';
import { describe } from './flow';
import { NodeActions } from './NodeActions';
import { NodeRowCount } from './NodeRowCount';

const CodeDiff = lazy(() => import('../editor/CodeDiff'));

interface SchemaRow {
  name: string;
  base: string | null;
  current: string | null;
}

/** Columns of both sides: current order first, then the removed ones. */
function schemaRows(node: NodeDetail): SchemaRow[] {
  const base = new Map((node.base?.columns ?? []).map((c) => [c.name.toLowerCase(), c]));
  const rows: SchemaRow[] = (node.current?.columns ?? []).map((c) => ({
    name: c.name,
    base: base.get(c.name.toLowerCase())?.type ?? null,
    current: c.type,
  }));
  const seen = new Set(rows.map((r) => r.name.toLowerCase()));
  for (const c of node.base?.columns ?? []) if (!seen.has(c.name.toLowerCase())) rows.push({ name: c.name, base: c.type, current: null });
  return rows;
}

function SchemaTable({ node }: { node: NodeDetail }) {
  const rows = schemaRows(node);
  if (rows.length === 0) return <p className="muted">No columns known (no catalog entry).</p>;
  return (
    <table className="data" aria-label={`Schema of ${node.name}`} data-testid="schema-table">
      <thead>
        <tr>
          <th scope="col">Column</th>
          <th scope="col">Base type</th>
          <th scope="col">Current type</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const status = r.base === null ? 'added' : r.current === null ? 'removed' : r.base !== r.current ? 'changed' : '';
          return (
            <tr key={r.name} className={status ? `row--${status}` : undefined}>
              <th scope="row">
                {r.name}
                {status && <span className={`tag tag--${status}`}>{status}</span>}
              </th>
              <td>{r.base ?? '–'}</td>
              <td>{r.current ?? '–'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Code({ node }: { node: NodeDetail }) {
  const base = node.base?.code;
  const current = node.current?.code;
  if (base == null && current == null) return <p className="muted">No code (this node has none).</p>;
  if (base == null || current == null) {
    return (
      <>
        <p className="muted">Only in {base == null ? 'current' : 'base'}.</p>
        <pre className="code">{base ?? current}</pre>
      </>
    );
  }
  if (base === current) return <><p className="muted">The code is the same on both sides.</p><pre className="code">{current}</pre></>;
  return (
    <Suspense fallback={<Loading label="Loading the code diff…" />}>
      <CodeDiff base={base} current={current} />
    </Suspense>
  );
}

interface NodePanelProps {
  id: string;
  /** The node as the lineage has it: its name and change show at once, before the details arrive. */
  summary?: LineageNode;
  onClose: () => void;
  runsDisabledReason: string | null;
}

export const NodePanel = memo(function NodePanel({ id, summary, onClose, runsDisabledReason }: NodePanelProps) {
  const node = useNode(id);
  // Focus moves to the panel itself, not to a button: the Enter that selected
  // the node would otherwise press that button.
  const panelRef = useRef<HTMLElement>(null);
  useEffect(() => panelRef.current?.focus(), [id]);
  const head: LineageNode | undefined = summary ?? (node.data && { ...node.data, package_name: '', impacted: false });
  return (
    <aside
      ref={panelRef}
      tabIndex={-1}
      className="panel"
      aria-label="Node details"
      data-testid="node-panel"
      onKeyDown={(e) => e.key === 'Escape' && onClose()}
    >
      <button type="button" className="panel__close" onClick={onClose} aria-label="Close node details">
        ×
      </button>
      {head && (
        <>
          <h2>{head.name}</h2>
          <p>
            <span className={`tag tag--${categoryOf(head)}`}>{describe(head)}</span> {head.resource_type}
            {node.data?.current?.materialized && `, ${node.data.current.materialized}`}
          </p>
        </>
      )}
      {node.isPending && <Loading label="Loading the node…" />}
      {node.error && <ErrorMessage error={node.error} title="Cannot load the node" onRetry={() => node.refetch()} />}
      {node.data && (
        <>
          <p className="muted small">
            {node.data.base?.relation && <>Base: <code>{node.data.base.relation}</code> </>}
            {node.data.current?.relation && <>Current: <code>{node.data.current.relation}</code></>}
          </p>
          <NodeRowCount node={node.data} />
          <NodeActions key={id} node={node.data} disabledReason={runsDisabledReason} />
          <section>
            <h3>Schema</h3>
            <SchemaTable node={node.data} />
          </section>
          <section>
            <h3>Code</h3>
            <Code node={node.data} />
          </section>
        </>
      )}
    </aside>
  );
});
