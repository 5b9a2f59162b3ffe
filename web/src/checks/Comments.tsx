import { type FormEvent, useState } from 'react';
import { useCommentCheck } from '../api/hooks';
import type { Check } from '../api/types';
import { NoteStatusLine } from '../components/NoteStatus';
import { ErrorMessage } from '../components/status';

export function Comments({ check, readOnlyGitLab }: { check: Check; readOnlyGitLab: boolean }) {
  const [body, setBody] = useState('');
  const add = useCommentCheck();
  const comments = check.comments ?? [];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (body.trim() === '') return;
    add.mutate({ id: check.check_id, body }, { onSuccess: () => setBody('') });
  };
  return (
    <section className="comments" aria-label="Comments">
      <h3>Comments</h3>
      {comments.length === 0 ? (
        <p className="muted">No comment yet.</p>
      ) : (
        <ul className="plain" data-testid="comments">
          {comments.map((c) => (
            <li key={c.id}>
              <p className="muted small">
                {c.author ?? 'someone'} · {new Date(c.created_at).toLocaleString()}
              </p>
              <p className="comment__body">{c.body}</p>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={submit}>
        <textarea
          aria-label="New comment"
          data-testid="comment-input"
          rows={2}
          value={body}
          onChange={(e) => setBody(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
          }}
        />
        <button type="submit" disabled={add.isPending || body.trim() === ''}>
          Add comment
        </button>
        {readOnlyGitLab && <span className="muted small"> (not posted on GitLab: read-only token)</span>}
      </form>
      <NoteStatusLine note={add.data?.note} />
      {add.error && <ErrorMessage error={add.error} title="Cannot add the comment" />}
    </section>
  );
}
