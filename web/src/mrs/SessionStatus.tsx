// A session's status as a coloured label, and the line that says what it means.
import { Fragment } from 'react';
import { sessionStatus } from './sessionStatus';

/** Text with `code` spans. */
export function WithCode({ text }: { text: string }) {
  return (
    <>
      {text.split('`').map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : <Fragment key={i}>{part}</Fragment>))}
    </>
  );
}

export function SessionStatusBadge({ iid, status }: { iid: number; status: string | null | undefined }) {
  const s = sessionStatus(status);
  return (
    <span className={`status status--${s.tone}`} data-testid={`session-status-${iid}`} data-status={status ?? 'waiting'} title={s.hint.replace(/`/g, '')}>
      {s.label}
    </span>
  );
}

export function SessionStatusHint({ status }: { status: string | null | undefined }) {
  return (
    <span className="status-hint">
      <WithCode text={sessionStatus(status).hint} />
    </span>
  );
}
