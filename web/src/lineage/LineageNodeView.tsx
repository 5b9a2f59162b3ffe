import type { NodeProps } from '@xyflow/react';
import { createContext, memo, useContext } from 'react';
import { describe, type FlowNode } from './flow';

/** The node shown in the panel, and the unique_ids on its lineage path (null: nothing selected). */
export interface Highlight {
  selectedId: string | null;
  path: Set<string> | null;
}

export const HighlightContext = createContext<Highlight>({ selectedId: null, path: null });

// No handles: nothing connects, and the edge layer knows where edges end.
function LineageNodeView({ id, data }: NodeProps<FlowNode>) {
  const { node, category } = data;
  const { selectedId, path } = useContext(HighlightContext);
  const classes = ['lnode', `lnode--${category}`];
  if (node.impacted && category === 'unchanged') classes.push('lnode--impacted');
  if (selectedId === id) classes.push('lnode--selected');
  else if (path?.has(id)) classes.push('lnode--path');
  else if (path) classes.push('lnode--dim');
  return (
    <div className={classes.join(' ')} title={node.unique_id}>
      <div className="lnode__name">{node.name}</div>
      <div className="lnode__meta">
        {node.resource_type} · {describe(node)}
      </div>
    </div>
  );
}

export default memo(LineageNodeView);
