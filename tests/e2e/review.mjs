// The review scenario of issue 6 in a real browser: Debian's Chromium
// driven by Playwright (playwright-core only: no downloaded browser).
//
// Run by TestBrowser (cmd/recce/server_test.go), which starts a fake GitLab
// and `recce server --demo` on free ports and passes their addresses here:
//
//   RECCE_URL              the recce server
//   GITLAB_URL             the fake GitLab instance
//   GITLAB_PROJECT         the project path to connect
//   GITLAB_READ_API_TOKEN  a read_api token of the fake
//   GITLAB_API_TOKEN       an api token of the fake
//   MR_IID                 the merge request to post the summary on
//   SERVER_TOKEN           the server's RECCE_SERVER_TOKEN, when it has one:
//                          the scenario starts on the sign-in page
//   CHROMIUM               the browser (default /usr/bin/chromium)
//   SCREENSHOTS            where each screen is saved (default ./screenshots)
//
// Each step prints a line; the first failure saves failure.png, prints
// what the page said, and exits 1. Any error in the page (an exception, a
// console error such as a Content-Security-Policy violation) fails too.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`review.mjs: ${name} is not set (run this through: go test ./cmd/recce -run TestBrowser)`);
    process.exit(2);
  }
  return v;
}

const recceURL = need('RECCE_URL');
const gitlabURL = need('GITLAB_URL');
const project = need('GITLAB_PROJECT');
const readAPIToken = need('GITLAB_READ_API_TOKEN');
const apiToken = need('GITLAB_API_TOKEN');
const mrIID = need('MR_IID');
const serverToken = process.env.SERVER_TOKEN || '';
const shots = process.env.SCREENSHOTS || join(import.meta.dirname, 'screenshots');
mkdirSync(shots, { recursive: true });

// The flags this machine needs: no sandbox as root, and no background
// traffic to Google's hosts, which the closed network refuses.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(20_000);

const pageErrors = [];
// Before signing in, the browser reports the server's 401 answers as
// console errors: expected then, and only then.
let signingIn = false;
page.on('pageerror', (e) => pageErrors.push(`exception: ${e.message}`));
page.on('console', (m) => {
  if (m.type() !== 'error') return;
  if (signingIn && /status of 401/.test(m.text())) return;
  pageErrors.push(`console: ${m.text()}`);
});

