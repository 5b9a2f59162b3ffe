// A summary preview as GET /api/summary answers it (internal/summary's
// markdown on a small review), for the dev server's mock API.
import type { SummaryPreview } from '../api/types';

const markdown = `<!-- recce:status=failed -->
<!-- recce:summary -->
# Recce Summary

**❌ Data mismatch detected in 1 of 2 checks; 1 did not complete.**

## Manifest Information
| | Manifest | Catalog |
| --- | --- | --- |
| Base | 2024-11-05 07:49:11 | 2024-11-05 07:49:12 |
| Current | 2024-10-29 05:07:05 | 2024-10-29 05:07:06 |

## Lineage Graph
2 nodes changed, 1 impacted with their descendants.

\`\`\`mermaid
graph LR
  n0["customers<br>[What's Changed]<br>Code, Row Count 🔼 +12.00%"]
  n1["stg_orders<br>[What's Changed]<br>Code"]
  n2["orders"]
  n1 --> n2
  n1 --> n0
  classDef modified stroke:#ffa502,stroke-width:3px
  class n0,n1 modified
\`\`\`

## Checks Summary
| Checks Run | Data Mismatch Detected | Incomplete Checks | Approved |
| --- | --- | --- | --- |
| 2 | 1 | 1 | 0 |

### Checks of Data Mismatch Detected
| Name | Type | Mismatched Nodes |
| --- | --- | --- |
| Row count of customers | Row Count Diff | \`customers\` |

<details><summary>Row count of customers (Row Count Diff): row counts differ in 1 of 1 models</summary>

| Model | Base | Current | Change |
| --- | --- | --- | --- |
| \`customers\` | 100 | 112 | +12 (+12.00%) |

</details>

### Incomplete Checks
| Name | Type | Reason |
| --- | --- | --- |
| Value diff of orders | Value Diff | \`not run\` |
`;

export const summaryPreview: SummaryPreview = {
  markdown,
  status: 'failed',
  headline: '❌ Data mismatch detected in 1 of 2 checks; 1 did not complete.',
  checks: { run: 2, mismatch: 1, incomplete: 1, approved: 0 },
  notices: [],
};
