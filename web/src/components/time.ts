// Times as the reader's locale writes them.

/** A date and time; '' for none. */
export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '');

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
];

/** How long ago (or in how long) a time is: "5 minutes ago", "in 30 seconds"; '' for none. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  let n = (new Date(iso).getTime() - now) / 1000;
  if (Number.isNaN(n)) return '';
  const fmt = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, size] of STEPS) {
    if (Math.abs(n) < size) return fmt.format(Math.round(n), unit);
    n /= size;
  }
  return '';
}
