import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, request, reviewApi, sessionBase, tokenSettingsUrl, UNREACHABLE } from './client';

function answer(status: number, body?: unknown, statusText = '') {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  return vi.fn(async (_path: string, _init?: RequestInit) => new Response(status === 204 ? null : text, { status, statusText }));
}

afterEach(() => vi.unstubAllGlobals());

describe('request', () => {
  it('returns the parsed JSON', async () => {
    vi.stubGlobal('fetch', answer(200, { ok: true }));
    await expect(request('GET', '/api/health')).resolves.toEqual({ ok: true });
  });

  it("rejects with the server's error text and detail", async () => {
    const detail = { mode: 'none', checks: [{ name: 'token_active', ok: false }] };
    vi.stubGlobal('fetch', answer(422, { error: 'The token expired on 2026-01-31: create a new one.', detail }));
    const err = await request('PUT', '/api/integrations/gitlab', {}).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 422, message: 'The token expired on 2026-01-31: create a new one.', detail });
  });

  it('names the status when the error body is not JSON', async () => {
    vi.stubGlobal('fetch', answer(502, '<html>Bad gateway</html>', 'Bad Gateway'));
    await expect(request('GET', '/api/info')).rejects.toMatchObject({ status: 502, message: 'The server answered 502 Bad Gateway.' });
  });

  it('says when the server cannot be reached', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')));
    await expect(request('GET', '/api/info')).rejects.toMatchObject({ status: 0, message: UNREACHABLE });
  });

  it('resolves 204 to undefined and rejects a success that is not JSON', async () => {
    vi.stubGlobal('fetch', answer(204));
    await expect(request('DELETE', '/api/checks/1')).resolves.toBeUndefined();
    vi.stubGlobal('fetch', answer(200, 'not json'));
    await expect(request('GET', '/api/info')).rejects.toBeInstanceOf(ApiError);
  });

  it('sends JSON bodies and encodes path and query parts', async () => {
    const fetch = answer(200, { nodes: [] });
    vi.stubGlobal('fetch', fetch);
    await api.select('state:modified+', 'tag:a b');
    expect(fetch.mock.calls[0][0]).toBe('/api/select?select=state%3Amodified%2B&exclude=tag%3Aa%20b');
    await api.node('model.shop.a/b');
    expect(fetch.mock.calls[1][0]).toBe('/api/nodes/model.shop.a%2Fb');
    await api.query('select 1', 'diff', ['id']);
    expect(fetch.mock.calls[2][1]).toMatchObject({ method: 'POST', body: '{"sql_template":"select 1","env":"diff","primary_keys":["id"]}' });
  });
});

describe('review API prefix', () => {
  const paths = async (r: ReturnType<typeof reviewApi>) => {
    const fetch = answer(200, {});
    vi.stubGlobal('fetch', fetch);
    await r.info();
    await r.node('model.shop.a/b');
    await r.select('a+', '');
    await r.checks();
    await r.createCheck({ type: 'row_count_diff', params: {} });
    await r.approveCheck('c1', true);
    await r.commentCheck('c1', 'ok');
    await r.reorderChecks(['c1']);
    await r.runCheck('c1');
    await r.startRun('row_count_diff', {});
    await r.run('r1');
    await r.cancelRun('r1');
    await r.query('select 1', 'current');
    await r.importState({});
    return fetch.mock.calls.map(([path, init]) => `${init?.method ?? 'GET'} ${path}`);
  };

  it("serves a merge request's session under /api/mr/{iid}, with the same paths as the local review", async () => {
    const local = await paths(api);
    const session = await paths(reviewApi(sessionBase(12)));
    expect(local[0]).toBe('GET /api/info');
    expect(session[0]).toBe('GET /api/mr/12/info');
    expect(session).toEqual(local.map((c) => c.replace(' /api/', ' /api/mr/12/')));
    expect(session).toContain('POST /api/mr/12/checks/c1/approve');
    expect(session).toContain('GET /api/mr/12/nodes/model.shop.a%2Fb');
    expect(reviewApi(sessionBase(12)).stateUrl).toBe('/api/mr/12/state');
    expect(api.stateUrl).toBe('/api/state');
  });

  it('keeps the server-wide endpoints outside any review', async () => {
    const fetch = answer(200, []);
    vi.stubGlobal('fetch', fetch);
    await api.session(12);
    await api.apiTokens();
    await api.createApiToken('CI');
    await api.revokeApiToken(3);
    await api.jobs('');
    await api.jobs('dead');
    await api.retryJob(9);
    expect(fetch.mock.calls.map(([path, init]) => `${init?.method ?? 'GET'} ${path}`)).toEqual([
      'GET /api/mr/12',
      'GET /api/tokens',
      'POST /api/tokens',
      'DELETE /api/tokens/3',
      'GET /api/jobs',
      'GET /api/jobs?state=dead',
      'POST /api/jobs/9/retry',
    ]);
  });
});

describe('tokenSettingsUrl', () => {
  it('points at the personal access token page of the instance', () => {
    expect(tokenSettingsUrl('https://gitlab.com')).toBe('https://gitlab.com/-/user_settings/personal_access_tokens');
    expect(tokenSettingsUrl('https://git.example.com/gitlab/api/v4/')).toBe('https://git.example.com/gitlab/-/user_settings/personal_access_tokens');
  });
});
