// The one module that talks to the recce server (docs/api.md). Every call
// resolves with the parsed JSON or rejects with an ApiError whose message is
// the server's `error` text, which says what to do next.
import type {
  Check,
  CheckPatch,
  Comment,
  ConnectRequest,
  GitLabConnection,
  Info,
  MergeRequest,
  NewCheck,
  NodeDetail,
  Params,
  PostSummaryResult,
  QueryEnv,
  Run,
  RunType,
} from './types';

export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** The answer's `detail`, if any (for example the checks of a refused GitLab token). */
  readonly detail: unknown;

  constructor(status: number, message: string, detail?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
  }
}

export const UNREACHABLE =
  'Cannot reach the recce server. Check that `recce server` is still running, then try again.';

async function errorFrom(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const fields = (body ?? {}) as { error?: unknown; detail?: unknown };
  const message =
    typeof fields.error === 'string' && fields.error !== ''
      ? fields.error
      : `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`;
  return new ApiError(res.status, message, fields.detail);
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, UNREACHABLE);
  }
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, `The server sent an answer that is not JSON (for ${method} ${path}).`);
  }
}

const enc = encodeURIComponent;

export const api = {
  login: (token: string) => request<void>('POST', '/api/login', { token }),
  info: () => request<Info>('GET', '/api/info'),
  node: (uniqueId: string) => request<NodeDetail>('GET', `/api/nodes/${enc(uniqueId)}`),
  select: (select: string, exclude: string) =>
    request<{ nodes: string[] }>('GET', `/api/select?select=${enc(select)}&exclude=${enc(exclude)}`),

  checks: () => request<Check[]>('GET', '/api/checks'),
  createCheck: (check: NewCheck) => request<Check>('POST', '/api/checks', check),
  updateCheck: (id: string, patch: CheckPatch) => request<Check>('PATCH', `/api/checks/${enc(id)}`, patch),
  deleteCheck: (id: string) => request<void>('DELETE', `/api/checks/${enc(id)}`),
  runCheck: (id: string) => request<Run>('POST', `/api/checks/${enc(id)}/run`),
  approveCheck: (id: string, approved: boolean) =>
    request<Check>('POST', `/api/checks/${enc(id)}/approve`, { approved }),
  commentCheck: (id: string, body: string) => request<Comment>('POST', `/api/checks/${enc(id)}/comments`, { body }),
  reorderChecks: (checkIds: string[]) => request<Check[]>('POST', '/api/checks/reorder', { check_ids: checkIds }),

  startRun: (type: RunType, params: Params, name?: string) => request<Run>('POST', '/api/runs', { type, params, name }),
  run: (id: string) => request<Run>('GET', `/api/runs/${enc(id)}`),
  cancelRun: (id: string) => request<Run>('POST', `/api/runs/${enc(id)}/cancel`),
  query: (sqlTemplate: string, env: QueryEnv, primaryKeys?: string[]) =>
    request<Run>('POST', '/api/query', {
      sql_template: sqlTemplate,
      env,
      ...(primaryKeys && primaryKeys.length > 0 ? { primary_keys: primaryKeys } : {}),
    }),
  importState: (state: unknown) => request<{ checks: number; runs: number }>('POST', '/api/state', state),

  gitlab: () => request<GitLabConnection>('GET', '/api/integrations/gitlab'),
  connectGitLab: (req: ConnectRequest) => request<GitLabConnection>('PUT', '/api/integrations/gitlab', req),
  disconnectGitLab: () => request<void>('DELETE', '/api/integrations/gitlab'),
  mergeRequests: (state: string) =>
    request<MergeRequest[]>('GET', `/api/integrations/gitlab/merge-requests?state=${enc(state)}`),
  syncMergeRequests: () => request<{ synced: number }>('POST', '/api/integrations/gitlab/merge-requests/sync'),
  postSummary: (iid: number) =>
    request<PostSummaryResult>('POST', `/api/integrations/gitlab/merge-requests/${iid}/summary`),
};

/** The download address of the state file (GET /api/state). */
export const STATE_URL = '/api/state';

/** Where a user creates a new personal access token on a GitLab instance. */
export function tokenSettingsUrl(gitlabUrl: string): string {
  return `${gitlabUrl.replace(/\/+$/, '').replace(/\/api\/v4$/, '')}/-/user_settings/personal_access_tokens`;
}
