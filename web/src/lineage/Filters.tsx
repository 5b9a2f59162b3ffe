import { type FormEvent, useId, useState } from 'react';
import type { Facet, LineageFilter, View } from './graph';

interface Props {
  filter: LineageFilter;
  onChange: (f: LineageFilter) => void;
  packages: Facet[];
  resourceTypes: Facet[];
  /** The selector being applied, and its error (GET /api/select). */
  selector: { select: string; exclude: string };
  onSelector: (s: { select: string; exclude: string }) => void;
  selectorState: 'idle' | 'loading' | 'error';
}

const views: { value: View; label: string }[] = [
  { value: 'all', label: 'All nodes' },
  { value: 'impacted', label: 'Changed and downstream' },
  { value: 'changed', label: 'Changed only' },
];

function FacetSelect(props: { label: string; testId: string; all: string; facets: Facet[]; value: string; onChange: (v: string) => void }) {
  return (
    <label>
      {props.label}
      <select aria-label={props.label} data-testid={props.testId} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">{props.all}</option>
        {props.facets.map((f) => (
          <option key={f.value} value={f.value}>
            {f.value} ({f.count})
          </option>
        ))}
      </select>
    </label>
  );
}

export function Filters({ filter, onChange, packages, resourceTypes, selector, onSelector, selectorState }: Props) {
  const id = useId();
  const [select, setSelect] = useState(selector.select);
  const [exclude, setExclude] = useState(selector.exclude);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    onSelector({ select: select.trim(), exclude: exclude.trim() });
  };
  return (
    <div className="filters" role="group" aria-label="Lineage filters">
      <label>
        Show
        <select
          aria-label="Show"
          data-testid="filter-view"
          value={filter.view}
          onChange={(e) => onChange({ ...filter, view: e.target.value as View })}
        >
          {views.map((v) => (
            <option key={v.value} value={v.value}>
              {v.label}
            </option>
          ))}
        </select>
      </label>
      <FacetSelect
        label="Package"
        testId="filter-package"
        all="All packages"
        facets={packages}
        value={filter.packageName}
        onChange={(packageName) => onChange({ ...filter, packageName })}
      />
      <FacetSelect
        label="Resource type"
        testId="filter-resource-type"
        all="All types"
        facets={resourceTypes}
        value={filter.resourceType}
        onChange={(resourceType) => onChange({ ...filter, resourceType })}
      />
      <form className="filters__selector" onSubmit={apply} aria-describedby={`${id}-help`}>
        <input
          aria-label="Select (dbt selector)"
          data-testid="filter-select"
          placeholder="select, e.g. state:modified+"
          value={select}
          onChange={(e) => setSelect(e.target.value)}
        />
        <input
          aria-label="Exclude (dbt selector)"
          data-testid="filter-exclude"
          placeholder="exclude"
          value={exclude}
          onChange={(e) => setExclude(e.target.value)}
        />
        <button type="submit" disabled={selectorState === 'loading'}>
          Apply selector
        </button>
        {(selector.select || selector.exclude) && (
          <button
            type="button"
            onClick={() => {
              setSelect('');
              setExclude('');
              onSelector({ select: '', exclude: '' });
            }}
          >
            Clear selector
          </button>
        )}
        <span id={`${id}-help`} className="visually-hidden">
          dbt selector syntax, as in dbt ls --select and --exclude
        </span>
      </form>
    </div>
  );
}
