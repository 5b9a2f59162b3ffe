import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reviewApi, sessionBase } from '../api/client';
import { ReviewProvider } from '../api/review';
import type { SummaryPreview } from '../api/types';
import { calls, renderApp, serve } from '../test/api';
import { markdownToHtml, withoutMarkers } from './markdown';
import { SummaryPage } from './SummaryPage';

// Mermaid cannot lay out in jsdom: the test checks what the page asks of it
// and that its SVG takes the fence's place (the browser test draws for real).
const render = vi.fn(async (_id: string, source: string) => ({ svg: `<svg data-source="${source.length}"><text>graph</text></svg>` }));
vi.mock('mermaid', () => ({ default: { initialize: vi.fn(), render: (id: string, source: string) => render(id, source) } }));

afterEach(() => {
  vi.unstubAllGlobals();
  render.mockClear();
});

const MARKDOWN = `<!-- recce:status=failed -->
<!-- recce:summary -->
# Recce Summary

**❌ Data mismatch detected in 1 of 2 checks.**

## Lineage Graph
\`\`\`mermaid
graph LR
  n0["customers"]
\`\`\`

## Checks Summary
| Checks Run | Data Mismatch Detected |
| --- | --- |
| 2 | 1 |

<details><summary>Row count of customers (Row Count Diff)</summary>

| Model | Base | Current |
| --- | --- | --- |
| \`customers\` | 100 | 112 |

</details>

<img src=x onerror="alert(1)"><script>alert(2)</script>[a link](https://gitlab.com/x) [bad](javascript:alert(3))
`;

const PREVIEW: SummaryPreview = {
  markdown: MARKDOWN, status: 'failed', headline: '❌ Data mismatch detected in 1 of 2 checks.',
  checks: { run: 2, mismatch: 1, incomplete: 0, approved: 0 }, notices: [],
};

describe('summary preview', () => {
  it('renders the summary as GitLab would, its mermaid graph drawn, and copies the markdown', async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    serve({ 'GET /api/summary': [200, PREVIEW] });
    renderApp(<SummaryPage />);
    const rendered = await screen.findByTestId('summary-rendered');
    await waitFor(() => expect(rendered.getAttribute('data-drawn')).toBe('true'));
    expect(screen.getByTestId('summary-status').textContent).toBe('failed');
    expect(within(rendered).getByRole('heading', { level: 1 }).textContent).toBe('Recce Summary');
    expect(rendered.querySelectorAll('table')).toHaveLength(2);
    expect(rendered.querySelector('details summary')!.textContent).toBe('Row count of customers (Row Count Diff)');
    // The fence became mermaid's drawing; mermaid got the graph's source.
    expect(render).toHaveBeenCalledTimes(1);
    expect(render.mock.calls[0][1]).toBe('graph LR\n  n0["customers"]\n');
    expect(within(rendered).getByTestId('mermaid-graph').querySelector('svg')).not.toBeNull();
    expect(rendered.querySelector('code.language-mermaid')).toBeNull();
    // Nothing from the data runs: no script, no handler, no javascript: link; links open apart.
    expect(rendered.innerHTML).not.toMatch(/<script|onerror|javascript:/);
    expect(within(rendered).getByRole('link', { name: 'a link' }).getAttribute('rel')).toBe('noopener noreferrer');
    // The hidden markers are not copied.
    fireEvent.click(screen.getByTestId('copy-summary'));
    expect((await screen.findByTestId('copy-status')).textContent).toMatch(/^Copied/);
    expect(writeText).toHaveBeenCalledWith(MARKDOWN.replace('<!-- recce:status=failed -->\n<!-- recce:summary -->\n', ''));
    // The source, as posted.
    fireEvent.click(screen.getByTestId('summary-source-tab'));
    expect(screen.getByTestId('summary-source').textContent).toMatch(/^# Recce Summary/);
  });

  it('is the session’s summary inside a merge request’s review', async () => {
    const fetch = serve({ 'GET /api/mr/12/summary': [200, { ...PREVIEW, markdown: '# Recce Summary\n\nNo check.\n', status: 'success' }] });
    renderApp(
      <ReviewProvider review={reviewApi(sessionBase(12))}>
        <SummaryPage />
      </ReviewProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('summary-rendered').getAttribute('data-drawn')).toBe('true'));
    expect(screen.getByTestId('summary-status').textContent).toBe('success');
    expect(calls(fetch)).toEqual(['GET /api/mr/12/summary']);
    expect(render).not.toHaveBeenCalled(); // no fence: mermaid is not even loaded
  });

  it('says why it cannot render', async () => {
    serve({ 'GET /api/summary': [500, { error: 'render the summary: boom' }] });
    renderApp(<SummaryPage />);
    expect((await screen.findByRole('alert')).textContent).toContain('Cannot render the summary: render the summary: boom');
  });
});

describe('markdown', () => {
  it('drops the hidden marker lines for copying, and HTML comments when rendering', () => {
    expect(withoutMarkers('<!-- recce:status=success -->\n<!-- recce:summary -->\n# T\n')).toBe('# T\n');
    expect(markdownToHtml('<!-- recce:summary -->\n# T')).toBe('<h1>T</h1>\n');
  });
});
