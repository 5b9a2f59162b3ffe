// Test helpers: a fake server answering fetch by "METHOD /path", and a
// render with a fresh query client (no retries) and an in-memory location.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { vi } from 'vitest';
import { Router } from 'wouter';
import { memoryLocation } from 'wouter/memory-location';

type Answer = [number, unknown?];
export type Routes = Record<string, Answer | ((body: unknown) => Answer)>;

/** Stubs fetch: each "METHOD /path?query" answers from routes (404 otherwise); returns the mock to read the calls. */
export function serve(routes: Routes) {
  const fetch = vi.fn(async (path: string, init?: RequestInit) => {
    const route = routes[`${init?.method ?? 'GET'} ${path}`];
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const [status, payload] = typeof route === 'function' ? route(body) : (route ?? [404, { error: `no route ${init?.method ?? 'GET'} ${path}` }]);
    return new Response(payload === undefined || status === 204 ? null : JSON.stringify(payload), { status });
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

/** The "METHOD path" of every request made so far. */
export const calls = (fetch: ReturnType<typeof serve>) => fetch.mock.calls.map(([path, init]) => `${init?.method ?? 'GET'} ${path}`);

export function renderApp(ui: ReactNode, path = '/') {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const location = memoryLocation({ path, record: true });
  const result = render(
    <QueryClientProvider client={client}>
      <Router hook={location.hook}>{ui}</Router>
    </QueryClientProvider>,
  );
  return { ...result, client, location };
}
