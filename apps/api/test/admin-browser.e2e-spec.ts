import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { QUEUES } from '@brier/contracts';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launchBrowser, logIn, screenshot } from '../../../test/support/browser.js';
import { ADMIN_UI_DIST } from '../src/admin/admin-ui-files.js';
import { startTestApi, type TestApi } from './support/test-api.js';
import { mintToken } from './support/test-tokens.js';

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
  it('shows bull-board with the runs queue at /admin/queues, after logging in', async () => {
    expect((await page.goto(`${api.url}/admin/queues`))?.status()).toBe(401);
    await logIn(page, api.url, api.adminToken);
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

  it.runIf(built)(
    'logs in with a token on the login page; a viewer sees no submit, then logs out',
    async () => {
      const viewer = await mintToken(api.app, 'viewer', 'vera');
      const fresh = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      try {
        fresh.setDefaultTimeout(PAGE_TIMEOUT_MS);
        const errors: string[] = [];
        fresh.on('pageerror', (error) => errors.push(error.message));
        fresh.on('console', (message) => {
          if (message.type() === 'error') errors.push(message.text());
        });
        await fresh.goto(`${api.url}/admin/`);
        await fresh.getByLabel('API token').fill('brier_wrong');
        await fresh.getByRole('button', { name: 'Log in' }).click();
        await fresh.getByRole('alert').waitFor();
        await fresh.getByLabel('API token').fill(viewer.token);
        await fresh.getByRole('button', { name: 'Log in' }).click();
        await fresh.getByRole('button', { name: 'Log out' }).waitFor();
        expect(await fresh.textContent('header')).toContain('vera (viewer)');
        await fresh.getByRole('heading', { name: 'Runs' }).waitFor();
        expect(await fresh.getByRole('link', { name: 'Submit' }).count()).toBe(0);
        await screenshot(fresh, 'admin-viewer');
        await fresh.getByRole('button', { name: 'Log out' }).click();
        await fresh.getByLabel('API token').waitFor();
        // Only the wrong token's 400/401 answers were logged; no CSP violation or script error.
        expect(errors.filter((e) => !/status of 40[01]/.test(e))).toEqual([]);
      } finally {
        await fresh.close();
      }
    },
  );

  it.runIf(!built)('says how to build the UI at /admin when it is not built', async () => {
    const answer = await page.goto(`${api.url}/admin`);
    expect(answer?.status()).toBe(503);
    expect(await page.textContent('body')).toContain('npm run build');
  });
});
