import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { currentScope, roleName } from './scopes';
import { ScopeTable } from './ScopeTable';

describe('currentScope', () => {
  it.each([
    [['api'], 'api'],
    [['read_api'], 'read_api'],
    [['read_api', 'api', 'read_user'], 'api'],
    [['read_user'], null],
    [[], null],
    [undefined, null],
  ])('%j -> %s', (scopes, want) => expect(currentScope(scopes)).toBe(want));
});

describe('ScopeTable', () => {
  const current = () => screen.getAllByRole('row').filter((r) => r.getAttribute('aria-current') === 'true');

  it("highlights the row of a read_api token and says it is the user's", () => {
    render(<ScopeTable scopes={['read_api']} />);
    expect(current()).toHaveLength(1);
    expect(current()[0].dataset.testid).toBe('scope-row-read_api');
    expect(within(current()[0]).getByText('your token')).toBeTruthy();
    expect(within(current()[0]).getByText('Cannot receive generated summaries and notes on MRs from Recce')).toBeTruthy();
  });

  it('highlights api when the token has both', () => {
    render(<ScopeTable scopes={['read_api', 'api']} />);
    expect(current().map((r) => r.dataset.testid)).toEqual(['scope-row-api']);
  });

  it('highlights nothing without a token', () => {
    render(<ScopeTable />);
    expect(current()).toHaveLength(0);
    expect(screen.getAllByRole('row')).toHaveLength(3);
  });
});

describe('roleName', () => {
  it('prefers the role name, else maps the access level', () => {
    expect(roleName('maintainer', 40)).toBe('Maintainer');
    expect(roleName(undefined, 30)).toBe('Developer');
    expect(roleName(undefined, undefined)).toBe('unknown');
  });
});
