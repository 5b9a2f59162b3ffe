import { ago, when } from './time';

/** A time shown relative to now ("5 minutes ago"), with the exact time on hover and for screen readers. */
export function Time({ iso, fallback = '' }: { iso: string | null | undefined; fallback?: string }) {
  if (!iso) return <>{fallback}</>;
  return (
    <time dateTime={iso} title={when(iso)}>
      {ago(iso)}
    </time>
  );
}
