// Number formatting for results.
const int = new Intl.NumberFormat('en-US');

export const fmtInt = (n: number | null | undefined) => (n == null ? '–' : int.format(n));

export function fmtPercent(ratio: number | null | undefined, digits = 1): string {
  if (ratio == null) return '–';
  return `${(ratio * 100).toFixed(digits)} %`;
}

export function fmtSigned(n: number | null, suffix = ''): string {
  if (n === null) return '–';
  const s = Number.isInteger(n) ? int.format(n) : n.toFixed(1);
  return `${n > 0 ? '+' : ''}${s}${suffix}`;
}
