import { describe, expect, it } from 'vitest';
import { runsDisabledReason } from '../api/hooks';
import type { Info } from '../api/types';
import { move } from './types';

describe('move (checklist reorder)', () => {
  it('moves an item down and up', () => {
    expect(move(['a', 'b', 'c', 'd'], 0, 2)).toEqual(['b', 'c', 'a', 'd']);
    expect(move(['a', 'b', 'c', 'd'], 3, 1)).toEqual(['a', 'd', 'b', 'c']);
  });
});

describe('runsDisabledReason', () => {
  const info = (warehouse: Info['warehouse']) => ({ mode: 'live', warehouse }) as Info;
  it('says why runs are disabled, or nothing when they can run', () => {
    expect(runsDisabledReason(info(null))).toMatch(/^Review mode/);
    expect(runsDisabledReason(info({ type: '', available: false, error: 'profiles.yml has no target dev' }))).toBe('profiles.yml has no target dev');
    expect(runsDisabledReason(info({ type: 'duckdb', available: false }))).toMatch(/duckdb warehouse is not available/);
    expect(runsDisabledReason(info({ type: 'duckdb', available: true }))).toBeNull();
    expect(runsDisabledReason(undefined)).not.toBeNull();
  });
});
