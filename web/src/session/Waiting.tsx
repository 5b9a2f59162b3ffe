// A session that no pipeline has uploaded to yet: what to add to the pipeline.
import { Link } from 'wouter';

export function Waiting({ iid }: { iid: number }) {
  return (
    <section className="waiting" aria-labelledby="waiting-h" data-testid="session-waiting">
      <h2 id="waiting-h">Waiting for a pipeline</h2>
      <p>
        No pipeline has uploaded to !{iid} yet, so there is nothing to review here. Add <code>recce upload</code> after{' '}
        <code>recce run</code> in the merge request pipeline:
      </p>
      <pre>
        {`recce run\nrecce upload --server ${window.location.origin}`}
      </pre>
      <p className="muted">
        In a merge request pipeline, <code>recce upload</code> signs in with the job’s <code>CI_JOB_TOKEN</code>; elsewhere, give it an{' '}
        <Link href="~/settings/tokens">API token</Link> as <code>RECCE_SERVER_API_TOKEN</code>. This page updates by itself when the upload
        arrives.
      </p>
    </section>
  );
}
