// Small SVG charts: base (grey) against current (blue).
import type { HistogramBin } from './adapters/histogram';
import type { TopKItem } from './adapters/topK';
import { fmtInt } from './format';

const W = 560;
const H = 180;
const PAD = 24;

export function HistogramChart({ bins, label }: { bins: HistogramBin[]; label: string }) {
  const max = Math.max(1, ...bins.map((b) => Math.max(b.base, b.current)));
  const bw = (W - 2 * PAD) / Math.max(1, bins.length);
  const h = (v: number) => ((H - 2 * PAD) * v) / max;
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-testid="histogram-chart">
      {bins.map((b, i) => (
        <g key={i}>
          <title>{`${b.label}: base ${fmtInt(b.base)}, current ${fmtInt(b.current)}`}</title>
          <rect className="chart__base" x={PAD + i * bw} width={Math.max(1, bw - 1)} y={H - PAD - h(b.base)} height={h(b.base)} />
          <rect className="chart__current" x={PAD + i * bw + bw * 0.2} width={Math.max(1, bw * 0.6 - 1)} y={H - PAD - h(b.current)} height={h(b.current)} />
        </g>
      ))}
      <line className="chart__axis" x1={PAD} x2={W - PAD} y1={H - PAD} y2={H - PAD} />
      <text className="chart__text" x={PAD} y={H - 6}>
        {bins[0]?.label.split(' – ')[0]}
      </text>
      <text className="chart__text" x={W - PAD} y={H - 6} textAnchor="end">
        {bins[bins.length - 1]?.label.split(' – ').pop()}
      </text>
      <text className="chart__text" x={PAD} y={PAD - 8}>
        max {fmtInt(max)}
      </text>
    </svg>
  );
}

export function TopKBars({ items }: { items: TopKItem[] }) {
  const max = Math.max(1, ...items.map((i) => Math.max(i.base, i.current)));
  return (
    <table className="data topk" data-testid="topk-chart" aria-label="Most frequent values, base and current">
      <thead>
        <tr>
          <th scope="col">Value</th>
          <th scope="col">Base</th>
          <th scope="col">Current</th>
          <th scope="col" aria-label="Bars" />
        </tr>
      </thead>
      <tbody>
        {items.map((it, i) => (
          <tr key={i}>
            <td className={it.value === null ? 'null' : undefined}>{it.value ?? 'NULL'}</td>
            <td className="num">{fmtInt(it.base)}</td>
            <td className={it.base !== it.current ? 'num changed' : 'num'}>{fmtInt(it.current)}</td>
            <td className="bars" aria-hidden="true">
              <span className="bar bar--base" style={{ width: `${(100 * it.base) / max}%` }} />
              <span className="bar bar--current" style={{ width: `${(100 * it.current) / max}%` }} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Legend() {
  return (
    <p className="chart-legend" aria-hidden="true">
      <span className="swatch swatch--base" /> base <span className="swatch swatch--current" /> current
    </p>
  );
}
