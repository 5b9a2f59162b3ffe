import { describe, expect, it } from 'vitest';
import { ago } from './time';

describe('ago', () => {
  const now = Date.parse('2026-11-02T12:00:00Z');
  it('says how long ago, or in how long', () => {
    expect(ago('2026-11-02T11:55:00Z', now)).toMatch(/5 minutes ago/);
    expect(ago('2026-11-02T09:00:00Z', now)).toMatch(/3 hours ago/);
    expect(ago('2026-10-30T12:00:00Z', now)).toMatch(/3 days ago/);
    expect(ago('2026-11-02T12:00:30Z', now)).toMatch(/in 30 seconds/);
  });
  it('is empty for no time or a bad one', () => {
    expect(ago(null, now)).toBe('');
    expect(ago('not a date', now)).toBe('');
  });
});
