import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiToken } from '../api/types';
import { calls, renderApp, serve } from '../test/api';
import { ApiTokens } from './ApiTokens';

const SECRET = 'rcp_0123456789abcdef0123456789abcdef';

afterEach(() => vi.unstubAllGlobals());

describe('Settings > API tokens', () => {
  it('shows a new token once, copies it, and keeps it nowhere after Done', async () => {
    const list: ApiToken[] = [{ id: 1, name: 'CI upload', created_at: '2026-11-01T10:00:00Z', last_used_at: null }];
    const fetch = serve({
      'GET /api/tokens': () => [200, list],
      'POST /api/tokens': (body) => {
        const t = { id: 2, name: (body as { name: string }).name, created_at: new Date().toISOString(), last_used_at: null };
        list.push(t);
        return [201, { ...t, token: SECRET }];
      },
    });
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const { container, client } = renderApp(<ApiTokens />);

    expect(await screen.findByText('never')).toBeTruthy(); // CI upload: never used
    expect(screen.getByText(/RECCE_SERVER_API_TOKEN/)).toBeTruthy();
    const create = screen.getByTestId('api-token-create') as HTMLButtonElement;
    expect(create.disabled).toBe(true); // a token needs a name
    fireEvent.change(screen.getByLabelText('Token name'), { target: { value: 'nightly script' } });
    fireEvent.click(create);

    const value = (await screen.findByTestId('api-token-value')) as HTMLInputElement;
    expect(value.value).toBe(SECRET);
    expect(value.readOnly).toBe(true);
    expect(screen.getByTestId('api-token-shown').textContent).toContain('you will not see it again');
    expect(JSON.parse(String(fetch.mock.calls.find(([, init]) => init?.method === 'POST')![1]!.body))).toEqual({ name: 'nightly script' });
    fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(SECRET));
    expect((await screen.findByRole('status')).textContent).toContain('Copied');
    // The list shows the new token by name; no cache holds the token itself.
    await waitFor(() => expect(screen.getByText('nightly script')).toBeTruthy());
    const cached = JSON.stringify([client.getQueryCache().getAll().map((q) => q.state.data), client.getMutationCache().getAll().map((m) => m.state.data)]);
    expect(cached).not.toContain(SECRET);

    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('api-token-value')).toBeNull();
    expect(container.innerHTML).not.toContain(SECRET);
    expect(document.activeElement).toBe(screen.getByLabelText('Token name')); // ready for another
  });

  it('revokes a token after a confirmation', async () => {
    let list: ApiToken[] = [{ id: 7, name: 'old script', created_at: '2026-11-01T10:00:00Z', last_used_at: '2026-11-02T10:00:00Z' }];
    const fetch = serve({
      'GET /api/tokens': () => [200, list],
      'DELETE /api/tokens/7': () => ((list = []), [204]),
    });
    renderApp(<ApiTokens />);
    fireEvent.click(await screen.findByRole('button', { name: 'Revoke old script' }));
    const confirm = screen.getByRole('group', { name: 'Confirm revoking old script' });
    expect(calls(fetch)).not.toContain('DELETE /api/tokens/7');
    fireEvent.click(within(confirm).getByRole('button', { name: 'Keep it' }));
    expect(screen.queryByRole('group')).toBeNull();
    fireEvent.click(screen.getByTestId('api-token-revoke-7'));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, revoke' }));
    await waitFor(() => expect(calls(fetch)).toContain('DELETE /api/tokens/7'));
    expect((await screen.findByTestId('empty')).textContent).toMatch(/^No API token yet/);
  });

  it('says why a token was not created', async () => {
    serve({ 'GET /api/tokens': [200, []], 'POST /api/tokens': [422, { error: 'name the token after what uses it' }] });
    renderApp(<ApiTokens />);
    fireEvent.change(await screen.findByLabelText('Token name'), { target: { value: ' x ' } });
    fireEvent.click(screen.getByTestId('api-token-create'));
    expect((await screen.findByRole('alert')).textContent).toContain('name the token after what uses it');
    expect(screen.queryByTestId('api-token-value')).toBeNull();
  });
});
