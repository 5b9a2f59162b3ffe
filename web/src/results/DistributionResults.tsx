import { adaptHistogram } from './adapters/histogram';
import { adaptTopK } from './adapters/topK';
import { HistogramChart, Legend, TopKBars } from './charts';
import { ExportButtons } from './Export';
import { fmtInt } from './format';

export function HistogramResult({ result, column, columnType }: { result: unknown; column: string; columnType: string }) {
  const h = adaptHistogram(result, columnType);
  if (h.bins.length === 0) return <p className="muted">No value to bin (the column is empty on both sides).</p>;
  const label = `Histogram of ${column}`;
  return (
    <div data-testid="histogram-result">
      <Legend />
      <HistogramChart view={h} column={column} label={`${label}: base ${fmtInt(h.baseTotal)} values, current ${fmtInt(h.currentTotal)}`} />
      <p className="muted">
        Values: base {fmtInt(h.baseTotal)}, current {fmtInt(h.currentTotal)}
        <ExportButtons
          label={label}
          table={() => ({ columns: [{ name: 'bin', kind: 'text' }, { name: 'base' }, { name: 'current' }], rows: h.bins.map((b) => [b.label, b.base, b.current]) })}
        />
      </p>
    </div>
  );
}

export function TopKResult({ result, column }: { result: unknown; column: string }) {
  const t = adaptTopK(result);
  if (t.items.length === 0) return <p className="muted">No value (the column is empty on both sides).</p>;
  return (
    <div data-testid="topk-result">
      <Legend />
      <TopKBars items={t.items} />
      <p className="muted">
        Non-null values: base {fmtInt(t.baseValids)} of {fmtInt(t.baseTotal)}, current {fmtInt(t.currentValids)} of {fmtInt(t.currentTotal)}
        <ExportButtons
          label={`Top values of ${column}`}
          table={() => ({ columns: [{ name: 'value', kind: 'text' }, { name: 'base' }, { name: 'current' }], rows: t.items.map((i) => [i.value, i.base, i.current]) })}
        />
      </p>
    </div>
  );
}
