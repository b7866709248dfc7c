import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { request } from '../../api/test/support/runs-fixtures.js';
import { startTestApi, type TestApi } from '../../api/test/support/test-api.js';
import { cleanupAgents, type AgentProcess } from '../../gpu-agent/test/support/agent-process.js';
import { launchBrowser, screenshot, SCREENSHOTS_DIR } from '../../../test/support/browser.js';
import type { ReliabilityGroup, SamplesView, StepMetrics } from '../src/api/types.js';
import { openPanel, pageErrors, PHONE, textOf as text } from './support/panel-pages.js';
import { ingestProbeSteps, submitProbeRun } from './support/probe-run.js';
import { markWhenRendered, renderedAt } from './support/render-timing.js';
import { startTrainingAgent } from './support/training-agent.js';
import { buildAdminUi } from './support/ui-build.js';

// The admin panel in headless Chromium against the real API (real Postgres and Redis), the UI as
// `npm run build` makes it (built again here, so the test sees the current sources), the seed's
// imported run, and a real agent training the smoke-tiny preset with the fake prime-rl.

interface SeedExample {
  seedExample: (
    apiUrl: string,
    options: { root: string; token: string; say: (text: string) => void },
  ) => Promise<string | null>;
}
const { seedExample } = (await import(
  new URL('../../../scripts/start/seed-example.mjs', import.meta.url).href
)) as SeedExample;
const ROOT = new URL('../../../', import.meta.url).pathname;

/** What page functions use of the browser's window (these tests are typed without the DOM library). */
interface PageWindow {
  scrollTo(x: number, y: number): void;
  document: { querySelector(selector: string): { textContent: string | null } | null };
}

/** Page render times (ms from navigation), reported at the end, not asserted. */
const timings: Record<string, number> = {};

let api: TestApi;
let browser: Browser;
let seedId: string;
let trainedId: string | undefined;
let agent: AgentProcess | undefined;

