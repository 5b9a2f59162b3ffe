import type { NoteStatus } from '../api/types';

/** Says whether an approval or comment also reached the merge request, and if not, why. */
export function NoteStatusLine({ note }: { note: NoteStatus | undefined }) {
  if (!note) return null;
  return (
    <p role="status" className="muted small" data-testid="note-status">
      {note.posted ? (
        <>
          Posted on the merge request{note.url && <> (<a href={note.url}>note</a>)</>}.
        </>
      ) : (
        `Not posted on the merge request: ${note.reason ?? 'no reason given'}.`
      )}
    </p>
  );
}
