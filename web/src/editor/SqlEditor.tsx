// The SQL editor of the Query screen (CodeMirror 6), loaded lazily. Ctrl/Cmd+Enter runs.
import { sql } from '@codemirror/lang-sql';
import { Prec } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import CodeMirror from '@uiw/react-codemirror';
import { useMemo } from 'react';

export default function SqlEditor({ value, onChange, onRun }: { value: string; onChange: (v: string) => void; onRun: () => void }) {
  const extensions = useMemo(
    () => [
      sql(),
      EditorView.contentAttributes.of({ 'aria-label': 'SQL' }),
      // Above the default keymap, whose Mod-Enter inserts a blank line.
      Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => (onRun(), true) }])),
    ],
    [onRun],
  );
  return (
    <CodeMirror
      value={value}
      onChange={onChange}
      extensions={extensions}
      minHeight="160px"
      maxHeight="45vh"
      data-testid="sql-editor"
      basicSetup={{ foldGutter: false, highlightActiveLine: false }}
    />
  );
}
