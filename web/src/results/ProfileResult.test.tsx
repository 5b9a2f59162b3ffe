import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { profileDiff } from '../__fixtures__/results';
import { ProfileResult } from './ProfileResult';

// Row headers by CSS query: role queries are slow on a table this wide.
const rows = () => [...document.querySelectorAll('[data-testid="profile-result"] tbody th')].map((th) => th.textContent);

describe('the profile table', () => {
  it('shows only the changed columns when asked: a metric that differs, or a column added or removed', () => {
    const same = ['unchanged_col', 'VARCHAR', 100, 1, 1, 100, true, 'a', 'z', null, null];
    const result = {
      base: { ...profileDiff.base, data: [...profileDiff.base.data, same] },
      current: { ...profileDiff.current, data: [...profileDiff.current.data, same] },
    };
    render(<ProfileResult result={result} />);
    expect(rows()).toEqual(['customer_id', 'customer_lifetime_value', 'segmentadded', 'unchanged_col']);
    const filter = screen.getByTestId('profile-changed-only');
    expect(filter.closest('label')!.textContent).toContain('Changed columns only (3 of 4)');
    fireEvent.click(filter);
    expect(rows()).toEqual(['customer_id', 'customer_lifetime_value', 'segmentadded']);
    fireEvent.click(filter);
    expect(rows()).toHaveLength(4);
  });

  it('says so when no column changed', () => {
    render(<ProfileResult result={{ base: profileDiff.base, current: profileDiff.base }} />);
    fireEvent.click(screen.getByTestId('profile-changed-only'));
    expect(screen.getByText('No column changed.')).toBeTruthy();
  });
});
