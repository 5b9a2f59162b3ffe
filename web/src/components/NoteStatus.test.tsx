import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { NoteStatusLine, noteStatusText } from './NoteStatus';

describe('note status', () => {
  it('says posted, will be posted (queued on the team server), or why not', () => {
    expect(noteStatusText({ posted: true })).toBe('Posted on the merge request.');
    expect(noteStatusText({ posted: false, queued: true, job_id: 42 })).toBe('Will be posted on the merge request shortly (job 42 in the queue).');
    expect(noteStatusText({ posted: false, reason: 'the GitLab token is read-only (read_api scope)' })).toBe(
      'Not posted on the merge request: the GitLab token is read-only (read_api scope).',
    );
  });

  it('links a posted note', () => {
    render(<NoteStatusLine note={{ posted: true, url: 'https://gitlab.com/a/-/merge_requests/1#note_5' }} />);
    expect(screen.getByRole('link', { name: 'See the note' }).getAttribute('href')).toBe('https://gitlab.com/a/-/merge_requests/1#note_5');
    expect(screen.getByTestId('note-status').dataset.note).toBe('posted');
  });
});
