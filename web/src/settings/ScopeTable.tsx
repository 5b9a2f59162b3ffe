import { currentScope, SCOPE_ROWS } from './scopes';

/** The seed's scope table, with the row of the current token (if any) highlighted. */
export function ScopeTable({ scopes }: { scopes?: readonly string[] | null }) {
  const current = currentScope(scopes);
  return (
    <table className="data scopes" aria-label="Token scopes" data-testid="scope-table">
      <thead>
        <tr>
          <th scope="col">Scope</th>
          <th scope="col">Permissions</th>
          <th scope="col">Features available</th>
        </tr>
      </thead>
      <tbody>
        {SCOPE_ROWS.map((row) => {
          const isCurrent = row.scope === current;
          return (
            <tr
              key={row.scope}
              className={isCurrent ? 'scopes__current' : undefined}
              aria-current={isCurrent ? 'true' : undefined}
              data-testid={`scope-row-${row.scope}`}
              data-current={isCurrent ? 'true' : 'false'}
            >
              <th scope="row">
                <code>{row.scope}</code>
                {isCurrent && <span className="tag tag--current">your token</span>}
              </th>
              <td>{row.permissions}</td>
              <td>
                <ul className="plain">
                  {row.features.map((f) => (
                    <li key={f.text}>• {f.strong ? <strong>{f.text}</strong> : f.text}</li>
                  ))}
                </ul>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
