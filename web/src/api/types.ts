// Types of the recce server API (docs/api.md). Fields the server may leave
// out are optional; renderers must tolerate their absence.

export type Change = 'added' | 'removed' | 'modified' | 'unchanged';
export type Reason = 'code' | 'whitespace' | 'config' | 'relation' | 'contract' | 'macros';

export interface ColumnChange {
  name: string;
  base_type: string;
  current_type: string;
}

export interface ColumnsDiff {
  added: string[];
  removed: string[];
  changed: ColumnChange[];
  /** The catalog ("base" or "current") that lacks the node: columns unknown there. */
  missing?: string;
}

/** A node of `recce lineage-diff --format json`. */
export interface LineageNode {
  unique_id: string;
  name: string;
  resource_type: string;
  package_name: string;
  materialized?: string;
  change: Change;
  reasons: Reason[];
  impacted: boolean;
  /** The changed upstream nodes (unique_ids) that make an impacted node impacted; absent from an older server. */
  impacted_by?: string[] | null;
  columns?: ColumnsDiff | null;
}

export interface LineageEdge {
  source: string;
  target: string;
  change: Change;
}

export interface LineageEnv {
  dbt_version: string;
  generated_at: string;
  project_name: string;
  adapter_type?: string;
  schema?: string;
  database?: string;
  has_catalog: boolean;
}

export interface Lineage {
  base: LineageEnv;
  current: LineageEnv;
  nodes: LineageNode[];
  edges: LineageEdge[];
}

export type GitLabMode = 'full' | 'read_only' | 'none';

export interface PullRequest {
  id?: number | string;
  title?: string;
  url?: string;
  branch?: string;
  base_branch?: string;
  repository?: string;
}

/** Whether an approval or comment was also posted on the merge request. */
export interface NoteStatus {
  /** True once the note is on GitLab. */
  posted: boolean;
  /** The note waits in the server's job queue: it will be posted shortly (team server). */
  queued?: boolean;
  job_id?: number;
  url?: string;
  /** Why it will not be posted (read-only token, not connected...). */
  reason?: string;
}

export interface Info {
  /**
   * session: a merge request's session (GET /api/mr/{iid}/info); team: a
   * server of merge request sessions only (`recce server --team`), with no
   * local review: lineage is null and the local review's endpoints answer 409.
   */
  mode: 'live' | 'review' | 'demo' | 'session' | 'team';
  /** null in review mode: no query can run. */
  warehouse: { type: string; available: boolean; error?: string } | null;
  pull_request?: PullRequest | null;
  /** null on a team server (no local review). */
  lineage: Lineage | null;
  gitlab?: { connected: boolean; mode: GitLabMode } | null;
  /** A session's review only: the session (as GET /api/mr/{iid}). */
  session?: Session | null;
}

export interface NodeSide {
  relation?: string;
  materialized?: string;
  code?: string;
  columns?: { name: string; type: string }[];
}

export interface NodeDetail {
  unique_id: string;
  name: string;
  resource_type: string;
  change: Change;
  reasons: Reason[];
  base: NodeSide | null;
  current: NodeSide | null;
  columns?: ColumnsDiff | null;
  primary_key?: string[] | null;
}

export type RunStatus = 'Running' | 'Finished' | 'Failed' | 'Cancelled';

export type RunType =
  | 'lineage_diff'
  | 'schema_diff'
  | 'row_count_diff'
  | 'value_diff'
  | 'value_diff_detail'
  | 'profile_diff'
  | 'query'
  | 'query_base'
  | 'query_diff'
  | 'top_k_diff'
  | 'histogram_diff'
  | 'simple';

export type Params = Record<string, unknown>;

export interface Run {
  run_id: string;
  check_id?: string | null;
  type: RunType;
  name?: string;
  params: Params;
  status: RunStatus;
  result: unknown;
  error?: string | null;
  progress?: { message?: string; percentage?: number | null } | null;
  run_at: string;
}

export interface Comment {
  id: string;
  body: string;
  author?: string;
  created_at: string;
  /** In answers to a new comment. */
  note?: NoteStatus;
}

/** What a check's latest run says (check.Assess on the server): as `recce run` and the summary say it. */
export type Verdict = 'clean' | 'mismatch' | 'info' | 'incomplete';

export interface Outcome {
  verdict: Verdict;
  /** Why, in one line: figures, the error, "not run", "still running", "note". */
  reason: string;
  /** Where a mismatch was found (model names). */
  nodes?: string[];
}

export interface Check {
  check_id: string;
  name: string;
  description?: string;
  type: RunType;
  params: Params;
  view_options?: Record<string, unknown> | null;
  is_checked: boolean;
  is_preset?: boolean;
  created_at: string;
  updated_at: string;
  last_run?: Run | null;
  comments?: Comment[];
  /** The verdict of the latest run; absent from an older server (the app then reads last_run). */
  outcome?: Outcome | null;
  /** In answers to approve. */
  note?: NoteStatus;
}

