import type { NoteStatus } from '../api/types';
import { forTheWeb } from '../api/words';

/** What the note status of an approval or comment says: posted, will be posted (queued), or why not. */
export function noteStatusText(note: NoteStatus): string {
  if (note.posted) return 'Posted on the merge request.';
  if (note.queued) return `Will be posted on the merge request shortly${note.job_id ? ` (job ${note.job_id} in the queue)` : ''}.`;
  return `Not posted on the merge request: ${note.reason ? forTheWeb(note.reason) : 'no reason given'}.`;
}

/** Says whether an approval or comment also reaches the merge request, and if not, why. */
export function NoteStatusLine({ note }: { note: NoteStatus | undefined }) {
  if (!note) return null;
  return (
    <p role="status" className="muted small" data-testid="note-status" data-note={note.posted ? 'posted' : note.queued ? 'queued' : 'not-posted'}>
      {noteStatusText(note)}
      {note.posted && note.url && (
        <>
          {' '}
          <a href={note.url} target="_blank" rel="noreferrer">
            See the note
          </a>
        </>
      )}
    </p>
  );
}
