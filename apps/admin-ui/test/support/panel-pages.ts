import type { Browser, Page } from 'playwright-core';

import { logIn } from '../../../../test/support/browser.js';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

const errorsOf = new WeakMap<Page, string[]>();

/**
 * A new page of the panel logged in with `token` (at `/admin/<hash>` unless `hash` is null), its
 * uncaught errors kept.
 */
export async function openPanel(
  browser: Browser,
  apiUrl: string,
  token: string,
  hash: string | null,
  viewport = DESKTOP,
): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  errorsOf.set(page, errors);
  page.on('pageerror', (error) => errors.push(error.message));
  await logIn(page, apiUrl, token);
  if (hash !== null) await page.goto(`${apiUrl}/admin/${hash}`);
  return page;
}

/** The uncaught errors of a page opened by openPanel. */
export function pageErrors(page: Page): string[] {
  return errorsOf.get(page) ?? [];
}

/** The trimmed text of the first match of `selector` (waits up to 10 s for it). */
export async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent({ timeout: 10_000 })) ?? '').trim();
}