export interface NewCheck {
  type: RunType;
  params: Params;
  name?: string;
  description?: string;
  run_id?: string;
}

export type CheckPatch = Partial<Pick<Check, 'name' | 'description' | 'params' | 'view_options' | 'is_checked'>>;

export type QueryEnv = 'current' | 'base' | 'diff';

export interface GitLabCheck {
  name: string;
  ok: boolean;
  severity: 'error' | 'warning' | 'info';
  message: string;
  hint?: string;
}

export interface GitLabToken {
  name?: string;
  scopes?: string[];
  expires_at?: string | null;
  days_left?: number | null;
}

export interface GitLabConnection {
  connected: boolean;
  mode?: GitLabMode;
  gitlab_url?: string;
  project?: { id?: number; path?: string; access_level?: number; role?: string; web_url?: string } | null;
  user?: { id?: number; username?: string; name?: string } | null;
  token?: GitLabToken | null;
  checks?: GitLabCheck[];
  webhook?: { url?: string; configured?: boolean } | null;
  checked_at?: string;
}

/** `detail` of a 422 answer to PUT /api/integrations/gitlab. */
export interface GitLabRejection {
  mode?: GitLabMode;
  checks?: GitLabCheck[];
  token?: GitLabToken | null;
  user?: GitLabConnection['user'];
  project?: GitLabConnection['project'];
}

/** DELETE /api/integrations/gitlab: what became of the project webhook the connection made. */
export interface DisconnectResult {
  disconnected: boolean;
  webhook: { id: number; deleted: boolean; error?: string; settings_url: string } | null;
}

export interface ConnectRequest {
  gitlab_url: string;
  token: string;
  project: string;
}

export type SessionStatus = 'waiting' | 'up_to_date' | 'outdated' | 'mismatch' | 'failed';

/** A row of GET /api/integrations/gitlab/merge-requests. */
export interface MergeRequest extends MergeRequestBrief {
  iid: number;
  author?: { username?: string; name?: string } | null;
  updated_at: string;
  summary?: { note_id?: number; url?: string; posted_at?: string; status?: 'success' | 'failed' } | null;
  session?: { status: SessionStatus; revision?: number; updated_at?: string | null } | null;
}

/** GET /api/mr/{iid}: a merge request's session on the team server. */
export interface Session {
  iid: number;
  status: SessionStatus;
  /** Uploads so far; 0 while waiting for the first pipeline. */
  revision: number;
  /** The merge request's head commit as last seen from GitLab. */
  head_sha: string;
  /** The commit the uploaded state reviews. */
  state_sha: string;
  /** Why the session failed, when it did. */
  result_error?: string;
  uploaded_at: string | null;
  /** "job 123" or "token <name>". */
  uploaded_by: string;
  pipeline_id?: number;
  job_id?: number;
  artifacts_size: number;
  summary: { note_id: number; url: string; posted_at: string; status: string } | null;
  commit_status: { sha: string; state: string; posted_at: string } | null;
  updated_at: string | null;
  /** The merge request as last synced (for the review's header); null or absent from an older server. */
  merge_request?: MergeRequestBrief | null;
}

/** What a merge request is, as a session shows it (GET /api/mr/{iid} `merge_request`). */
export interface MergeRequestBrief {
  title: string;
  state: string;
  draft?: boolean;
  source_branch: string;
  target_branch: string;
  sha?: string;
  author?: { username?: string } | null;
  web_url: string;
}

/** A server API token (GET/POST /api/tokens); `token` only in the answer to its creation. */
export interface ApiToken {
  id: number;
  name: string;
  created_at: string;
  last_used_at: string | null;
  token?: string;
}

export type JobState = 'pending' | 'running' | 'done' | 'dead';

/** A job of the server's durable queue (GET /api/jobs). */
export interface Job {
  id: number;
  /** summary (a session's note and commit status) or note (a review note). */
  kind: string;
  state: JobState;
  attempts: number;
  max_attempts: number;
  /** When it runs (next); for a pending job, its next try. */
  run_after: string;
  last_error?: string;
  /** summary:{project_id}:{iid} for summary jobs. */
  dedupe_key?: string;
  /** The merge request, when the server says (else read from dedupe_key). */
  iid?: number;
  created_at: string;
  finished_at: string | null;
}

/** GET {review}/summary: the merge request summary the review would post. */
export interface SummaryPreview {
  markdown: string;
  status: 'success' | 'failed';
  headline: string;
  checks: { run: number; mismatch: number; incomplete: number; approved: number };
  /** What the markdown left out to stay within GitLab's note limit. */
  notices: string[];
}

export interface PostSummaryResult {
  action: 'created' | 'updated' | 'unchanged';
  note_id?: number;
  url?: string;
}
