// Rendered markdown with its mermaid graphs drawn. Loaded with the summary
// preview only (a lazy chunk: marked and DOMPurify), and mermaid, larger
// still, only when the markdown has a mermaid fence (a dynamic import).
import { useEffect, useMemo, useRef, useState } from 'react';
import { markdownToHtml, mermaidBlocks } from './markdown';

let ids = 0;

/** Draws each mermaid fence under root as an SVG; a fence mermaid cannot draw stays as code, with why. */
async function drawMermaid(root: HTMLElement, isCurrent: () => boolean): Promise<string | null> {
  const blocks = mermaidBlocks(root);
  if (blocks.length === 0) return null;
  const { default: mermaid } = await import('mermaid');
  // strict: labels are text (no HTML, no click handlers), as GitLab draws them.
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral', flowchart: { htmlLabels: false } });
  for (const code of blocks) {
    if (!isCurrent()) return null;
    const pre = code.parentElement!;
    try {
      const { svg } = await mermaid.render(`recce-mermaid-${++ids}`, code.textContent ?? '');
      if (!isCurrent()) return null;
      const figure = document.createElement('div');
      figure.className = 'mermaid-graph';
      figure.setAttribute('data-testid', 'mermaid-graph');
      figure.innerHTML = svg; // mermaid's own output, its labels escaped (securityLevel strict)
      pre.replaceWith(figure);
    } catch (e) {
      return `The lineage graph could not be drawn (${e instanceof Error ? e.message : String(e)}); its mermaid source is shown instead.`;
    }
  }
  return null;
}

export default function MarkdownView({ markdown }: { markdown: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const html = useMemo(() => markdownToHtml(markdown), [markdown]);
  const [problem, setProblem] = useState<string | null>(null);
  const [drawn, setDrawn] = useState(false);
  useEffect(() => {
    let current = true;
    const root = ref.current;
    if (!root) return;
    root.innerHTML = html; // sanitised by markdownToHtml
    setProblem(null);
    setDrawn(false);
    drawMermaid(root, () => current)
      .then((p) => {
        if (!current) return;
        setProblem(p);
        setDrawn(true);
      })
      .catch((e: unknown) => current && setProblem(`The lineage graph could not be drawn: ${String(e)}`));
    return () => {
      current = false;
    };
  }, [html]);
  return (
    <>
      {problem && <p className="reason">{problem}</p>}
      <div ref={ref} className="markdown" data-testid="summary-rendered" data-drawn={drawn ? 'true' : 'false'} />
    </>
  );
}
