import { describe, expect, it } from 'vitest';
import type { Job } from '../api/types';
import { canRetry, emptyJobsText, jobKindLabel, jobMergeRequest, nextTry } from './jobs';

const job = (over: Partial<Job>): Job => ({
  id: 1, kind: 'summary', state: 'pending', attempts: 1, max_attempts: 8, run_after: '2026-11-02T10:00:00Z', created_at: '2026-11-02T09:00:00Z', finished_at: null, ...over,
});

describe('jobs', () => {
  it('finds the merge request of a job: the server’s iid, else the summary dedupe key', () => {
    expect(jobMergeRequest(job({ dedupe_key: 'summary:42:17' }))).toBe(17);
    expect(jobMergeRequest(job({ iid: 9, dedupe_key: 'summary:42:17' }))).toBe(9);
    expect(jobMergeRequest(job({ kind: 'note' }))).toBeNull();
    expect(jobMergeRequest(job({ dedupe_key: 'something:else' }))).toBeNull();
  });

  it('has a next try only while pending, and a retry only when dead', () => {
    expect(nextTry(job({ state: 'pending' }))).toBe('2026-11-02T10:00:00Z');
    expect(nextTry(job({ state: 'dead' }))).toBeNull();
    expect(nextTry(job({ state: 'running' }))).toBeNull();
    expect(canRetry(job({ state: 'dead' }))).toBe(true);
    expect(canRetry(job({ state: 'done' }))).toBe(false);
  });

  it('names the kinds and says why a list is empty', () => {
    expect(jobKindLabel('note')).toBe('Review note');
    expect(jobKindLabel('summary')).toBe('Summary note and commit status');
    expect(jobKindLabel('webhook')).toBe('webhook');
    expect(emptyJobsText('')).toMatch(/^No job yet/);
    expect(emptyJobsText('pending')).toBe('No pending job.');
    expect(emptyJobsText('dead')).toMatch(/^No dead job/);
  });
});
