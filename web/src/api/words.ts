// The server words its errors for the CLI ("use `recce query --base`",
// "check --gitlab-url"): the same domain functions serve both. In the app,
// those instructions name what to click instead. Each rule rewrites one
// instruction the server gives (internal/diff, internal/gitlab,
// internal/server); the rest of the message is kept, so a reworded server
// message degrades to its CLI wording, never to nothing.

const RULES: [RegExp, string][] = [
  // internal/diff: a model added or removed by the change.
  [/use `recce query --base` to look at it/g, 'look at it on the Query screen, with Run on: Base'],
  [/use `recce query` to look at it/g, 'look at it on the Query screen'],
  // internal/diff: parameters the node panel and the Query screen ask for.
  [/pass --primary-key COLUMN\[,COLUMN\]/g, 'enter the primary key column(s) in the Primary key field'],
  [/pass the columns that identify a row with --primary-key/g, 'enter the columns that identify a row in the Primary key field'],
  [/pass --model NAME/g, 'choose a model'],
  [/pass --column NAME/g, 'choose a column'],
  [/pass --sql '[^']*'/g, 'write a query'],
  // internal/gitlab: the connection check (Settings > GitLab).
  [/check the URL \(--gitlab-url, or CI_SERVER_URL in CI\)/g, 'check the GitLab URL field'],
  [/check RECCE_GITLAB_TOKEN \/ --token-file and --gitlab-url/g, 'check the token and the GitLab URL you entered'],
  [/; check --gitlab-url/g, '; check the GitLab URL field'],
  [/check --project \/ CI_PROJECT_ID \(numeric id or full group\/project path\)/g, 'check the Project field (the numeric id or the full group/project path)'],
  [/pass --project with the numeric id or the group\/project path, or run in a GitLab CI job \(CI_PROJECT_ID\)/g, 'enter the numeric id or the group/project path in the Project field'],
  [/check --project \(CI_PROJECT_ID\), and run `recce gitlab doctor`/g, 'check the project in Settings > GitLab'],
  [/pass its CA bundle with --gitlab-ca-file/g, "whoever runs this recce server must give it the instance's CA bundle"],
  [/update RECCE_GITLAB_TOKEN \(or run recce gitlab connect again\)/g, 'replace it in Settings > GitLab (Replace token)'],
  [/\(RECCE_GITLAB_TOKEN, or recce gitlab connect\)/g, 'in Settings > GitLab (Replace token)'],
  // internal/server: the local review has no merge request.
  [/\(open the merge request's session, or start the server with --review on a merge request pipeline's state file\)/g, "(open the merge request's review from Merge requests)"],
];

/** A message from the server, with the CLI's instructions replaced by what to do in the app. */
export function forTheWeb(message: string): string {
  let out = message;
  for (const [re, replacement] of RULES) out = out.replace(re, replacement);
  return out;
}
