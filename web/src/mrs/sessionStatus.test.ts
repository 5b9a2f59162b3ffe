import { describe, expect, it } from 'vitest';
import type { SessionStatus } from '../api/types';
import { sessionStatus, shortSha } from './sessionStatus';

describe('sessionStatus', () => {
  it('gives every status a label, a colour and a hint that says what to do', () => {
    const all: SessionStatus[] = ['waiting', 'up_to_date', 'outdated', 'mismatch', 'failed'];
    expect(all.map((s) => sessionStatus(s).label)).toEqual(['waiting for a pipeline', 'up to date', 'outdated', 'mismatch found', 'failed']);
    expect(all.map((s) => sessionStatus(s).tone)).toEqual(['neutral', 'ok', 'warn', 'bad', 'bad']);
    expect(sessionStatus('waiting').hint).toContain('`recce upload` after `recce run`');
    expect(sessionStatus('outdated').hint).toBe('New commits since the last upload; the next pipeline’s `recce upload` refreshes it.');
    expect(sessionStatus('mismatch').hint).toMatch(/data difference.*approve or comment/);
    expect(sessionStatus('failed').hint).toMatch(/run the pipeline again/);
  });

  it('reads a missing session as waiting, and shows a status it does not know as it is', () => {
    expect(sessionStatus(null).label).toBe('waiting for a pipeline');
    expect(sessionStatus(undefined).label).toBe('waiting for a pipeline');
    expect(sessionStatus('archived_by_admin')).toMatchObject({ label: 'archived by admin', tone: 'neutral' });
  });

  it('shortens commits as GitLab does', () => {
    expect(shortSha('0123456789abcdef0123')).toBe('01234567');
    expect(shortSha('')).toBe('');
  });
});
