// Small SVG charts: base (grey) against current (blue).
import { countTicks, type HistogramView } from './adapters/histogram';
import type { TopKItem } from './adapters/topK';
import { fmtInt } from './format';

const W = 640;
const H = 240;
/** Room for the count axis on the left, the value axis below. */
const LEFT = 56;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 44;

/**
 * Base and current side by side in each bin (base grey, current blue), so
 * that neither hides the other; a count axis with round ticks and a value
 * axis labelled by the column's kind.
 */
export function HistogramChart({ view, label, column }: { view: HistogramView; label: string; column: string }) {
  const { bins, ticks } = view;
  const top = Math.max(1, ...bins.map((b) => Math.max(b.base, b.current)));
  const yTicks = countTicks(top);
  const ymax = yTicks[yTicks.length - 1];
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const bw = plotW / Math.max(1, bins.length);
  const gap = bw > 6 ? Math.min(2, bw * 0.1) : 0;
  const barW = Math.max(0.5, (bw - 2 * gap) / 2);
  const y = (v: number) => TOP + plotH - (plotH * v) / ymax;
  const x = (boundary: number) => LEFT + boundary * bw;
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-testid="histogram-chart">
      {yTicks.map((t) => (
        <g key={t} className="chart__ytick">
          <line className="chart__grid" x1={LEFT} x2={W - RIGHT} y1={y(t)} y2={y(t)} />
          <text className="chart__text" x={LEFT - 6} y={y(t) + 4} textAnchor="end">
            {fmtInt(t)}
          </text>
        </g>
      ))}
      {bins.map((b, i) => (
        <g key={i} data-testid="histogram-bin">
          <title>{`${b.label}: base ${fmtInt(b.base)}, current ${fmtInt(b.current)}`}</title>
          <rect className="chart__base" x={x(i) + gap} width={barW} y={y(b.base)} height={y(0) - y(b.base)} />
          <rect className="chart__current" x={x(i) + gap + barW} width={barW} y={y(b.current)} height={y(0) - y(b.current)} />
        </g>
      ))}
      <line className="chart__axis" x1={LEFT} x2={LEFT} y1={TOP} y2={y(0)} />
      <line className="chart__axis" x1={LEFT} x2={W - RIGHT} y1={y(0)} y2={y(0)} />
      {ticks.map((t, i) => (
        <g key={t.at} className="chart__xtick">
          <line className="chart__axis" x1={x(t.at)} x2={x(t.at)} y1={y(0)} y2={y(0) + 4} />
          <text
            className="chart__text"
            x={x(t.at)}
            y={y(0) + 16}
            textAnchor={i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle'}
            data-testid="histogram-tick"
          >
            {t.label}
          </text>
        </g>
      ))}
      <text className="chart__text chart__title" x={LEFT + plotW / 2} y={H - 6} textAnchor="middle">
        {column}
      </text>
      <text className="chart__text chart__title" x={12} y={TOP + plotH / 2} textAnchor="middle" transform={`rotate(-90 12 ${TOP + plotH / 2})`}>
        rows
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
