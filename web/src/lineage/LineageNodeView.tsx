import { Handle, type NodeProps, Position } from '@xyflow/react';
import { createContext, memo, useContext } from 'react';
import { describe, type FlowNode } from './flow';

/** The unique_id of the node shown in the panel. */
export const SelectedContext = createContext<string | null>(null);

function LineageNodeView({ id, data }: NodeProps<FlowNode>) {
  const { node, category } = data;
  const selected = useContext(SelectedContext) === id;
  const classes = ['lnode', `lnode--${category}`];
  if (node.impacted && category === 'unchanged') classes.push('lnode--impacted');
  if (selected) classes.push('lnode--selected');
  return (
    <div className={classes.join(' ')} title={node.unique_id}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="lnode__name">{node.name}</div>
      <div className="lnode__meta">
        {node.resource_type} · {describe(node)}
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
}

export default memo(LineageNodeView);
