// "Add to checklist" under a run's result: the check adopts the run (POST /api/checks with run_id).
import { useCreateCheck } from '../api/hooks';
import type { Run } from '../api/types';
import { ErrorMessage } from '../components/status';

/** Key it by run_id: a new run gets a fresh button. */
export function AddToChecklist({ run, name }: { run: Run; name: string }) {
  const add = useCreateCheck();
  return (
    <>
      <button
        type="button"
        data-testid="add-to-checklist"
        disabled={add.isPending || add.isSuccess}
        onClick={() => add.mutate({ type: run.type, params: run.params, run_id: run.run_id, name })}
      >
        {add.isSuccess ? 'Added to checklist' : 'Add to checklist'}
      </button>
      {add.isSuccess && (
        <p role="status" className="ok">
          Added “{add.data.name}” to the checklist.
        </p>
      )}
      {add.error && <ErrorMessage error={add.error} title="Cannot add the check" />}
    </>
  );
}
