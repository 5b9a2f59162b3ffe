// The lineage graph's browser benchmark (issue 19): Debian's Chromium,
// driven by playwright-core, against `recce server` on generated projects,
// for two recce binaries side by side (a baseline and the one under test).
// Not a test: it measures and prints, it never fails on a slow machine.
//
//   node bench/web/lineage.mjs --project bench/out/web-10000 [--project ...]
//        --bin current=bench/out/recce [--bin baseline=bench/out/recce-baseline]
//        [--runs 5] [--json out.json] [--shots DIR]
//
// bench/web/run.sh builds the binaries and generates the projects.
//
// For each run, project and binary (the binaries alternate, in a different
// order each run, so that machine noise hits both alike), it starts
// `recce server` on the project with a fresh data directory, opens
// /lineage in a fresh browser context at 1440x900, and measures:
//
//   first     navigation start until the first graph node is painted
//   switch    choosing "All nodes" under Show until the whole graph is
//             painted (data-node-count reaches the total, nodes in the DOM)
//   longest   the longest task (PerformanceObserver "longtask") from the
//             switch until one second after it was painted
//   edges     edges drawn once settled: SVG edges in the DOM plus what a
//             canvas layer reports in data-edges-drawn
//   pan       frames per second (requestAnimationFrame counted) during 2 s
//             of dragging the canvas back and forth, one move per frame,
//             after the app's "fit view" control (the whole graph, as far
//             out as the app allows: the most nodes in view); and the page's
//             main thread CPU time per frame meanwhile (from a trace)
//   zoom      the same during 2 s of wheel notches, 10 in then 10 out
//   select    mouse down on a visible node until its panel shows the node's
//             name with nothing left loading, painted (median of 5 nodes)
//   info      bytes of JSON the first screen fetched (decoded) and sent
//             over the wire, and the server's resident memory (VmRSS)
//             after the run, and its peak (VmHWM)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

function parseArgs(argv) {
  const o = { projects: [], bins: [], runs: 5, json: '', shots: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--project') o.projects.push(resolve(v()));
    else if (a === '--bin') {
      const [name, path] = v().split('=');
      if (!path) throw new Error('--bin takes NAME=PATH');
      o.bins.push({ name, path: resolve(path) });
    } else if (a === '--runs') o.runs = Number(v());
    else if (a === '--json') o.json = v();
    else if (a === '--shots') o.shots = resolve(v());
    else throw new Error(`unknown argument ${a}`);
  }
  if (o.projects.length === 0 || o.bins.length === 0) throw new Error('need at least one --project and one --bin (see the comment at the top)');
  return o;
}

/** Starts recce server on a project; resolves with its URL and process once it listens. */
function startServer(bin, project) {
  const dataDir = mkdtempSync(join(tmpdir(), 'recce-bench-web-'));
  const p = spawn(bin, ['server', '--port', '0', '--data-dir', dataDir, '--workers', '0'], {
    cwd: project,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`recce server did not start in 120 s:\n${out}`)), 120_000);
    const onData = (d) => {
      out += d;
      const m = out.match(/at (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolveStart({ url: m[1], proc: p, dataDir });
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('exit', (code) => reject(new Error(`recce server exited (${code}):\n${out}`)));
  });
}

async function stopServer(s) {
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGINT');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
  rmSync(s.dataDir, { recursive: true, force: true });
}

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(status.match(new RegExp(`${k}:\\s+(\\d+)`))?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

// Installed in every page before its scripts: long tasks, and a helper
// that resolves after the next frame is painted.
const INIT = () => {
  const b = (window.__bench = { longtasks: [] });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) b.longtasks.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: true });
  b.afterPaint = () =>
    new Promise((r) =>
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => r(performance.now());
        ch.port2.postMessage(0);
      }),
    );
  // Checks cond on every frame; resolves with the time the frame after it held was painted.
  b.until = (cond, timeout = 60_000) =>
    new Promise((resolveUntil, reject) => {
      const start = performance.now();
      const tick = () => {
        if (cond()) return void b.afterPaint().then(resolveUntil);
        if (performance.now() - start > timeout) return reject(new Error('timed out'));
        requestAnimationFrame(tick);
      };
      tick();
    });
  // For 2 s, one input per frame: a drag back and forth (pan) or wheel
  // notches, 10 in then 10 out (zoom). Resolves with the frames per second.
  window.driveFrames = (box, kind) =>
    new Promise((resolveFrames) => {
      const cx = box.x + box.width / 2;
      const cy = box.y + box.height / 2;
      // The pane (under the nodes and edges): dragging there pans, as a user would.
      const target = document.querySelector('.react-flow__pane');
      const mouse = (type, x, y) =>
        target.dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true, view: window, button: 0, buttons: type === 'mouseup' ? 0 : 1, clientX: x, clientY: y }));
      if (kind === 'pan') mouse('mousedown', cx, cy);
      let frames = 0;
      let moved = 0;
      let last = '';
      const viewport = document.querySelector('.react-flow__viewport');
      const t0 = performance.now();
      const frame = (now) => {
        if (now - t0 >= 2000) {
          if (kind === 'pan') mouse('mouseup', cx, cy);
          return resolveFrames({ fps: (frames * 1000) / (performance.now() - t0), frames, moved: moved / frames });
        }
        frames++;
        if (viewport.style.transform !== last) moved++;
        last = viewport.style.transform;
        const t = frames / 20;
        if (kind === 'pan') mouse('mousemove', cx + 300 * Math.sin(t), cy + 150 * Math.sin(2 * t));
        else target.dispatchEvent(new WheelEvent('wheel', { bubbles: true, cancelable: true, view: window, clientX: cx, clientY: cy, deltaY: frames % 20 < 10 ? -60 : 60 }));
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
  b.longest = (from, to) => b.longtasks.filter(([s]) => s >= from && s < to).reduce((m, [, d]) => Math.max(m, d), 0);
  b.edgesDrawn = () =>
    document.querySelectorAll('.react-flow__edge').length +
    [...document.querySelectorAll('[data-edges-drawn]')].reduce((n, el) => n + Number(el.getAttribute('data-edges-drawn')), 0);
};

