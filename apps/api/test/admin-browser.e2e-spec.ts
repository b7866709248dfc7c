import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { QUEUES } from '@brier/contracts';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchBrowser, screenshot } from '../../../test/support/browser.js';
import { ADMIN_UI_DIST } from '../src/admin/admin-ui-files.js';
import { startTestApi, type TestApi } from './support/test-api.js';

const PAGE_TIMEOUT_MS = 10_000;

let api: TestApi;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [api, browser] = await Promise.all([startTestApi({ REAPER_INTERVAL_MS: '0' }), launchBrowser()]);
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  // Nothing outside the test API is reachable (bull-board's page asks for web fonts): fail fast.
  await page.route(/^(?!http:\/\/127\.0\.0\.1)/, (route) => route.abort());
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe('the admin panel in chromium (smoke)', () => {
  it('shows bull-board with the runs queue at /admin/queues', async () => {
    const answer = await page.goto(`${api.url}/admin/queues`, { waitUntil: 'domcontentloaded' });
    expect(answer?.status()).toBe(200);
    await page.getByText(QUEUES.runs).first().waitFor();
    await page.getByText('Loading...').waitFor({ state: 'detached' });
    expect(await page.title()).toBe('Brier queues');
    const path = await screenshot(page, 'admin-queues');
    expect(statSync(path).size).toBeGreaterThan(1_000);
  });

  const built = existsSync(join(ADMIN_UI_DIST, 'index.html'));

  it.runIf(built)('opens the built UI at /admin', async () => {
    const answer = await page.goto(`${api.url}/admin`, { waitUntil: 'load' });
    expect(answer?.status()).toBe(200);
    await page.locator('body *').first().waitFor();
    await screenshot(page, 'admin-home');
  });

  it.runIf(!built)('says how to build the UI at /admin when it is not built', async () => {
    const answer = await page.goto(`${api.url}/admin`);
    expect(answer?.status()).toBe(503);
    expect(await page.textContent('body')).toContain('npm run build');
  });
});
