import type { ChangeCounts } from './graph';

export function Legend({ counts, shown, total }: { counts: ChangeCounts; shown: number; total: number }) {
  const items = [
    ['added', 'added', counts.added],
    ['modified', 'modified', counts.modified],
    ['removed', 'removed', counts.removed],
    ['impacted', 'impacted downstream', counts.impacted],
    ['whitespace', 'whitespace only', counts.whitespace],
  ] as const;
  return (
    <p className="legend" data-testid="lineage-legend">
      <span>
        {shown === total ? `${total} nodes` : `${shown} of ${total} nodes shown`}:
      </span>
      {items.map(([cls, label, n]) => (
        <span key={cls} className="legend__item">
          <span className={`swatch swatch--${cls}`} aria-hidden="true" /> {n} {label}
        </span>
      ))}
    </p>
  );
}
