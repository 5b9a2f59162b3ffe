// React Query hooks over the API client: caching, polling of running runs,
// and cache invalidation after changes. The review hooks (info, nodes,
// checks, runs, query) work on the review of the context (review.tsx): the
// local one or a merge request's session; their cache keys hold its prefix.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { api, LOCAL_BASE } from './client';
import { useReviewApi } from './review';
import type { Check, CheckPatch, Info, NewCheck, Run } from './types';

/** How often a running run (or a checklist with running checks) is polled. */
const RUN_POLL_MS = 1000;
const CHECKS_POLL_MS = 2000;
/** How often a session and the job queue are refreshed while shown. */
const SESSION_POLL_MS = 30_000;
const WAITING_POLL_MS = 10_000;
const JOBS_POLL_MS = 10_000;

export const keys = {
  info: (base: string) => ['info', base] as const,
  node: (base: string, id: string) => ['node', base, id] as const,
  select: (base: string, select: string, exclude: string) => ['select', base, select, exclude] as const,
  checks: (base: string) => ['checks', base] as const,
  run: (base: string, id: string) => ['run', base, id] as const,
  runs: (base: string) => ['runs', base] as const,
  summary: (base: string) => ['summary', base] as const,
  gitlab: ['gitlab'] as const,
  mergeRequests: (state: string) => ['merge-requests', state] as const,
  session: (iid: number) => ['session', iid] as const,
  apiTokens: ['api-tokens'] as const,
  jobs: (state: string) => ['jobs', state] as const,
};

/** The review's information; the local review's does not change while the server runs, a session's does with each upload. */
export function useInfo() {
  const r = useReviewApi();
  return useQuery({ queryKey: keys.info(r.base), queryFn: r.info, staleTime: r.base === LOCAL_BASE ? Infinity : SESSION_POLL_MS });
}

/** The review's summary as it would be posted: fetched afresh each time the preview opens. */
export function useSummaryPreview() {
  const r = useReviewApi();
  return useQuery({ queryKey: keys.summary(r.base), queryFn: r.summary, staleTime: 0, gcTime: 0 });
}

/** Why runs cannot start, or null when they can. */
export function runsDisabledReason(info: Info | undefined): string | null {
  if (!info) return 'Loading the server information…';
  if (info.warehouse === null) return 'Review mode: there is no warehouse connection, so data diffs and queries cannot run.';
  if (!info.warehouse.available) {
    return info.warehouse.error || `The ${info.warehouse.type} warehouse is not available: check its connection and restart the server.`;
  }
  return null;
}

export function useNode(id: string | null) {
  const r = useReviewApi();
  return useQuery({ queryKey: keys.node(r.base, id ?? ''), queryFn: () => r.node(id!), enabled: id !== null });
}

/** How long a node's details fetched ahead (on pointer down, or when the pointer rests on it) are reused. */
const NODE_PREFETCH_STALE_MS = 30_000;

/** Starts loading a node's details before it is selected, so that its panel shows at once. */
export function usePrefetchNode() {
  const r = useReviewApi();
  const qc = useQueryClient();
  return useCallback(
    (id: string) => void qc.prefetchQuery({ queryKey: keys.node(r.base, id), queryFn: () => r.node(id), staleTime: NODE_PREFETCH_STALE_MS }),
    [qc, r],
  );
}

export function useSelect(select: string, exclude: string) {
  const r = useReviewApi();
  return useQuery({
    queryKey: keys.select(r.base, select, exclude),
    queryFn: () => r.select(select, exclude),
    enabled: select !== '' || exclude !== '',
    retry: false,
  });
}

/** The checklist, polled while one of its checks runs (so that its badge follows). */
export function useChecks() {
  const r = useReviewApi();
  return useQuery({
    queryKey: keys.checks(r.base),
    queryFn: r.checks,
    refetchInterval: (q) => (q.state.data?.some((c) => c.last_run?.status === 'Running') ? CHECKS_POLL_MS : false),
  });
}

/** Refreshes the checklist of the review. */
export function useRefreshChecks() {
  const r = useReviewApi();
  const qc = useQueryClient();
  return useCallback(() => qc.invalidateQueries({ queryKey: keys.checks(r.base) }), [qc, r.base]);
}

