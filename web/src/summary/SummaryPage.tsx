// Summary: a preview of the merge request summary this review would post
// (GET {review}/summary, rendered by internal/summary on the server: the
// same markdown as the note), rendered as GitLab shows it, mermaid graph
// included, or as its markdown source; and a button to copy the markdown.
import { lazy, Suspense, useState } from 'react';
import { useSummaryPreview } from '../api/hooks';
import { ErrorMessage, Loading } from '../components/status';
import { withoutMarkers } from './markdown';

const MarkdownView = lazy(() => import('./MarkdownView'));

/** Copies text; without the async clipboard (an insecure origin), through a selected textarea. */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Denied (no permission, page not focused): fall back below.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('the browser refused to copy: select the markdown source and copy it by hand');
}

function CopyButton({ text }: { text: string }) {
  const [state, setState] = useState<'idle' | 'copied' | string>('idle');
  return (
    <>
      <button
        type="button"
        className="primary"
        data-testid="copy-summary"
        onClick={() =>
          copyText(text).then(
            () => setState('copied'),
            (e: unknown) => setState(e instanceof Error ? e.message : String(e)),
          )
        }
      >
        Copy markdown
      </button>
      {state === 'copied' && (
        <span role="status" className="ok small" data-testid="copy-status">
          Copied: paste it in a merge request comment or description.
        </span>
      )}
      {state !== 'idle' && state !== 'copied' && <ErrorMessage error={state} title="Not copied" />}
    </>
  );
}

export function SummaryPage() {
  const summary = useSummaryPreview();
  const [view, setView] = useState<'rendered' | 'source'>('rendered');
  if (summary.isPending) return <Loading label="Rendering the summary…" />;
  if (summary.error) return <ErrorMessage error={summary.error} title="Cannot render the summary" onRetry={() => summary.refetch()} />;
  const s = summary.data;
  const markdown = withoutMarkers(s.markdown);
  return (
    <div className="summary-page" data-testid="summary-preview">
      <div className="summary-page__bar">
        <h1>Summary preview</h1>
        <span className={`tag tag--status-${s.status}`} data-testid="summary-status">
          {s.status === 'success' ? 'success' : 'failed'}
        </span>
        <span className="muted">{s.headline}</span>
      </div>
      <p className="muted small">
        What the merge request’s summary note says for this review now: the checks, their verdicts and the lineage. It is posted from
        Merge requests (or by the pipeline), and kept up to date there.
      </p>
      <div className="buttons">
        <span role="group" aria-label="Show" className="row">
          <button type="button" className={view === 'rendered' ? 'chip chip--on' : 'chip'} aria-pressed={view === 'rendered'} onClick={() => setView('rendered')}>
            Rendered
          </button>
          <button type="button" className={view === 'source' ? 'chip chip--on' : 'chip'} aria-pressed={view === 'source'} onClick={() => setView('source')} data-testid="summary-source-tab">
            Markdown
          </button>
        </span>
        <CopyButton text={markdown} />
        <button type="button" onClick={() => summary.refetch()} disabled={summary.isFetching}>
          {summary.isFetching ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      {s.notices.length > 0 && (
        <ul className="plain small muted">
          {s.notices.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {view === 'rendered' ? (
        <Suspense fallback={<Loading label="Loading the renderer…" />}>
          <MarkdownView markdown={markdown} />
        </Suspense>
      ) : (
        <pre className="code" data-testid="summary-source">
          {markdown}
        </pre>
      )}
    </div>
  );
}
