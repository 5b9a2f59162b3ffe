// A side panel over the right of the canvas, resizable by dragging its left
// edge or with the arrow keys on it; its width is kept for the next visit.
// Over the canvas rather than beside it, so that opening or resizing it
// never resizes the canvas (which made React Flow recompute every node).
import { type KeyboardEvent, type PointerEvent, type ReactNode, useEffect, useRef, useState } from 'react';

export const PANEL_MIN = 320;
export const PANEL_DEFAULT = 520;
/** What the panel leaves of the canvas, at least. */
const CANVAS_MIN = 160;
const STEP = 40;
const KEY = 'recce.lineage.panelWidth';

export function savedPanelWidth(): number {
  try {
    const w = Number(localStorage.getItem(KEY));
    return Number.isFinite(w) && w >= PANEL_MIN ? w : PANEL_DEFAULT;
  } catch {
    return PANEL_DEFAULT;
  }
}

function save(width: number) {
  try {
    localStorage.setItem(KEY, String(Math.round(width)));
  } catch {
    // Private windows may refuse: the width is simply not kept.
  }
}

/** The widest the panel may be in a container of this width (no limit known: 2,000 px). */
export function panelMax(container: number): number {
  return container > 0 ? Math.max(PANEL_MIN, container - CANVAS_MIN) : 2000;
}

export function ResizablePanel({ width, onResize, children }: { width: number; onResize: (w: number) => void; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const drag = useRef<{ x: number; width: number } | null>(null);
  // The container's width, for the largest width allowed.
  const [container, setContainer] = useState(0);
  useEffect(() => {
    const parent = ref.current?.parentElement;
    if (!parent) return;
    const ro = new ResizeObserver(() => setContainer(parent.clientWidth));
    ro.observe(parent);
    return () => ro.disconnect();
  }, []);
  const max = panelMax(container);
  const set = (w: number, keep: boolean) => {
    const clamped = Math.round(Math.min(max, Math.max(PANEL_MIN, w)));
    onResize(clamped);
    if (keep) save(clamped);
  };
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture?.(e.pointerId);
    drag.current = { x: e.clientX, width };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    if (drag.current) set(drag.current.width + drag.current.x - e.clientX, false);
  };
  const onPointerUp = (e: PointerEvent<HTMLDivElement>) => {
    if (!drag.current) return;
    set(drag.current.width + drag.current.x - e.clientX, true);
    drag.current = null;
  };
  // Widen: as wide as the canvas allows (a profile's many columns), and back.
  const [narrow, setNarrow] = useState<number | null>(null);
  const wide = narrow !== null && width >= max;
  const toggleWide = () => {
    if (wide) {
      set(narrow, true);
      setNarrow(null);
    } else {
      setNarrow(width);
      set(max, true);
    }
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const next = { ArrowLeft: width + STEP, ArrowRight: width - STEP, Home: max, End: PANEL_MIN }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    set(next, true);
  };
  return (
    <div ref={ref} className="lineage__panel" style={{ width: Math.min(width, max) }} data-testid="node-panel-frame">
      <div
        role="separator"
        aria-orientation="vertical"
        aria-label="Resize the node panel"
        aria-valuenow={width}
        aria-valuemin={PANEL_MIN}
        aria-valuemax={max}
        tabIndex={0}
        className="lineage__resizer"
        data-testid="panel-resizer"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onKeyDown={onKeyDown}
        title="Drag to resize (or use the arrow keys)"
      />
      <button type="button" className="lineage__widen" data-testid="panel-widen" aria-pressed={wide} onClick={toggleWide}>
        {wide ? 'Narrow' : 'Widen'}
      </button>
      {children}
    </div>
  );
}