beforeAll(async () => {
  const [started] = await Promise.all([
    startTestApi({ AGENT_HEARTBEAT_INTERVAL_MS: '1000', REAPER_INTERVAL_MS: '500' }),
    buildAdminUi(),
  ]);
  api = started;
  const said: string[] = [];
  const url = await seedExample(api.url, {
    root: ROOT,
    token: api.adminToken,
    say: (text) => said.push(text),
  });
  if (!url) throw new Error(`the seed's run was not imported:\n${said.join('\n')}`);
  seedId = url.split('/').pop()!;
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await cleanupAgents();
  await browser?.close();
  await api?.close();
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  writeFileSync(join(SCREENSHOTS_DIR, 'timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
  console.log('admin panel render times (ms from navigation):', timings);
});

function open(hash: string, viewport?: { width: number; height: number }): Promise<Page> {
  return openPanel(browser, api.url, api.adminToken, hash === '' ? null : hash, viewport);
}

async function getJson<T>(path: string): Promise<T> {
  const answer = await request<T>(`${api.url}${path}`, { headers: api.authHeaders });
  expect(answer.status, path).toBe(200);
  return answer.body;
}

describe('the admin panel in a browser', { timeout: 60_000 }, () => {
  it("shows the seed's run: charts with the step-12 dip, the reliability grid, samples (under 1 s)", async () => {
    const page = await open('');
    await markWhenRendered(
      page,
      'seed-run',
      'figure.reliability svg[aria-label], [data-chart="reward"] svg[aria-label]',
      11,
    );
    await page.goto(`${api.url}/admin/#/runs/${seedId}`);
    timings['seed run page (cold: first page of the browser and API)'] = await renderedAt(page, 'seed-run');

    // Step charts: 50 points on the reward curve; the collapse is flagged and shaded.
    const rewardDots = page.locator('[data-chart="reward"] g[aria-label="dot"]').first().locator('circle');
    expect(await rewardDots.count()).toBe(50);
    expect(await text(page, '[data-testid="dip-note"]')).toContain('steps 10–14 (lowest 0.2726 at step 12)');
    expect(await page.locator('[data-chart="reward"] g[aria-label="rect"] rect').count()).toBe(1);
    const description = await page
      .locator('[data-chart="reward"] svg[aria-label]')
      .getAttribute('aria-description');
    expect(description).toContain('lowest 0.2726 at step 12');

    // The tooltip at step 12 of the reward curve, and the scrubber moved there by keyboard.
    const box = (await rewardDots.nth(12).boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.locator('[data-chart="reward"] g[aria-label="tip"]').first().waitFor({ timeout: 5_000 });
    expect(await text(page, '[data-chart="reward"] g[aria-label="tip"]')).toContain('0.2726');
    const slider = page.locator('[data-testid="step-scrubber"] input[type="range"]');
    await slider.focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 12; i++) await page.keyboard.press('ArrowRight');
    expect(await text(page, '[data-testid="selected-step"]')).toBe('12');
    expect(await text(page, '[data-testid="step-readout"] [data-metric="reward"]')).toBe('0.2726');

    // The table alternative has the same numbers as the API.
    const metrics = await getJson<StepMetrics[]>(`/v1/runs/${seedId}/metrics`);
    await page.getByText('Per-step metrics as a table').click();
    const row12 = page.locator('[data-testid="metrics-table"] tbody tr').nth(12);
    expect(await row12.locator('td').nth(1).textContent()).toBe(metrics[12]!.reward!.toFixed(4));

    // The reliability grid: ten groups of five steps, 5,120 rollouts each, the API's counts per bin.
    const groups = page.locator('[data-testid="reliability-group"]');
    expect(await groups.count()).toBe(10);
    expect(await text(page, '[data-testid="reliability-group"][data-first-step="45"] figcaption')).toBe(
      'Steps 45–49 (n=5120)',
    );
    const bins = await getJson<ReliabilityGroup[]>(`/v1/runs/${seedId}/reliability?group=5`);
    await page.getByText('Counts per bin as a table').click();
    const counts = await page
      .locator('[data-testid="reliability-table"] tbody tr')
      .first()
      .locator('td')
      .allTextContents();
    expect(counts.map(Number)).toEqual(bins[0]!.bins.map((b) => b.count));
    expect(counts[0]).toBe('1709');

    // Samples: step 0 beside the selected step, the API's seeded sample with its numbers.
    const columns = page.locator('[data-testid="samples-column"]');
    expect(await columns.count()).toBe(2);
    expect(await columns.nth(0).getAttribute('data-step')).toBe('0');
    expect(await columns.nth(1).getAttribute('data-step')).toBe('12');
    const sample = await getJson<SamplesView>(`/v1/runs/${seedId}/samples?step=12&n=5&seed=0&filter=random`);
    await columns.nth(1).locator('[data-testid="sample"]').nth(4).waitFor({ timeout: 10_000 });
    const shown = columns.nth(1).locator('[data-testid="sample"]');
    expect(await shown.count()).toBe(5);
    for (let i = 0; i < 5; i++) {
      expect(await shown.nth(i).locator('[data-field="p_yes"]').textContent()).toBe(
        sample.items[i]!.p_yes.toFixed(2),
      );
      expect(await shown.nth(i).locator('[data-field="label"]').textContent()).toBe(
        sample.items[i]!.label === 1 ? 'YES' : 'NO',
      );
    }
    await page.locator('[data-testid="sample-filter"]').selectOption('confident_errors');
    await page
      .locator('[data-testid="sample"] .tag', { hasText: /^wrong$/ })
      .first()
      .waitFor({ timeout: 10_000 });

    await screenshot(page, 'run-seed-desktop');
    await page.evaluate(() => (globalThis as unknown as PageWindow).scrollTo(0, 0));
    await page.screenshot({ path: join(SCREENSHOTS_DIR, 'run-seed-top.png') });
    expect(pageErrors(page)).toEqual([]);

    await page.reload();
    timings['seed run page (warm: reloaded)'] = await renderedAt(page, 'seed-run');
    await page.close();
  });

  it('keeps a 1,000-step run usable: every step charted, a window of the 200 reliability diagrams', async () => {
    const id = await submitProbeRun(api, 'thousand steps');
    await ingestProbeSteps(api, id, 1000);
    const page = await open('');
    await markWhenRendered(
      page,
      'thousand',
      'figure.reliability svg[aria-label], [data-chart="reward"] svg[aria-label]',
      13,
    );
    await page.goto(`${api.url}/admin/#/runs/${id}`);
    timings['1,000-step run page (8,000 rollouts, 12 of 200 diagrams)'] = await renderedAt(page, 'thousand');
    expect(await text(page, '[data-testid="step-count"]')).toBe('1000 steps');
    expect(await text(page, '[data-testid="selected-step"]')).toBe('999');
    expect(await page.locator('[data-testid="reliability-group"]').count()).toBe(12);
    expect(await text(page, '.pager')).toContain('groups 189–200 of 200');
    expect(await page.locator('[data-chart="reward"] g[aria-label="dot"]').count()).toBe(0);
    await page.getByRole('button', { name: '← Earlier' }).click();
    expect(await text(page, '[data-testid="reliability-group"] figcaption')).toMatch(/^Steps 880–884 /);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('lists the seed with its latest reward and ECE, live', async () => {
    const page = await open('#/runs');
    const row = page.locator(`tr[data-run-id="${seedId}"]`);
    await row.locator('[data-testid="run-reward"]', { hasText: /\d/ }).waitFor({ timeout: 10_000 });
    expect(await row.locator('[data-testid="run-reward"]').textContent()).toBe('0.9102');
    expect(await row.locator('[data-testid="run-ece"]').textContent()).toBe('0.0402');
    expect(await row.locator('.status').textContent()).toBe('succeeded');
    await page.locator('[data-testid="live-state"][data-state="live"]').waitFor({ timeout: 10_000 });
    await screenshot(page, 'runs-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'runs-phone');
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it("submits a run from the form: the API's messages next to the fields, then the run's page", async () => {
    const page = await open('#/submit');
    await page.locator('#field-preset').selectOption('smoke-tiny');
    await page.locator('#field-name').fill('bad name!');
    await page.locator('#field-spec-batchSize').fill('63');
    await page.getByRole('button', { name: 'Submit run' }).click();
    await page
      .locator('[data-field="spec.batchSize"] [data-testid="field-error"]')
      .waitFor({ timeout: 10_000 });
    expect(await text(page, '[data-field="spec.batchSize"] [data-testid="field-error"]')).toMatch(
      /divisible/,
    );
    expect(await text(page, '#field-name-error')).toMatch(/letters, digits/);
    expect(await page.locator('#field-spec-batchSize').getAttribute('aria-invalid')).toBe('true');
    // The keyboard is taken to the first field the API named.
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toMatch(
      /^field-(name|spec-batchSize)$/,
    );
    await screenshot(page, 'submit-errors-desktop');

    await page.locator('#field-name').fill('ui trained run');
    await page.locator('#field-spec-batchSize').fill('64');
    await page.getByRole('button', { name: 'Submit run' }).click();
    await page.waitForURL(/#\/runs\/[0-9a-f-]{36}$/, { timeout: 10_000 });
    trainedId = page.url().split('/').pop()!;
    expect(await text(page, '#run-title')).toBe('ui trained run');
    expect(await text(page, '.run-header .status')).toBe('queued');
    const run = await getJson<{ preset: string; spec: { batchSize: number } }>(`/v1/runs/${trainedId}`);
    expect(run).toMatchObject({ preset: 'smoke-tiny', spec: { batchSize: 64 } });
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('follows the run live as an agent trains it (steps rise on the page), then cancels it from the page', async () => {
    expect(trainedId, 'the submit test made the run').toBeDefined();
    const page = await open(`#/runs/${trainedId}`);
    await page.locator('[data-testid="live-state"][data-state="live"]').first().waitFor({ timeout: 10_000 });
    agent = startTrainingAgent(api, 'ui-e2e', 1.5);
    const steps = (): Promise<number> =>
      page
        .locator('[data-testid="step-count"]')
        .textContent()
        .then((t) => Number((t ?? '').split(' ')[0]));
    // The first step waits for the agent process to start (SWC-compiled from sources), register and claim.
    const waitSteps = (atLeast: number, timeout = 30_000) =>
      page.waitForFunction(
        (least) => {
          const count = (globalThis as unknown as PageWindow).document.querySelector(
            '[data-testid="step-count"]',
          );
          return Number(count?.textContent?.split(' ')[0] ?? 0) >= least;
        },
        atLeast,
        { timeout },
      );
    try {
      await waitSteps(1, 45_000);
      const first = await steps();
      await waitSteps(first + 1);
      expect(await steps()).toBeGreaterThan(first);
      expect(await text(page, '.run-header .status')).toBe('running');
      expect(await page.locator('[data-chart="reward"] svg[aria-label]').count()).toBe(1);

      const fleet = await open('#/agents');
      await fleet.locator('[data-testid="agent"]').first().waitFor({ timeout: 10_000 });
      expect(await text(fleet, '[data-testid="gpus"] tbody tr td[data-label="run"]')).toContain(
        'ui trained run',
      );
      await screenshot(fleet, 'agents-desktop');
      await fleet.close();

      await page.getByRole('button', { name: 'Cancel' }).first().click();
      await page.getByRole('button', { name: 'Confirm cancel' }).click();
      await page.locator('.run-header .status', { hasText: /^cancelled$/ }).waitFor({ timeout: 30_000 });
    } catch (error) {
      throw new Error(`${String(error)}\n--- agent ---\n${agent.stdout()}${agent.stderr()}`, {
        cause: error,
      });
    }
    // Its story: the events (opened on demand) and the live log, replayed from the start.
    await page.locator('summary', { hasText: 'Events' }).click();
    await page
      .locator('[data-testid="events"] td', { hasText: /→ cancelled/ })
      .first()
      .waitFor({ timeout: 10_000 });
    await page.locator('summary', { hasText: 'Logs' }).click();
    await page
      .locator('[data-testid="log"] .log-line', { hasText: 'claimed by agent ui-e2e' })
      .first()
      .waitFor({ timeout: 10_000 });
    await screenshot(page, 'run-trained-desktop');
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('overlays the seed and the trained run on the compare page', async () => {
    const page = await open(`#/compare?runs=${seedId},${trainedId}`);
    await page
      .locator('[data-testid="compare-charts"] figure.chart svg[aria-label]')
      .nth(3)
      .waitFor({ timeout: 10_000 });
    const lines = page.locator('[data-chart="compare-reward"] g[aria-label="line"] path');
    expect(await lines.count()).toBe(2);
    expect(await page.locator('[data-testid="compare-charts"] figure.chart').count()).toBe(4);
    await screenshot(page, 'compare-desktop');
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('shows the seed run on a phone-width screen', async () => {
    const page = await open(`#/runs/${seedId}`, PHONE);
    await page.locator('figure.reliability svg').nth(9).waitFor({ timeout: 10_000 });
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'run-seed-phone');
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });
});