/** Runs fn under a trace; resolves with its result and the CPU milliseconds the page's main thread spent meanwhile. */
async function mainThreadCPU(page, fn) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Tracing.start', { categories: 'toplevel', transferMode: 'ReturnAsStream' });
  const result = await fn();
  const complete = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.end');
  const { stream } = await complete;
  let data = '';
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle: stream });
    data += chunk.data;
    if (chunk.eof) break;
  }
  await cdp.detach();
  const parsed = JSON.parse(data);
  const events = parsed.traceEvents ?? parsed;
  const main = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args.name === 'CrRendererMain').map((e) => `${e.pid}/${e.tid}`));
  let cpu = 0;
  for (const e of events) if (e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && e.tdur && main.has(`${e.pid}/${e.tid}`)) cpu += e.tdur / 1000;
  return { result, cpu };
}

async function measure(page, url, o) {
  const m = {};
  const wire = { decoded: 0, transfer: 0 };
  await page.goto(`${url}/lineage`);
  m.first = await page.evaluate(() => window.__bench.until(() => document.querySelector('.react-flow__node') !== null));
  for (const r of await page.evaluate(() => performance.getEntriesByType('resource').map((e) => ({ name: e.name, d: e.decodedBodySize, t: e.transferSize })))) {
    if (!/\/api\//.test(r.name)) continue;
    wire.decoded += r.d;
    wire.transfer += r.t;
  }
  m.apiMB = wire.decoded / 1e6;
  m.apiWireKB = wire.transfer / 1e3;
  const view = page.getByTestId('filter-view');
  if ((await view.inputValue()) === 'all') {
    await view.selectOption('changed');
    await page.waitForTimeout(1000);
  }
  await page.waitForTimeout(500);
  // The total, from the legend ("57 of 10160 nodes shown").
  const legend = await page.getByTestId('lineage-legend').innerText();
  const total = Number(legend.match(/of (\d+) nodes/)?.[1] ?? legend.match(/(\d+) nodes/)?.[1]);
  const sw = await page.evaluate(async (total) => {
    const b = window.__bench;
    const sel = document.querySelector('[data-testid="filter-view"]');
    const t0 = performance.now();
    sel.value = 'all';
    sel.dispatchEvent(new Event('change', { bubbles: true }));
    const t1 = await b.until(() => {
      const g = document.querySelector('[data-testid="lineage-graph"]');
      return g !== null && Number(g.getAttribute('data-node-count')) === total && g.querySelector('.react-flow__node') !== null;
    });
    await new Promise((r) => setTimeout(r, 1000));
    return { switch: t1 - t0, longest: b.longest(t0, t1 + 1000) };
  }, total);
  Object.assign(m, sw);
  await page.waitForTimeout(500);
  m.edges = await page.evaluate(() => window.__bench.edgesDrawn());
  if (o.shots) await page.screenshot({ path: join(o.shots, `${o.tag}-all.png`) });

  const box = await page.getByTestId('lineage-graph').boundingBox();
  // Pan and zoom are measured on the whole graph as far out as the app
  // allows (its "fit view" control): the most nodes and edges in view.
  await page.locator('.react-flow__controls-fitview').click();
  await page.waitForTimeout(1000);
  if (o.shots) await page.screenshot({ path: join(o.shots, `${o.tag}-fit.png`) });
  // Pan and zoom are driven from inside the page, one input event per frame
  // (as a browser delivers them, aligned to frames), so that every frame has
  // work to do whatever the latency of the driver on a loaded machine.
  // moved: the share of frames that found the view moved (a check that the
  // input works); cpu: the page's main thread CPU time per frame, from a
  // trace, a figure that other load on the machine does not change much.
  for (const kind of ['pan', 'zoom']) {
    const { result, cpu } = await mainThreadCPU(page, () => page.evaluate(([box, kind]) => driveFrames(box, kind), [box, kind]));
    m[kind] = result.fps;
    m[`${kind}Moved`] = result.moved;
    m[`${kind}CPU`] = cpu / result.frames;
    await page.waitForTimeout(300);
  }
  await page.waitForTimeout(500);
  // Back to the view the switch opened on, for the selections.
  await page.evaluate(() => {
    const sel = document.querySelector('[data-testid="filter-view"]');
    sel.value = 'changed';
    sel.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await page.waitForTimeout(1000);
  await page.evaluate(() => {
    const sel = document.querySelector('[data-testid="filter-view"]');
    sel.value = 'all';
    sel.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await page.waitForTimeout(1500);

  // Select 5 nodes, each the first one in view in the left half of the
  // canvas (the panel opens on the right) not selected before.
  const selects = [];
  const used = [];
  for (let i = 0; i < 5; i++) {
    const pick = await page.evaluate(
      ({ box, used }) => {
        for (const el of document.querySelectorAll('.react-flow__node')) {
          const r = el.getBoundingClientRect();
          const id = el.getAttribute('data-id');
          if (used.includes(id)) continue;
          if (r.left > box.x + 20 && r.right < box.x + box.width / 2 && r.top > box.y + 20 && r.bottom < box.y + box.height - 20) {
            return { id, name: el.querySelector('.lnode__name').textContent, x: r.left + r.width / 2, y: r.top + r.height / 2 };
          }
        }
        return null;
      },
      { box, used },
    );
    if (!pick) break;
    used.push(pick.id);
    const done = page.evaluate((name) => {
      const b = window.__bench;
      return new Promise((r) => {
        addEventListener('mousedown', (e) => (b.down = e.timeStamp), { capture: true, once: true });
        // The panel shows the node: its name, and nothing left loading.
        b.until(() => {
          const panel = document.querySelector('[data-testid="node-panel"]');
          return panel?.querySelector('h2')?.textContent === name && panel.querySelector('[data-testid="loading"]') === null;
        }).then((t) => r(t - b.down));
      });
    }, pick.name);
    await page.waitForTimeout(50);
    await page.mouse.click(pick.x, pick.y);
    selects.push(await done);
    if (o.shots && selects.length === 1) await page.screenshot({ path: join(o.shots, `${o.tag}-selected.png`) });
    await page.getByRole('button', { name: 'Close node details' }).click();
    await page.waitForTimeout(400);
  }
  m.select = median(selects);
  return m;
}

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

const o = parseArgs(process.argv.slice(2));
if (o.shots) mkdirSync(o.shots, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const results = []; // {run, project, bin, ...figures}
for (let run = 1; run <= o.runs; run++) {
  for (const project of o.projects) {
    const order = run % 2 ? o.bins : [...o.bins].reverse();
    for (const bin of order) {
      const server = await startServer(bin.path, project);
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      await context.addInitScript(INIT);
      const page = await context.newPage();
      page.setDefaultTimeout(120_000);
      const tag = `${basename(project)}-${bin.name}-${run}`;
      try {
        const m = await measure(page, server.url, { ...o, tag });
        Object.assign(m, memory(server.proc.pid));
        results.push({ run, project: basename(project), bin: bin.name, ...m });
        console.log(tag, JSON.stringify(m, (k, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v)));
      } catch (e) {
        console.error(`${tag}: ${e.message}`);
        await page.screenshot({ path: join(tmpdir(), `${tag}-failure.png`) }).catch(() => {});
      } finally {
        await context.close();
        await stopServer(server);
      }
    }
  }
}
await browser.close();

// Medians per project and binary.
const fields = [
  ['first', 'first screen (ms)', 0],
  ['switch', '"All nodes": switch (ms)', 0],
  ['longest', 'longest task (ms)', 0],
  ['edges', 'edges drawn', 0],
  ['pan', 'pan (fps)', 0],
  ['zoom', 'wheel zoom (fps)', 0],
  ['panCPU', 'pan, main thread CPU per frame (ms)', 1],
  ['zoomCPU', 'zoom, main thread CPU per frame (ms)', 1],
  ['select', 'select to panel (ms)', 0],
  ['apiMB', 'API JSON, first screen (MB)', 2],
  ['apiWireKB', 'API bytes over the wire (kB)', 0],
  ['rssMB', 'server memory after (MB)', 0],
  ['peakMB', 'server peak memory (MB)', 0],
];
const summary = {};
for (const project of o.projects.map((p) => basename(p))) {
  summary[project] = {};
  console.log(`\n${project} (medians of ${o.runs} runs)`);
  console.log(['figure'.padEnd(32), ...o.bins.map((b) => b.name.padStart(12))].join(''));
  for (const [key, label, digits] of fields) {
    const row = [label.padEnd(32)];
    for (const bin of o.bins) {
      const v = median(results.filter((r) => r.project === project && r.bin === bin.name).map((r) => r[key]));
      (summary[project][bin.name] ??= {})[key] = v;
      row.push(v.toFixed(digits).padStart(12));
    }
    console.log(row.join(''));
  }
}
if (o.json) writeFileSync(o.json, JSON.stringify({ results, summary }, null, 2));
