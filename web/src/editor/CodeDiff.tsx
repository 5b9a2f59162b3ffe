// Side-by-side diff of two SQL texts (CodeMirror's merge view), read-only.
// Loaded lazily: CodeMirror is the app's largest dependency.
import { sql } from '@codemirror/lang-sql';
import { defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { MergeView } from '@codemirror/merge';
import { EditorState } from '@codemirror/state';
import { EditorView, lineNumbers } from '@codemirror/view';
import { useEffect, useRef } from 'react';

const readOnly = [
  lineNumbers(),
  sql(),
  syntaxHighlighting(defaultHighlightStyle),
  EditorState.readOnly.of(true),
  EditorView.editable.of(false),
  EditorView.lineWrapping,
];

export default function CodeDiff({ base, current }: { base: string; current: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const view = new MergeView({
      a: { doc: base, extensions: readOnly },
      b: { doc: current, extensions: readOnly },
      parent: host.current!,
      collapseUnchanged: { margin: 3, minSize: 6 },
    });
    return () => view.destroy();
  }, [base, current]);
  return <div className="code-diff" ref={host} data-testid="code-diff" aria-label="Code, base on the left, current on the right" role="region" />;
}
