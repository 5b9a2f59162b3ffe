// Each result type renders a table or a chart, never raw JSON.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { resultsByType } from '../__fixtures__/results';
import type { RunType } from '../api/types';
import { ResultView } from './ResultView';

describe('ResultView', () => {
  it.each(Object.entries(resultsByType))('%s', async (type, result) => {
    const { container } = render(
      <QueryClientProvider client={new QueryClient()}>
        <ResultView type={type as RunType} params={{ column_name: 'amount', primary_key: 'customer_id' }} result={result} />
      </QueryClientProvider>,
    );
    // Some renderers load lazily (the value diff's rows).
    await waitFor(() => expect(container.querySelector('table, svg')).not.toBeNull());
    expect(container.querySelector('pre.raw')).toBeNull();
  });
});
