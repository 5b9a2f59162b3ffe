// A mock of the recce server API (docs/api.md) for `npm run dev` without the
// Go server. Dev only: server middleware for `vite` and `vite preview`, never
// part of the build. Settings (environment variables):
//   MOCK_LINEAGE=jaffle|tuva|synthetic:5000   the lineage (default jaffle)
//   MOCK_MODE=review                          no warehouse: runs disabled
//   MOCK_MODE=team                            a team server: no local review (merge requests only)
//   MOCK_AUTH=1                               the server asks for a token ("secret")
// GitLab: a token containing "expired" is refused (422), one starting with
// "glpat-read" connects read-only, any other connects with the api scope.
// Team server: merge requests !11..!15 have sessions in every status (!11
// waits for its first upload); each session has its own checklist under
// /api/mr/{iid}/...; API tokens and a job queue with a dead job.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import jaffle from '../src/__fixtures__/jaffle-lineage.json' with { type: 'json' };
import tuva from '../src/__fixtures__/tuva-lineage.json' with { type: 'json' };
import { resultsByType } from '../src/__fixtures__/results.ts';
import { summaryPreview } from '../src/__fixtures__/summary.ts';
import { syntheticLineage } from '../src/__fixtures__/synthetic.ts';
import type { ApiToken, Check, GitLabCheck, GitLabConnection, Job, Lineage, MergeRequest, NoteStatus, Run, Session, SessionStatus } from '../src/api/types';

