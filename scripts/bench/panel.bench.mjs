// How fast the admin panel draws a run page in headless Chromium (Debian's, through playwright-core):
// the seed's 50-step run (target: under 1 s), and a 1,000-step run with 1,000,000 rollouts (issue 5:
// "it stays usable at 1,000 steps and 1 million rollouts"). Time = navigation start → the reward
// chart and every shown reliability diagram are in the DOM (a MutationObserver marks it in the page).
// Needs `npm run build` (the API and apps/admin-ui/dist).
import { openAsBlob } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { chromium } from 'playwright-core';

import { createBenchDatabase, median, startBenchApi } from './bench-api.mjs';

const root = new URL('../../', import.meta.url).pathname;
const STEPS = Number(process.env.BENCH_PANEL_STEPS ?? 1000);
const PER_STEP = Number(process.env.BENCH_PANEL_PER_STEP ?? 1000);
const STEPS_PER_REQUEST = 50;
const LOADS = 4;
const TARGET_MS = 1000;
const RENDERED = 'figure.reliability svg[aria-label], [data-chart="reward"] svg[aria-label]';

/** The bench API's admin token (set once it is started). */
let adminToken = '';

async function json(url, init) {
  const headers = { ...init.headers, authorization: `Bearer ${adminToken}` };
  const response = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(120_000) });
  const body = await response.json();
  if (response.status >= 300) throw new Error(`${url}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

async function importSeed(apiUrl) {
  const form = new FormData();
  form.append('name', 'bench seed run');
  for (const name of ['calibration_metrics.csv', 'orchestrator.stdout']) {
    form.append('files', await openAsBlob(join(root, 'examples/seed-run', name)), name);
  }
  return (await json(`${apiUrl}/v1/imports`, { method: 'POST', body: form })).id;
}

/** A run of STEPS steps × PER_STEP rollouts, already scored (p_yes, brier_score) so the API only stores them. */
async function bigRun(apiUrl) {
  const { id } = await json(`${apiUrl}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ preset: 'smoke-tiny', name: `panel bench ${STEPS}x${PER_STEP}` }),
  });
  for (let first = 0; first < STEPS; first += STEPS_PER_REQUEST) {
    const lines = [];
    for (let step = first; step < Math.min(first + STEPS_PER_REQUEST, STEPS); step++) {
      for (let i = 0; i < PER_STEP; i++) {
        const label = (i * 7 + step) % 2;
        const p = ((i * 37 + step * 11) % 101) / 100;
        lines.push(
          `{"step":${step},"sample_key":"s${i}","example_id":"q${i % 128}","label":${label},"p_yes":${p},"brier_score":${(p - label) ** 2},"reward":${1 - (p - label) ** 2}}`,
        );
      }
    }
    await json(`${apiUrl}/v1/runs/${id}/rollouts`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        'content-encoding': 'gzip',
        'batch-id': `panel-${id}-${first}`,
      },
      body: gzipSync(`${lines.join('\n')}\n`),
    });
  }
  return id;
}

/** Milliseconds from navigation to `count` drawn figures, for LOADS loads of the page (the first cold). */
async function renderTimes(browser, url, count) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // The panel's login (the session cookie), as a user does before opening the run.
  const login = await page.context().request.post(new URL('/v1/session', url).href, {
    data: { token: adminToken },
  });
  if (login.status() !== 200) throw new Error(`panel login answered ${login.status()}`);
  await page.addInitScript(`(() => {
    const check = () => {
      if (document.querySelectorAll(${JSON.stringify(RENDERED)}).length < ${count}) return false;
      performance.mark('brier:rendered');
      return true;
    };
    const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
    document.addEventListener('DOMContentLoaded', () => {
      if (!check()) observer.observe(document.body, { childList: true, subtree: true });
    });
  })();`);
  const times = [];
  for (let load = 0; load < LOADS; load++) {
    await (load === 0 ? page.goto(url) : page.reload());
    // A function, not a string: the panel's Content-Security-Policy forbids evaluating strings.
    const handle = await page.waitForFunction(
      () => performance.getEntriesByName('brier:rendered')[0]?.startTime,
      null,
      { timeout: 30_000 },
    );
    times.push(Math.round(await handle.jsonValue()));
  }
  await page.close();
  return times;
}

export async function benchPanel() {
  const db = await createBenchDatabase();
  const api = await startBenchApi(db.url);
  adminToken = api.adminToken;
  const browser = await chromium.launch({
    executablePath: process.env.BRIER_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  try {
    const seed = await importSeed(api.url);
    const started = performance.now();
    const big = await bigRun(api.url);
    const ingestSeconds = (performance.now() - started) / 1000;
    // 10 reliability groups + the reward chart for the seed; 12 shown groups + the chart for 1,000 steps.
    const seedTimes = await renderTimes(browser, `${api.url}/admin/#/runs/${seed}`, 11);
    const bigTimes = await renderTimes(
      browser,
      `${api.url}/admin/#/runs/${big}`,
      Math.min(12, STEPS / 5) + 1,
    );
    const seedWarm = median(seedTimes.slice(1));
    return {
      name: 'panel',
      setup: `headless Chromium 1280×800; API built, own database; a ${STEPS}-step run of ${STEPS * PER_STEP} rollouts ingested in ${ingestSeconds.toFixed(1)} s`,
      seedRun: {
        steps: 50,
        rollouts: 51200,
        renderMs: seedTimes,
        firstLoadMs: seedTimes[0],
        warmMedianMs: seedWarm,
      },
      bigRun: {
        steps: STEPS,
        rollouts: STEPS * PER_STEP,
        renderMs: bigTimes,
        firstLoadMs: bigTimes[0],
        warmMedianMs: median(bigTimes.slice(1)),
      },
      targets: {
        seedRunUnder1s: { target: TARGET_MS, measured: seedTimes[0], met: seedTimes[0] < TARGET_MS },
        bigRunUsable: {
          note: 'no target in ms; the first load and reloads are reported',
          measured: bigTimes[0],
        },
      },
    };
  } finally {
    await browser.close();
    await api.stop();
    await db.drop();
  }
}
