// The token scopes table of the GitLab personal access token guide (the
// seed), and which row a token's scopes match.

export interface ScopeRow {
  scope: 'api' | 'read_api';
  permissions: string;
  features: { text: string; strong?: boolean }[];
}

export const SCOPE_ROWS: ScopeRow[] = [
  {
    scope: 'api',
    permissions: 'Full API access (read and write)',
    features: [
      { text: 'View and track merge requests' },
      { text: 'Receive generated summaries and notes on MRs from Recce', strong: true },
      { text: 'Full integration capabilities' },
    ],
  },
  {
    scope: 'read_api',
    permissions: 'Read-only API access',
    features: [
      { text: 'View and track merge requests' },
      { text: 'Cannot receive generated summaries and notes on MRs from Recce', strong: true },
    ],
  },
];

/** The row that describes a token with these scopes: api wins over read_api; null if neither. */
export function currentScope(scopes: readonly string[] | null | undefined): ScopeRow['scope'] | null {
  if (!scopes) return null;
  if (scopes.includes('api')) return 'api';
  if (scopes.includes('read_api')) return 'read_api';
  return null;
}

export const MODE_LABELS = {
  full: 'Full integration',
  read_only: 'Read-only',
  none: 'Not usable',
} as const;

/** GitLab's access levels (members API). */
export function roleName(role: string | undefined, accessLevel: number | undefined): string {
  if (role) return role.charAt(0).toUpperCase() + role.slice(1);
  const levels: Record<number, string> = { 5: 'Minimal access', 10: 'Guest', 15: 'Planner', 20: 'Reporter', 30: 'Developer', 40: 'Maintainer', 50: 'Owner' };
  return accessLevel === undefined ? 'unknown' : (levels[accessLevel] ?? `access level ${accessLevel}`);
}