/** A run, polled while it is running. */
export function useRun(id: string | null) {
  const r = useReviewApi();
  return useQuery({
    queryKey: keys.run(r.base, id ?? ''),
    queryFn: () => r.run(id!),
    enabled: id !== null,
    refetchInterval: (q) => (q.state.data?.status === 'Running' ? RUN_POLL_MS : false),
  });
}

/** How long the list of runs is reused (the node panel reads earlier row counts from it on each selection). */
const RUNS_STALE_MS = 10_000;

/** The review's runs, newest first (GET {base}/runs). */
export function useRuns() {
  const r = useReviewApi();
  return useQuery({ queryKey: keys.runs(r.base), queryFn: r.runs, staleTime: RUNS_STALE_MS, retry: false });
}

/** Marks the list of runs out of date (after a run ends), so that its next reader fetches it again. */
export function useRefreshRuns() {
  const r = useReviewApi();
  const qc = useQueryClient();
  return useCallback(() => qc.invalidateQueries({ queryKey: keys.runs(r.base) }), [qc, r.base]);
}

/** Seeds the run cache with a run the server just returned. */
function useRememberRun() {
  const r = useReviewApi();
  const qc = useQueryClient();
  return (run: Run) => qc.setQueryData(keys.run(r.base, run.run_id), run);
}

export function useStartRun() {
  const r = useReviewApi();
  const remember = useRememberRun();
  return useMutation({
    mutationFn: ({ type, params, name }: Pick<Run, 'type' | 'params' | 'name'>) => r.startRun(type, params, name),
    onSuccess: remember,
  });
}

export function useStartQuery() {
  const r = useReviewApi();
  const remember = useRememberRun();
  return useMutation({
    mutationFn: (q: { sql: string; env: 'current' | 'base' | 'diff'; primaryKeys?: string[] }) => r.query(q.sql, q.env, q.primaryKeys),
    onSuccess: remember,
  });
}

export function useCancelRun() {
  const r = useReviewApi();
  const remember = useRememberRun();
  return useMutation({ mutationFn: r.cancelRun, onSuccess: remember });
}

function useChecksMutation<A, R>(fn: (arg: A) => Promise<R>) {
  const refresh = useRefreshChecks();
  return useMutation({ mutationFn: fn, onSuccess: refresh });
}

export function useCreateCheck() {
  const r = useReviewApi();
  return useChecksMutation((c: NewCheck) => r.createCheck(c));
}
export function useUpdateCheck() {
  const r = useReviewApi();
  return useChecksMutation(({ id, patch }: { id: string; patch: CheckPatch }) => r.updateCheck(id, patch));
}
export function useDeleteCheck() {
  const r = useReviewApi();
  return useChecksMutation((id: string) => r.deleteCheck(id));
}
export function useApproveCheck() {
  const r = useReviewApi();
  return useChecksMutation(({ id, approved }: { id: string; approved: boolean }) => r.approveCheck(id, approved));
}
export function useCommentCheck() {
  const r = useReviewApi();
  return useChecksMutation(({ id, body }: { id: string; body: string }) => r.commentCheck(id, body));
}
export function useImportState() {
  const r = useReviewApi();
  return useChecksMutation((state: unknown) => r.importState(state));
}

export function useRunCheck() {
  const r = useReviewApi();
  const remember = useRememberRun();
  const refresh = useRefreshChecks();
  return useMutation({
    mutationFn: r.runCheck,
    onSuccess: (run) => {
      remember(run);
      return refresh();
    },
  });
}

export interface RunAllResult {
  started: number;
  failed: { check: Check; error: unknown }[];
  /** Why checks were left out (data checks without a warehouse), as planned; null when none were. */
  skippedReason: string | null;
}

/**
 * Starts a run of each check of the plan (checks/plan.ts), one request after
 * another (the server queues runs beyond its limit).
 */
