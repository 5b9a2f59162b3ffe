// Key figures of a result, e.g. rows added / removed / modified, coloured by what they mean.
export interface Figure {
  label: string;
  value: string;
  /** up: an addition, down: a removal, changed: a modification (coloured only when not zero). */
  tone?: 'up' | 'down' | 'changed';
  hidden?: boolean;
}

export function Figures({ items }: { items: Figure[] }) {
  return (
    <dl className="figures">
      {items
        .filter((f) => !f.hidden)
        .map((f) => (
          <div key={f.label} className={f.tone && f.value !== '0' && f.value !== '–' ? f.tone : undefined}>
            <dt>{f.label}</dt>
            <dd>{f.value}</dd>
          </div>
        ))}
    </dl>
  );
}
