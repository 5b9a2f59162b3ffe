// Renders a finished run's result by type. Each type has its adapter in
// ./adapters, the one place to adjust when a result shape changes.
import { lazy, Suspense } from 'react';
import { useInfo } from '../api/hooks';
import type { Params, RunType } from '../api/types';
import { Loading } from '../components/status';
import { asString } from './adapters/common';
import { toFrame } from './adapters/dataframe';
import { adaptQuery, adaptQueryDiff } from './adapters/query';
import { DataTable } from './DataTable';
import { HistogramResult, TopKResult } from './DistributionResults';
import { ProfileResult } from './ProfileResult';
import { QueryDiffTable } from './QueryDiffTable';
import { RowCountResult } from './RowCountResult';
import { LineageDiffResult, SchemaDiffResult } from './SchemaDiffResult';
import { ValueDiffResult } from './ValueDiffResult';

const ValueDetailTable = lazy(() => import('./ValueDetail').then((m) => ({ default: m.ValueDetailTable })));

const primaryKeys = (params: Params): string[] => {
  const pk = params.primary_keys ?? params.primary_key;
  return Array.isArray(pk) ? pk.map(String) : typeof pk === 'string' ? [pk] : [];
};

function FromArtifacts({ type, params, result }: { type: 'schema_diff' | 'lineage_diff'; params: Params; result: unknown }) {
  const info = useInfo();
  if (!info.data) return <Loading label="Loading the lineage…" />;
  if (!info.data.lineage) return <Raw result={result} />;
  return type === 'schema_diff' ? (
    <SchemaDiffResult params={params} result={result} lineage={info.data.lineage} />
  ) : (
    <LineageDiffResult result={result} lineage={info.data.lineage} />
  );
}

function Raw({ result }: { result: unknown }) {
  return <pre className="raw">{JSON.stringify(result, null, 2)}</pre>;
}

export function ResultView({ type, params, result }: { type: RunType; params: Params; result: unknown }) {
  switch (type) {
    case 'schema_diff':
    case 'lineage_diff':
      return <FromArtifacts type={type} params={params} result={result} />;
    case 'row_count_diff':
      return <RowCountResult result={result} />;
    case 'value_diff':
      return <ValueDiffResult result={result} params={params} />;
    case 'value_diff_detail':
      return (
        <Suspense fallback={<Loading label="Loading the rows…" />}>
          <ValueDetailTable result={result} params={params} />
        </Suspense>
      );
    case 'profile_diff':
      return <ProfileResult result={result} />;
    case 'top_k_diff':
      return <TopKResult result={result} column={asString(params.column_name)} />;
    case 'histogram_diff':
      return <HistogramResult result={result} column={asString(params.column_name)} columnType={asString(params.column_type)} />;
    case 'query':
    case 'query_base': {
      const frame = adaptQuery(result);
      return frame ? <DataTable frame={frame} label="Query result" /> : <Raw result={result} />;
    }
    case 'query_diff': {
      const view = adaptQueryDiff(result, primaryKeys(params));
      return view ? <QueryDiffTable view={view} /> : <Raw result={result} />;
    }
    case 'simple':
      return null;
    default: {
      const frame = toFrame(result);
      return frame ? <DataTable frame={frame} label="Result" /> : <Raw result={result} />;
    }
  }
}
