// Loading, error and empty states, used by every screen.
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';
import { forTheWeb } from '../api/words';

export function Loading({ label }: { label: string }) {
  return (
    <div className="state state--loading" role="status" aria-live="polite" data-testid="loading">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

/** The error's message: for API errors, the server's `error` text, which says what to do (in the app's words). */
function errorText(error: unknown): string {
  return forTheWeb(error instanceof ApiError || error instanceof Error ? error.message : String(error));
}

export function ErrorMessage({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  return (
    <div className="state state--error" role="alert" data-testid="error">
      {title && <strong>{title}: </strong>}
      <span>{errorText(error)}</span>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <div className="state state--empty" data-testid="empty">
      {children}
    </div>
  );
}

/** A determinate progress bar when the percentage is known (0..1 or 0..100), else an indeterminate one. */
export function Progress({ label, percentage }: { label: string; percentage?: number | null }) {
  const pct = percentage == null ? null : Math.round(percentage <= 1 ? percentage * 100 : percentage);
  return (
    <div className="progress" data-testid="progress">
      <div
        className={pct === null ? 'progress__bar progress__bar--indeterminate' : 'progress__bar'}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct ?? undefined}
      >
        <div className="progress__fill" style={pct === null ? undefined : { width: `${pct}%` }} />
      </div>
      <span className="progress__label">
        {label}
        {pct !== null && ` (${pct}%)`}
      </span>
    </div>
  );
}

/**
 * Why some buttons are disabled (review mode, read-only GitLab token...). Give
 * those buttons `aria-describedby={id}` so that the reason is read with them.
 */
export function DisabledReason({ id, reason }: { id: string; reason: string | null }) {
  if (!reason) return null;
  return (
    <p id={id} className="reason" data-testid="disabled-reason">
      {forTheWeb(reason)}
    </p>
  );
}
