// The summary's markdown as safe HTML: GitLab-flavoured markdown (marked,
// GFM tables) sanitised by DOMPurify, since check names, descriptions and
// values in it come from users and data. HTML comments (the summary's
// hidden markers) are dropped; links open in a new tab without a referrer.
import DOMPurify from 'dompurify';
import { marked } from 'marked';

let hooked = false;

function sanitizer() {
  if (!hooked) {
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A' && node.getAttribute('href')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
    });
    hooked = true;
  }
  return DOMPurify;
}

/** Sanitised HTML for the markdown; mermaid fences stay `<pre><code class="language-mermaid">` for drawMermaid. */
export function markdownToHtml(md: string): string {
  const html = marked.parse(md, { gfm: true, async: false }) as string;
  return sanitizer().sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ['style', 'form', 'input', 'button'] });
}

/** The markdown without the summary's hidden marker lines (`<!-- recce:... -->`), for copying elsewhere. */
export function withoutMarkers(md: string): string {
  return md.replace(/^<!-- recce:[^\n]*-->\n/gm, '');
}

/** The mermaid fences of rendered markdown. */
export const mermaidBlocks = (root: ParentNode) => [...root.querySelectorAll<HTMLElement>('pre > code.language-mermaid')];
