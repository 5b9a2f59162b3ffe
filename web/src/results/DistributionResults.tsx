import { adaptHistogram } from './adapters/histogram';
import { adaptTopK } from './adapters/topK';
import { HistogramChart, Legend, TopKBars } from './charts';
import { fmtInt } from './format';

export function HistogramResult({ result, column }: { result: unknown; column: string }) {
  const h = adaptHistogram(result);
  if (h.bins.length === 0) return <p className="muted">No value to bin (the column is empty on both sides).</p>;
  return (
    <div data-testid="histogram-result">
      <Legend />
      <HistogramChart bins={h.bins} label={`Histogram of ${column}: base ${fmtInt(h.baseTotal)} values, current ${fmtInt(h.currentTotal)}`} />
      <p className="muted">
        Values: base {fmtInt(h.baseTotal)}, current {fmtInt(h.currentTotal)}
      </p>
    </div>
  );
}

export function TopKResult({ result }: { result: unknown }) {
  const t = adaptTopK(result);
  if (t.items.length === 0) return <p className="muted">No value (the column is empty on both sides).</p>;
  return (
    <div data-testid="topk-result">
      <Legend />
      <TopKBars items={t.items} />
      <p className="muted">
        Non-null values: base {fmtInt(t.baseValids)} of {fmtInt(t.baseTotal)}, current {fmtInt(t.currentValids)} of {fmtInt(t.currentTotal)}
      </p>
    </div>
  );
}
