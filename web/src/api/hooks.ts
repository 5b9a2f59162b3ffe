// React Query hooks over the API client: caching, polling of running runs,
// and cache invalidation after changes.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './client';
import type { Check, CheckPatch, Info, NewCheck, Run } from './types';

/** How often a running run is polled. */
const RUN_POLL_MS = 1000;

export const keys = {
  info: ['info'] as const,
  node: (id: string) => ['node', id] as const,
  select: (select: string, exclude: string) => ['select', select, exclude] as const,
  checks: ['checks'] as const,
  run: (id: string) => ['run', id] as const,
  gitlab: ['gitlab'] as const,
  mergeRequests: (state: string) => ['merge-requests', state] as const,
};

export const useInfo = () => useQuery({ queryKey: keys.info, queryFn: api.info, staleTime: Infinity });

/** Why runs cannot start, or null when they can. */
export function runsDisabledReason(info: Info | undefined): string | null {
  if (!info) return 'Loading the server information…';
  if (info.warehouse === null) return 'Review mode: there is no warehouse connection, so diffs and queries cannot run.';
  if (!info.warehouse.available) {
    return info.warehouse.error || `The ${info.warehouse.type} warehouse is not available: check its connection and restart the server.`;
  }
  return null;
}

export const useNode = (id: string | null) =>
  useQuery({ queryKey: keys.node(id ?? ''), queryFn: () => api.node(id!), enabled: id !== null });

export const useSelect = (select: string, exclude: string) =>
  useQuery({
    queryKey: keys.select(select, exclude),
    queryFn: () => api.select(select, exclude),
    enabled: select !== '' || exclude !== '',
    retry: false,
  });

export const useChecks = () => useQuery({ queryKey: keys.checks, queryFn: api.checks });

/** A run, polled while it is running. */
export const useRun = (id: string | null) =>
  useQuery({
    queryKey: keys.run(id ?? ''),
    queryFn: () => api.run(id!),
    enabled: id !== null,
    refetchInterval: (q) => (q.state.data?.status === 'Running' ? RUN_POLL_MS : false),
  });

/** Seeds the run cache with a run the server just returned. */
function useRememberRun() {
  const qc = useQueryClient();
  return (run: Run) => qc.setQueryData(keys.run(run.run_id), run);
}

export function useStartRun() {
  const remember = useRememberRun();
  return useMutation({
    mutationFn: ({ type, params, name }: Pick<Run, 'type' | 'params' | 'name'>) => api.startRun(type, params, name),
    onSuccess: remember,
  });
}

export function useStartQuery() {
  const remember = useRememberRun();
  return useMutation({
    mutationFn: (q: { sql: string; env: 'current' | 'base' | 'diff'; primaryKeys?: string[] }) =>
      api.query(q.sql, q.env, q.primaryKeys),
    onSuccess: remember,
  });
}

export function useCancelRun() {
  const remember = useRememberRun();
  return useMutation({ mutationFn: api.cancelRun, onSuccess: remember });
}

function useChecksMutation<A, R>(fn: (arg: A) => Promise<R>) {
  const qc = useQueryClient();
  return useMutation({ mutationFn: fn, onSuccess: () => qc.invalidateQueries({ queryKey: keys.checks }) });
}

export const useCreateCheck = () => useChecksMutation((c: NewCheck) => api.createCheck(c));
export const useUpdateCheck = () =>
  useChecksMutation(({ id, patch }: { id: string; patch: CheckPatch }) => api.updateCheck(id, patch));
export const useDeleteCheck = () => useChecksMutation((id: string) => api.deleteCheck(id));
export const useApproveCheck = () =>
  useChecksMutation(({ id, approved }: { id: string; approved: boolean }) => api.approveCheck(id, approved));
export const useCommentCheck = () =>
  useChecksMutation(({ id, body }: { id: string; body: string }) => api.commentCheck(id, body));
export const useImportState = () => useChecksMutation((state: unknown) => api.importState(state));

export function useRunCheck() {
  const remember = useRememberRun();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: api.runCheck,
    onSuccess: (run) => {
      remember(run);
      return qc.invalidateQueries({ queryKey: keys.checks });
    },
  });
}

/** Reorders optimistically: the list moves at once and comes back if the server refuses. */
export function useReorderChecks() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (ids: string[]) => api.reorderChecks(ids),
    onMutate: async (ids) => {
      await qc.cancelQueries({ queryKey: keys.checks });
      const before = qc.getQueryData<Check[]>(keys.checks);
      if (before) {
        const byId = new Map(before.map((c) => [c.check_id, c]));
        qc.setQueryData(keys.checks, ids.map((id) => byId.get(id)).filter((c): c is Check => c !== undefined));
      }
      return { before };
    },
    onError: (_e, _ids, ctx) => {
      if (ctx?.before) qc.setQueryData(keys.checks, ctx.before);
    },
    onSettled: () => qc.invalidateQueries({ queryKey: keys.checks }),
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
        qc.invalidateQueries({ queryKey: keys.info }),
        qc.invalidateQueries({ queryKey: ['merge-requests'] }),
      ]),
  });
}

export const useConnectGitLab = () => useGitLabMutation(api.connectGitLab);
export const useDisconnectGitLab = () => useGitLabMutation(() => api.disconnectGitLab());

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