let n = 0;
async function step(name, fn) {
  n++;
  const started = Date.now();
  try {
    await fn();
    if (pageErrors.length) throw new Error(`the page reported errors:\n  ${pageErrors.join('\n  ')}`);
  } catch (e) {
    console.error(`✗ ${n}. ${name}: ${e.message}`);
    await page.screenshot({ path: join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    const text = await page.locator('body').innerText().catch(() => '');
    console.error(`--- the page said:\n${text.slice(0, 3000)}\n--- (screenshot: ${join(shots, 'failure.png')})`);
    await browser.close();
    process.exit(1);
  }
  console.log(`✓ ${n}. ${name} (${Date.now() - started} ms)`);
}

const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
// expectText waits (up to 10 s) until the element's text matches: an
// answer may still be on its way, with the previous text on the page.
const expectText = async (locator, re, timeout = 10_000) => {
  const deadline = Date.now() + timeout;
  await locator.waitFor({ timeout });
  let t = '';
  while (Date.now() < deadline) {
    t = await locator.innerText().catch(() => '');
    if (re.test(t)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`expected ${re} in: ${t.slice(0, 500)}`);
};
// A node of the graph, by name and resource type (the demo has a model and
// a source both named customers).
const graphNode = (name, type) =>
  page
    .locator('.lnode')
    .filter({ has: page.locator('.lnode__name', { hasText: new RegExp(`^${name}$`) }) })
    .filter({ has: page.locator('.lnode__meta', { hasText: new RegExp(`^${type} `) }) });
const nav = (name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

if (serverToken) {
  await step('sign in with the server token (a wrong one first)', async () => {
    signingIn = true;
    await page.goto(recceURL);
    const field = page.getByTestId('server-token');
    await field.fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.getByRole('alert'), /wrong token/);
    await shot('00-sign-in');
    await field.fill(serverToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('lineage-graph').waitFor();
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'recce_session');
    if (!session || !session.httpOnly || session.sameSite !== 'Strict') throw new Error(`session cookie: ${JSON.stringify(session)}`);
    if (cookies.some((c) => c.value.includes(serverToken))) throw new Error('a cookie holds the token');
    signingIn = false;
  });
}

await step('open the lineage of the demo', async () => {
  await page.goto(recceURL);
  await page.getByTestId('lineage-graph').waitFor();
  await expectText(page.getByTestId('project'), /recce_demo · demo/);
  // The demo's changed models are drawn: customers is modified.
  await expectText(graphNode('customers', 'model'), /modified/);
  await shot('01-lineage');
});

await step('select customers: the node panel with its schema and code diff', async () => {
  await graphNode('customers', 'model').click();
  await page.getByTestId('schema-table').waitFor();
  await page.getByTestId('code-diff').waitFor();
  await shot('02-node-panel');
});

await step('run a row count from the node', async () => {
  await page.getByTestId('run-row_count_diff').click();
  const result = page.getByTestId('row-count-result');
  await result.waitFor();
  await expectText(result, /customers/);
  await shot('03-row-count');
});

await step('add it to the checklist', async () => {
  await page.getByTestId('add-to-checklist').click();
  await expectText(page.getByRole('status').filter({ hasText: 'to the checklist' }), /Added “Row count of customers” to the checklist/);
});

await step('approve it on the Checks screen', async () => {
  await nav('Checks').click();
  const item = page.getByTestId('checklist').getByText('Row count of customers');
  await item.click();
  const detail = page.getByTestId('check-detail');
  await expectText(detail, /Row count of customers/);
  await detail.getByTestId('row-count-result').waitFor(); // the adopted run's result
  const approve = detail.getByTestId('approve-check');
  // A controlled checkbox: it turns checked when the server has answered.
  await approve.click();
  await page.waitForFunction(() => document.querySelector('[data-testid="approve-check"]')?.checked === true);
  // The approval is stored: a reload shows it.
  await page.reload();
  await page.getByTestId('check-detail').getByTestId('approve-check').waitFor();
  if (!(await page.getByTestId('check-detail').getByTestId('approve-check').isChecked())) throw new Error('the approval did not survive a reload');
  await shot('04-checks');
});

async function connect(token) {
  const url = page.getByTestId('gitlab-url');
  await url.fill(gitlabURL);
  await page.getByTestId('gitlab-token').fill(token);
  await page.getByTestId('gitlab-project').fill(project);
  await page.getByTestId('gitlab-connect').click();
}

await step('Settings: paste a read_api token and see the read-only explanation', async () => {
  await nav('Settings').click();
  await page.getByTestId('gitlab-connect-form').waitFor();
  if ((await page.getByTestId('gitlab-token').getAttribute('type')) !== 'password') throw new Error('the token field is not masked');
  await connect(readAPIToken);
  const result = page.getByTestId('gitlab-result');
  await result.waitFor();
  if ((await result.getAttribute('data-mode')) !== 'read_only') throw new Error(`mode ${await result.getAttribute('data-mode')}, want read_only`);
  await expectText(page.getByTestId('gitlab-mode'), /read/i);
  await page.getByTestId('scope-table').waitFor();
  await expectText(page.getByTestId('read-only-banner'), /summaries and notes will not be posted/);
  const html = await page.content();
  if (html.includes(readAPIToken)) throw new Error('the token is in the page after connecting');
  await shot('05-settings-read-only');
});

await step('replace it with an api token: the connection is complete', async () => {
  await page.getByTestId('gitlab-replace').click();
  await connect(apiToken);
  const result = page.getByTestId('gitlab-result');
  await page.waitForFunction(() => document.querySelector('[data-testid="gitlab-result"]')?.getAttribute('data-mode') === 'full');
  await expectText(result, /recce-bot/);
  await page.getByTestId('read-only-banner').waitFor({ state: 'detached' });
  if ((await page.content()).includes(apiToken)) throw new Error('the token is in the page after connecting');
  await shot('06-settings-full');
});

await step('see the merge requests and post a summary', async () => {
  await nav('Merge requests').click();
  const row = page.getByTestId(`mr-${mrIID}`);
  await row.waitFor();
  await page.getByTestId(`post-summary-${mrIID}`).click();
  await expectText(row.getByRole('status'), /Summary created/);
  await expectText(row, /posted/);
  await shot('07-merge-requests');
  // Posting again edits the same note, here unchanged (the Go test counts
  // the notes on the fake: exactly one).
  await page.getByTestId(`post-summary-${mrIID}`).click();
  await expectText(row.getByRole('status'), /Summary unchanged/);
});

await browser.close();
console.log(`all ${n} steps passed; screenshots in ${shots}`);