export function useRunAllChecks() {
  const r = useReviewApi();
  const remember = useRememberRun();
  const refresh = useRefreshChecks();
  return useMutation({
    mutationFn: async ({ run, skippedReason }: { run: Check[]; skippedReason: string | null }): Promise<RunAllResult> => {
      const out: RunAllResult = { started: 0, failed: [], skippedReason };
      for (const check of run) {
        try {
          remember(await r.runCheck(check.check_id));
          out.started++;
        } catch (error) {
          out.failed.push({ check, error });
        }
      }
      return out;
    },
    onSettled: refresh,
  });
}

/** Reorders optimistically: the list moves at once and comes back if the server refuses. */
export function useReorderChecks() {
  const r = useReviewApi();
  const qc = useQueryClient();
  const key = keys.checks(r.base);
  return useMutation({
    mutationFn: (ids: string[]) => r.reorderChecks(ids),
    onMutate: async (ids) => {
      await qc.cancelQueries({ queryKey: key });
      const before = qc.getQueryData<Check[]>(key);
      if (before) {
        const byId = new Map(before.map((c) => [c.check_id, c]));
        qc.setQueryData(key, ids.map((id) => byId.get(id)).filter((c): c is Check => c !== undefined));
      }
      return { before };
    },
    onError: (_e, _ids, ctx) => {
      if (ctx?.before) qc.setQueryData(key, ctx.before);
    },
    onSettled: () => qc.invalidateQueries({ queryKey: key }),
  });
}

export const useGitLab = () => useQuery({ queryKey: keys.gitlab, queryFn: api.gitlab });

/** After a GitLab change: the connection, the app-wide banner (info) and the merge requests. */
function useGitLabMutation<A, R>(fn: (arg: A) => Promise<R>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: keys.gitlab }),
        qc.invalidateQueries({ queryKey: ['info'] }), // every review's
        qc.invalidateQueries({ queryKey: ['session'] }),
        qc.invalidateQueries({ queryKey: ['merge-requests'] }),
      ]),
  });
}

export const useConnectGitLab = () => useGitLabMutation(api.connectGitLab);
export const useDisconnectGitLab = () => useGitLabMutation(() => api.disconnectGitLab());
export const useCreateWebhook = () => useGitLabMutation(() => api.createWebhook());

export const useMergeRequests = (state: string, enabled: boolean) =>
  useQuery({ queryKey: keys.mergeRequests(state), queryFn: () => api.mergeRequests(state), enabled });

export function useSyncMergeRequests() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: api.syncMergeRequests,
    onSuccess: () => qc.invalidateQueries({ queryKey: ['merge-requests'] }),
  });
}

export function usePostSummary() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: api.postSummary,
    onSuccess: () => qc.invalidateQueries({ queryKey: ['merge-requests'] }),
  });
}

/** A merge request's session (GET /api/mr/{iid}), refreshed while shown. */
export const useSession = (iid: number) =>
  useQuery({
    queryKey: keys.session(iid),
    queryFn: () => api.session(iid),
    // Sooner while waiting for the first upload, so that the review opens when it arrives.
    refetchInterval: (q) => (q.state.data?.revision === 0 ? WAITING_POLL_MS : SESSION_POLL_MS),
  });

export const useApiTokens = () => useQuery({ queryKey: keys.apiTokens, queryFn: api.apiTokens });

/**
 * Creates an API token. The answer holds the token: the caller keeps it in
 * its own state for as long as it is shown and resets the mutation, so that
 * no cache holds it.
 */
export function useCreateApiToken() {
  const qc = useQueryClient();
  // gcTime 0: the mutation cache drops the answer as soon as the caller resets the mutation.
  return useMutation({ mutationFn: api.createApiToken, gcTime: 0, onSuccess: () => qc.invalidateQueries({ queryKey: keys.apiTokens }) });
}

export function useRevokeApiToken() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: api.revokeApiToken, onSettled: () => qc.invalidateQueries({ queryKey: keys.apiTokens }) });
}

export const useJobs = (state: string) =>
  useQuery({ queryKey: keys.jobs(state), queryFn: () => api.jobs(state), refetchInterval: JOBS_POLL_MS });

export function useRetryJob() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: api.retryJob, onSettled: () => qc.invalidateQueries({ queryKey: ['jobs'] }) });
}