function pickLineage(): Lineage {
  const spec = process.env.MOCK_LINEAGE ?? 'jaffle';
  if (spec === 'tuva') return tuva as Lineage;
  if (spec.startsWith('synthetic')) return syntheticLineage(Number(spec.split(':')[1] ?? 5000));
  return jaffle as Lineage;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- request bodies are untyped JSON here
type Handler = (req: IncomingMessage, body: any, m: RegExpMatchArray) => [number, unknown?];

function createApi() {
  const lineage = pickLineage();
  const review = process.env.MOCK_MODE === 'review';
  const team = process.env.MOCK_MODE === 'team';
  let signedIn = process.env.MOCK_AUTH !== '1';
  // The checklist of the review a request is for: the local one, or a
  // session's (set by the dispatcher before each handler runs).
  const checklists = new Map<string, Check[]>([['local', []]]);
  let checks: Check[] = checklists.get('local')!;
  let scope = 'local';
  const runs = new Map<string, Run>();
  /** The review each run belongs to (GET /api/runs lists a review's own). */
  const runScopes = new Map<string, string>();
  let gitlab: GitLabConnection = { connected: false };
  const now = () => new Date().toISOString();
  const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
  const mr = (iid: number, title: string, branch: string, status: SessionStatus, minutes: number, extra: Partial<MergeRequest> = {}): MergeRequest => ({
    iid, title, state: 'opened', source_branch: branch, target_branch: 'main', sha: `${iid}f3e2d1c0b9a8e7f6d5c4b3a29180706050403`, author: { username: 'ada', name: 'Ada' },
    web_url: `https://gitlab.com/data/analytics/-/merge_requests/${iid}`, updated_at: ago(minutes), summary: status === 'waiting' ? null : { note_id: 900 + iid, url: `https://gitlab.com/data/analytics/-/merge_requests/${iid}#note_${900 + iid}`, posted_at: ago(minutes), status: status === 'up_to_date' ? 'success' : 'failed' },
    session: { status, revision: status === 'waiting' ? 0 : 2, updated_at: status === 'waiting' ? null : ago(minutes) }, ...extra,
  });
  const mrs: MergeRequest[] = [
    mr(12, 'Add customer segments', 'feature/segments', 'up_to_date', 5, { summary: null }),
    mr(11, 'Draft: rework payments', 'payments', 'waiting', 30, { draft: true, author: { username: 'bob' } }),
    mr(13, 'Orders: new status column', 'orders-status', 'outdated', 90),
    mr(14, 'Lifetime value in cents', 'ltv-cents', 'mismatch', 180),
    mr(15, 'Drop legacy customers view', 'drop-legacy', 'failed', 600),
  ];
  const session = (m: MergeRequest): Session => {
    const waiting = m.session?.status === 'waiting';
    return {
      iid: m.iid, status: m.session?.status ?? 'waiting', revision: m.session?.revision ?? 0, head_sha: m.sha ?? '',
      state_sha: waiting ? '' : m.session?.status === 'outdated' ? 'a1b2c3d4e5f60718293a4b5c6d7e8f9011223344' : m.sha ?? '',
      result_error: m.session?.status === 'failed' ? 'the uploaded manifest.json cannot be read: unexpected end of JSON input' : undefined,
      uploaded_at: waiting ? null : m.session?.updated_at ?? null, uploaded_by: waiting ? '' : 'job 4242', pipeline_id: waiting ? undefined : 777,
      artifacts_size: waiting ? 0 : 123456, summary: m.summary ? { note_id: m.summary.note_id!, url: m.summary.url!, posted_at: m.summary.posted_at!, status: m.summary.status! } : null,
      commit_status: waiting ? null : { sha: m.sha ?? '', state: m.session?.status === 'up_to_date' ? 'success' : m.session?.status === 'outdated' ? 'pending' : 'failed', posted_at: m.updated_at },
      updated_at: m.session?.updated_at ?? null,
      merge_request: { title: m.title, state: m.state, draft: m.draft ?? false, source_branch: m.source_branch, target_branch: m.target_branch, sha: m.sha, author: { username: m.author?.username }, web_url: m.web_url },
    };
  };
  const tokens: ApiToken[] = [{ id: 1, name: 'CI upload', created_at: ago(60 * 24 * 3), last_used_at: ago(42) }];
  let nextId = 100;
  const jobs: Job[] = [
    { id: 3, kind: 'summary', state: 'dead', attempts: 8, max_attempts: 8, run_after: ago(20), last_error: 'GitLab answered 403 Forbidden: the token user cannot post notes on !14 (role Reporter)', dedupe_key: 'summary:42:14', created_at: ago(200), finished_at: ago(20) },
    { id: 2, kind: 'summary', state: 'pending', attempts: 2, max_attempts: 8, run_after: new Date(Date.now() + 45_000).toISOString(), last_error: 'GitLab answered 502 Bad Gateway', dedupe_key: 'summary:42:13', created_at: ago(5), finished_at: null },
    { id: 1, kind: 'summary', state: 'done', attempts: 1, max_attempts: 8, run_after: ago(60), dedupe_key: 'summary:42:12', created_at: ago(61), finished_at: ago(60) },
  ];
  /** The note status of an approval or comment: queued in a session with the api scope. */
  const noteFor = (action: string): NoteStatus => {
    if (!gitlab.connected) return { posted: false, reason: 'GitLab is not connected: connect it in Settings to mirror approvals and comments as notes on the merge request' };
    if (gitlab.mode !== 'full') return { posted: false, reason: 'the GitLab token is read-only (read_api scope): recce posts no note; replace it in Settings with a token that has the api scope' };
    if (scope === 'local') return { posted: false, reason: 'this review is not tied to a merge request of data/analytics (open the merge request’s session), so there is nowhere to post' };
    const job: Job = { id: nextId++, kind: 'note', state: 'pending', attempts: 0, max_attempts: 8, run_after: now(), created_at: now(), finished_at: null, last_error: undefined };
    jobs.unshift(job);
    setTimeout(() => Object.assign(job, { state: 'done', attempts: 1, finished_at: now() }), 3000);
    void action;
    return { posted: false, queued: true, job_id: job.id };
  };

  const startRun = (type: Run['type'], params: Record<string, unknown>, checkId: string | null = null): Run => {
    const run: Run = { run_id: randomUUID(), check_id: checkId, type, params, status: 'Running', result: null, error: null, progress: { message: 'Querying base and current', percentage: 0.3 }, run_at: now() };
    runs.set(run.run_id, run);
    runScopes.set(run.run_id, scope);
    setTimeout(() => {
      if (run.status !== 'Running') return;
      const sql = String(params.sql_template ?? '');
      if (sql.includes('error')) Object.assign(run, { status: 'Failed', error: 'Binder Error: column "error" not found. Check the column names of the model.', progress: null });
      else Object.assign(run, { status: 'Finished', result: resultsByType[type] ?? null, progress: null });
    }, 1500);
    return run;
  };
  const withRun = (c: Check) => ({ ...c, last_run: c.last_run ? runs.get(c.last_run.run_id) ?? null : null });
  const findCheck = (id: string) => checks.find((c) => c.check_id === id);

  const connectChecks = (token: string): { mode: 'full' | 'read_only' | 'none'; checks: GitLabCheck[]; scopes: string[] } => {
    if (token.includes('expired')) {
      return { mode: 'none', scopes: ['api'], checks: [{ name: 'token_active', ok: false, severity: 'error', message: 'The token expired on 2026-01-31.', hint: 'Create a new token with the api scope and paste it here.' }] };
    }
    const readOnly = token.startsWith('glpat-read');
    return {
      mode: readOnly ? 'read_only' : 'full',
      scopes: [readOnly ? 'read_api' : 'api'],
      checks: [
        readOnly
          ? { name: 'token_scope', ok: false, severity: 'warning', message: 'The token has read_api but not api: summaries and notes will not be posted.', hint: 'Create a token with the api scope to receive summaries and notes on merge requests.' }
          : { name: 'token_scope', ok: true, severity: 'info', message: 'The token has the api scope.' },
        { name: 'project_role', ok: true, severity: 'info', message: 'You are Maintainer of data/analytics.' },
      ],
    };
  };

  const node = (id: string) => {
    const n = lineage.nodes.find((x) => x.unique_id === id);
    if (!n) return undefined;
    const cols = [{ name: 'customer_id', type: 'INTEGER' }, { name: 'first_name', type: 'VARCHAR' }, ...(n.columns?.added ?? []).map((c) => ({ name: c, type: 'VARCHAR' }))];
    const code = `select\n    customer_id,\n    first_name\nfrom {{ ref('stg_customers') }}\n`;
    const side = (present: boolean, current: boolean) =>
      present ? { relation: `"db"."${current ? 'dev' : 'prod'}"."${n.name}"`, materialized: n.materialized, code: current && n.change === 'modified' ? code.replace('first_name\n', 'first_name,\n    last_name\n') : code, columns: current ? cols : cols.slice(0, 2) } : null;
    return { ...n, base: side(n.change !== 'added', false), current: side(n.change !== 'removed', true), primary_key: n.resource_type === 'model' ? ['customer_id'] : null };
  };

  const routes: [string, RegExp, Handler][] = [
    ['POST', /^\/api\/login$/, (_r, b) => (b?.token === 'secret' ? ((signedIn = true), [204]) : [401, { error: 'Wrong token: use the RECCE_SERVER_TOKEN the server was started with.' }])],
    ['GET', /^\/api\/info$/, () => scope === 'local' && team ? [200, { mode: 'team', warehouse: { type: 'duckdb', available: true }, pull_request: null, lineage: null, gitlab: { connected: gitlab.connected, mode: gitlab.mode ?? 'none' } }] : scope !== 'local' ? [200, { mode: 'session', warehouse: review ? { type: '', available: false, error: 'this recce server has no warehouse connection: the review shows the pipeline’s runs, and checks that query data cannot run here' } : { type: 'duckdb', available: true }, pull_request: { id: Number(scope), title: mrs.find((m) => m.iid === Number(scope))?.title }, lineage, gitlab: { connected: gitlab.connected, mode: gitlab.mode ?? 'none' }, session: session(mrs.find((m) => m.iid === Number(scope))!) }] : [200, { mode: review ? 'review' : 'demo', warehouse: review ? null : { type: 'duckdb', available: true }, pull_request: { id: 12, title: 'Add customer segments', url: 'https://gitlab.com/data/analytics/-/merge_requests/12' }, lineage, gitlab: gitlab.connected ? { connected: true, mode: gitlab.mode } : { connected: false, mode: 'none' } }]],
    ['GET', /^\/api\/nodes\/(.+)$/, (_r, _b, m) => { const n = node(decodeURIComponent(m[1])); return n ? [200, n] : [404, { error: `No node ${m[1]} in either manifest.` }]; }],
    ['GET', /^\/api\/select/, (req) => {
      const q = new URL(req.url!, 'http://x').searchParams;
      const select = q.get('select') ?? '';
      if (select.includes('bad')) return [400, { error: `Cannot parse the selector "${select}": unknown method "bad".` }];
      const words = select.split(/\s+/).filter(Boolean);
      const ids = lineage.nodes.filter((n) => words.length === 0 || words.some((w) => (w === 'state:modified' ? n.change !== 'unchanged' : n.name.includes(w.replace(/\+/g, ''))))).map((n) => n.unique_id);
      const ex = (q.get('exclude') ?? '').split(/\s+/).filter(Boolean);
      return [200, { nodes: ids.filter((id) => !ex.some((w) => id.endsWith(`.${w}`))) }];
    }],
    ['GET', /^\/api\/checks$/, () => [200, checks.map(withRun)]],
    ['POST', /^\/api\/checks$/, (_r, b) => {
      const run = b.run_id ? runs.get(b.run_id) ?? null : null;
      const c: Check = { check_id: randomUUID(), name: b.name ?? b.type, description: b.description ?? '', type: b.type, params: b.params ?? {}, is_checked: false, is_preset: false, created_at: now(), updated_at: now(), last_run: run, comments: [] };
      if (run) run.check_id = c.check_id;
      checks.push(c);
      return [201, withRun(c)];
    }],
    ['POST', /^\/api\/checks\/reorder$/, (_r, b) => {
      const order: string[] = b.check_ids;
      checks.sort((x, y) => order.indexOf(x.check_id) - order.indexOf(y.check_id));
      return [200, checks.map(withRun)];
    }],
    ['GET', /^\/api\/checks\/([^/]+)$/, (_r, _b, m) => { const c = findCheck(m[1]); return c ? [200, withRun(c)] : [404, { error: 'No such check.' }]; }],
    ['PATCH', /^\/api\/checks\/([^/]+)$/, (_r, b, m) => { const c = findCheck(m[1]); if (!c) return [404, { error: 'No such check.' }]; Object.assign(c, b, { updated_at: now() }); return [200, withRun(c)]; }],
    ['DELETE', /^\/api\/checks\/([^/]+)$/, (_r, _b, m) => { const i = checks.findIndex((c) => c.check_id === m[1]); if (i < 0) return [404, { error: 'No such check.' }]; checks.splice(i, 1); return [204]; }],
    ['POST', /^\/api\/checks\/([^/]+)\/run$/, (_r, _b, m) => { const c = findCheck(m[1]); if (!c) return [404, { error: 'No such check.' }]; if (c.type === 'simple') return [422, { error: 'a simple check is a note to tick: it has nothing to run' }]; if (review && !['lineage_diff', 'schema_diff'].includes(c.type)) return [409, { error: 'this run queries the warehouse, which is not available: no warehouse connection is configured', detail: { reason: 'no_warehouse' } }]; c.last_run = startRun(c.type, c.params, c.check_id); return [202, c.last_run]; }],
    ['POST', /^\/api\/checks\/([^/]+)\/approve$/, (_r, b, m) => { const c = findCheck(m[1]); if (!c) return [404, { error: 'No such check.' }]; c.is_checked = Boolean(b.approved); return [200, { ...withRun(c), note: noteFor('approve') }]; }],
    ['POST', /^\/api\/checks\/([^/]+)\/comments$/, (_r, b, m) => { const c = findCheck(m[1]); if (!c) return [404, { error: 'No such check.' }]; const cm = { id: randomUUID(), body: String(b.body), author: 'you', created_at: now() }; (c.comments ??= []).push(cm); return [201, { ...cm, note: noteFor('comment') }]; }],
    ['POST', /^\/api\/runs$/, (_r, b) => (review ? [409, { error: 'Review mode: there is no warehouse to run on.' }] : [202, startRun(b.type, b.params ?? {})])],
    ['GET', /^\/api\/runs$/, () => [200, [...runs.values()].filter((r) => runScopes.get(r.run_id) === scope).reverse()]],
    ['GET', /^\/api\/runs\/([^/]+)$/, (_r, _b, m) => { const r = runs.get(m[1]); return r ? [200, r] : [404, { error: 'No such run.' }]; }],
    ['POST', /^\/api\/runs\/([^/]+)\/cancel$/, (_r, _b, m) => { const r = runs.get(m[1]); if (!r) return [404, { error: 'No such run.' }]; if (r.status === 'Running') Object.assign(r, { status: 'Cancelled', progress: null }); return [200, r]; }],
    ['POST', /^\/api\/query$/, (_r, b) => [202, startRun(b.env === 'diff' ? 'query_diff' : b.env === 'base' ? 'query_base' : 'query', { sql_template: b.sql_template, primary_keys: b.primary_keys })]],
    ['POST', /^\/api\/state$/, (_r, b) => [200, { checks: (b?.checks ?? []).length, runs: (b?.runs ?? []).length }]],
    ['GET', /^\/api\/summary$/, () => [200, summaryPreview]],
    ['GET', /^\/api\/integrations\/gitlab$/, () => [200, gitlab]],
    ['PUT', /^\/api\/integrations\/gitlab$/, (_r, b) => {
      if (!b?.token) return [400, { error: 'Paste a personal access token.' }];
      const { mode, checks: cs, scopes } = connectChecks(String(b.token));
      const token = { name: 'Recce Integration', scopes, expires_at: '2027-01-31', days_left: 68 };
      const project = { id: 42, path: b.project || 'data/analytics', access_level: 40, role: 'maintainer', web_url: `${b.gitlab_url}/${b.project}` };
      if (mode === 'none') return [422, { error: 'The token cannot be used: see the failed checks.', detail: { mode, checks: cs, token } }];
      gitlab = { connected: true, mode, gitlab_url: b.gitlab_url, project, user: { id: 7, username: 'recce-bot', name: 'Recce Bot' }, token, checks: cs, webhook: { url: 'http://127.0.0.1:5173/api/integrations/gitlab/webhook', configured: false } };
      return [200, gitlab];
    }],
    ['POST', /^\/api\/integrations\/gitlab\/webhook\/create$/, () => {
      if (gitlab.mode !== 'full') return [403, { error: 'creating the webhook needs a token with the api scope', detail: { reason: 'read_only' } }];
      gitlab = { ...gitlab, webhook: { url: gitlab.webhook?.url, configured: true } };
      return [200, gitlab];
    }],
    ['DELETE', /^\/api\/integrations\/gitlab$/, () => ((gitlab = { connected: false }), [204])],
    ['GET', /^\/api\/integrations\/gitlab\/merge-requests/, () => (gitlab.connected ? [200, mrs] : [409, { error: 'GitLab is not connected: connect it in Settings.' }])],
    ['POST', /^\/api\/integrations\/gitlab\/merge-requests\/sync$/, () => [200, { synced: mrs.length }]],
    ['POST', /^\/api\/integrations\/gitlab\/merge-requests\/(\d+)\/summary$/, (_r, _b, m) => {
      if (gitlab.mode !== 'full') return [403, { error: 'The token has the read_api scope only: the summary cannot be posted. Replace it with an api token in Settings.' }];
      const mr = mrs.find((x) => x.iid === Number(m[1]));
      if (!mr) return [404, { error: 'No such merge request.' }];
      const action = mr.summary ? 'unchanged' : 'created';
      mr.summary = { note_id: 1001, url: `${mr.web_url}#note_1001`, posted_at: now(), status: 'success' };
      return [200, { action, note_id: 1001, url: mr.summary.url }];
    }],
    ['GET', /^\/api\/mr\/(\d+)$/, (_r, _b, m) => {
      if (!gitlab.connected) return [409, { error: 'GitLab is not connected: connect it in Settings, Integrations, GitLab', detail: { reason: 'not_connected' } }];
      const found = mrs.find((x) => x.iid === Number(m[1]));
      return found ? [200, session(found)] : [404, { error: `merge request !${m[1]} is not tracked: sync the merge requests, or check the number` }];
    }],
    ['GET', /^\/api\/tokens$/, () => [200, tokens]],
    ['POST', /^\/api\/tokens$/, (_r, b) => {
      if (!String(b?.name ?? '').trim()) return [422, { error: 'name the token after what uses it ("CI upload", "nightly script")' }];
      const t: ApiToken = { id: nextId++, name: String(b.name), created_at: now(), last_used_at: null };
      tokens.push(t);
      return [201, { ...t, token: `rcp_${randomUUID().replace(/-/g, '')}` }];
    }],
    ['DELETE', /^\/api\/tokens\/(\d+)$/, (_r, _b, m) => {
      const i = tokens.findIndex((t) => t.id === Number(m[1]));
      if (i < 0) return [404, { error: `no API token ${m[1]} (it may have been revoked already)` }];
      tokens.splice(i, 1);
      return [204];
    }],
    ['GET', /^\/api\/jobs$/, (req) => {
      const state = new URL(req.url!, 'http://x').searchParams.get('state');
      return [200, jobs.filter((j) => !state || j.state === state)];
    }],
    ['POST', /^\/api\/jobs\/(\d+)\/retry$/, (_r, _b, m) => {
      const j = jobs.find((x) => x.id === Number(m[1]));
      if (!j) return [404, { error: `no job ${m[1]}` }];
      if (j.state !== 'dead') return [409, { error: `job ${j.id} is ${j.state}, not dead: nothing to retry` }];
      Object.assign(j, { state: 'pending', attempts: 0, run_after: now(), finished_at: null });
      return [204];
    }],
  ];

  return async (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = req.url!.split('?')[0];
    if (!path.startsWith('/api/')) return next();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    const send = (status: number, payload?: unknown) => {
      res.statusCode = status;
      if (payload === undefined) return res.end();
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(payload));
    };
    if (!signedIn && path !== '/api/login') return send(401, { error: 'Sign in with the server token.' });
    // A session's review: the same routes as the local review, on its own checklist.
    const inSession = path.match(/^\/api\/mr\/(\d+)(\/.+)$/);
    let route = path;
    let reqScope = 'local';
    if (inSession && inSession[2] !== '/upload') {
      const found = mrs.find((x) => x.iid === Number(inSession[1]));
      if (!gitlab.connected) return send(409, { error: 'GitLab is not connected: connect it in Settings, Integrations, GitLab', detail: { reason: 'not_connected' } });
      if (!found) return send(404, { error: `merge request !${inSession[1]} is not tracked` });
      if (found.session?.status === 'waiting') return send(404, { error: `no pipeline has uploaded to !${found.iid} yet: add \`recce upload\` after \`recce run\` in the merge request pipeline`, detail: { reason: 'no_upload' } });
      reqScope = inSession[1];
      route = `/api${inSession[2]}`;
    }
    if (team && reqScope === 'local' && route !== '/api/info' && /^\/api\/(nodes|select|checks|runs|query|state)\b/.test(route)) {
      return send(409, { error: 'this recce server reviews merge requests only (--team): open a merge request’s review', detail: { reason: 'team_mode' } });
    }
    if (team && /^\/api\/integrations\/gitlab\/merge-requests\/\d+\/summary$/.test(route)) {
      return send(409, { error: 'this team server posts the summaries of its merge request sessions itself' });
    }
    if (!checklists.has(reqScope)) checklists.set(reqScope, []);
    for (const [method, re, handler] of routes) {
      const m = route.match(re);
      if (m && req.method === method) {
        await new Promise((r) => setTimeout(r, 150)); // let loading states show
        // Handlers run synchronously from here: the scope is theirs until they answer.
        scope = reqScope;
        checks = checklists.get(reqScope)!;
        return send(...handler(req, body, m));
      }
    }
    send(404, { error: `The mock API has no ${req.method} ${path}.` });
  };
}

export function mockApi(): Plugin {
  return {
    name: 'recce-mock-api',
    configureServer(server) {
      server.middlewares.use(createApi());
    },
    // `vite preview` serves the production build with the same mock.
    configurePreviewServer(server) {
      server.middlewares.use(createApi());
    },
  };
}
