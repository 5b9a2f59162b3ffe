// "Export CSV" and "Export TSV" under a result table: the whole table (every
// row the server returned, not only the page shown), as a download.
import { type Delimiter, exportFileName, type TableData, toDelimited } from './export';

const TYPES: Record<Delimiter, string> = { csv: 'text/csv', tsv: 'text/tab-separated-values' };

function download(text: string, name: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has read the blob once the click is handled.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** `table` is computed on click only: large results cost nothing until exported. */
export function ExportButtons({ label, table }: { label: string; table: () => TableData }) {
  return (
    <span className="export" role="group" aria-label={`Export ${label}`}>
      {(['csv', 'tsv'] as const).map((f) => (
        <button
          key={f}
          type="button"
          className="link"
          data-testid={`export-${f}`}
          onClick={() => download(toDelimited(table(), f), exportFileName(label, f), TYPES[f])}
        >
          Export {f.toUpperCase()}
        </button>
      ))}
    </span>
  );
}
