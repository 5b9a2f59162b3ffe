// The one module that talks to the recce server (docs/api.md). Every call
// resolves with the parsed JSON or rejects with an ApiError whose message is
// the server's `error` text, which says what to do next.
import type {
  ApiToken,
  Check,
  CheckPatch,
  Comment,
  ConnectRequest,
  DisconnectResult,
  GitLabConnection,
  Info,
  Job,
  MergeRequest,
  NewCheck,
  NodeDetail,
  Params,
  PostSummaryResult,
  QueryEnv,
  Run,
  RunType,
  Session,
  SummaryPreview,
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

/** The API prefix of the local review (what the server was started on). */
export const LOCAL_BASE = '/api';

/** The API prefix of merge request !iid's session on the team server. */
export const sessionBase = (iid: number) => `/api/mr/${iid}`;

/**
 * The endpoints of one review (lineage, nodes, checks, runs, query, state):
 * the server serves the same ones for the local review under /api and for
 * each merge request session under /api/mr/{iid} (docs/api.md). Screens get
 * theirs from the review context (review.tsx), never build paths themselves.
 */
export function reviewApi(base: string) {
  return {
    base,
    /** The download address of the state file (GET {base}/state). */
    stateUrl: `${base}/state`,
    info: () => request<Info>('GET', `${base}/info`),
    node: (uniqueId: string) => request<NodeDetail>('GET', `${base}/nodes/${enc(uniqueId)}`),
    select: (select: string, exclude: string) =>
      request<{ nodes: string[] }>('GET', `${base}/select?select=${enc(select)}&exclude=${enc(exclude)}`),

    checks: () => request<Check[]>('GET', `${base}/checks`),
    createCheck: (check: NewCheck) => request<Check>('POST', `${base}/checks`, check),
    updateCheck: (id: string, patch: CheckPatch) => request<Check>('PATCH', `${base}/checks/${enc(id)}`, patch),
    deleteCheck: (id: string) => request<void>('DELETE', `${base}/checks/${enc(id)}`),
    runCheck: (id: string) => request<Run>('POST', `${base}/checks/${enc(id)}/run`),
    approveCheck: (id: string, approved: boolean) =>
      request<Check>('POST', `${base}/checks/${enc(id)}/approve`, { approved }),
    commentCheck: (id: string, body: string) => request<Comment>('POST', `${base}/checks/${enc(id)}/comments`, { body }),
    reorderChecks: (checkIds: string[]) => request<Check[]>('POST', `${base}/checks/reorder`, { check_ids: checkIds }),

    /** Every run of a check and the latest runs of no check, newest first. */
    runs: () => request<Run[]>('GET', `${base}/runs`),
    startRun: (type: RunType, params: Params, name?: string) => request<Run>('POST', `${base}/runs`, { type, params, name }),
    run: (id: string) => request<Run>('GET', `${base}/runs/${enc(id)}`),
    cancelRun: (id: string) => request<Run>('POST', `${base}/runs/${enc(id)}/cancel`),
    query: (sqlTemplate: string, env: QueryEnv, primaryKeys?: string[]) =>
      request<Run>('POST', `${base}/query`, {
        sql_template: sqlTemplate,
        env,
        ...(primaryKeys && primaryKeys.length > 0 ? { primary_keys: primaryKeys } : {}),
      }),
    importState: (state: unknown) => request<{ checks: number; runs: number }>('POST', `${base}/state`, state),
    /** The merge request summary this review would post (markdown, status, counts). */
    summary: () => request<SummaryPreview>('GET', `${base}/summary`),
  };
}

export type ReviewApi = ReturnType<typeof reviewApi>;

/** The server-wide endpoints, and the local review's. */
export const api = {
  ...reviewApi(LOCAL_BASE),
  login: (token: string) => request<void>('POST', '/api/login', { token }),

  gitlab: () => request<GitLabConnection>('GET', '/api/integrations/gitlab'),
  connectGitLab: (req: ConnectRequest) => request<GitLabConnection>('PUT', '/api/integrations/gitlab', req),
  /** Deletes the connection, and in GitLab the project webhook it made. */
  disconnectGitLab: () => request<DisconnectResult>('DELETE', '/api/integrations/gitlab'),
  /** Creates the project's webhook (merge request events); answers as gitlab(). */
  createWebhook: () => request<GitLabConnection>('POST', '/api/integrations/gitlab/webhook/create', {}),
  mergeRequests: (state: string) =>
    request<MergeRequest[]>('GET', `/api/integrations/gitlab/merge-requests?state=${enc(state)}`),
  syncMergeRequests: () => request<{ synced: number }>('POST', '/api/integrations/gitlab/merge-requests/sync'),
  postSummary: (iid: number) =>
    request<PostSummaryResult>('POST', `/api/integrations/gitlab/merge-requests/${iid}/summary`),

  /** A merge request's session on the team server (its reviews: reviewApi(sessionBase(iid))). */
  session: (iid: number) => request<Session>('GET', sessionBase(iid)),

  apiTokens: () => request<ApiToken[]>('GET', '/api/tokens'),
  /** The answer is the only one that ever holds the token. */
  createApiToken: (name: string) => request<ApiToken>('POST', '/api/tokens', { name }),
  revokeApiToken: (id: number) => request<void>('DELETE', `/api/tokens/${id}`),

  jobs: (state: string) => request<Job[]>('GET', state ? `/api/jobs?state=${enc(state)}` : '/api/jobs'),
  retryJob: (id: number) => request<void>('POST', `/api/jobs/${id}/retry`),
};

/** Where a user creates a new personal access token on a GitLab instance. */
export function tokenSettingsUrl(gitlabUrl: string): string {
  return `${gitlabUrl.replace(/\/+$/, '').replace(/\/api\/v4$/, '')}/-/user_settings/personal_access_tokens`;
}
