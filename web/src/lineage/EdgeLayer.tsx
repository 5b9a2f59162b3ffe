// The edge layer (edges.ts): a few SVG paths in React Flow's viewport,
// under the nodes, in flow coordinates with strokes of constant width on
// screen. It changes only with the region of the graph held around the
// view, the selection, and steps of zoom (how strongly plain edges show).
import { type Rect, useStore, ViewportPortal } from '@xyflow/react';
import { useMemo } from 'react';
import { backgroundStrength, drawnCount, EVERYWHERE, pathData, planEdges, showsBackground } from './edges';
import type { LineagePath } from './path';

export function EdgeLayer({ classes, geo, path, region }: { classes: Uint8Array; geo: Float64Array; path: LineagePath | null; region: Rect | null }) {
  const strength = useStore((s) => backgroundStrength(s.transform[2]));
  const plan = useMemo(() => planEdges(classes, geo, path, region ?? EVERYWHERE), [classes, geo, path, region]);
  const d = useMemo(
    () => ({
      background: pathData(plan.background, geo),
      telling: pathData(plan.telling, geo),
      added: pathData(plan.added, geo),
      removed: pathData(plan.removed, geo),
      path: pathData(plan.path, geo),
    }),
    [plan, geo],
  );
  const dim = plan.dimmed ? 0.25 : 1;
  return (
    <ViewportPortal>
      <svg className="edge-layer" aria-hidden="true" data-testid="edge-layer" data-edges-drawn={drawnCount(plan, strength)}>
        {showsBackground(plan, strength) && d.background && (
          <path className="edge-layer__background" d={d.background} strokeOpacity={0.8 * strength * dim} />
        )}
        {d.telling && <path className="edge-layer__telling" d={d.telling} strokeOpacity={0.7 * dim} />}
        {d.added && <path className="edge-layer__added" d={d.added} strokeOpacity={dim} />}
        {d.removed && <path className="edge-layer__removed" d={d.removed} strokeOpacity={dim} />}
        {d.path && <path className="edge-layer__path" d={d.path} />}
      </svg>
    </ViewportPortal>
  );
}
