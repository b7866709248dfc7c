import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium, type Browser, type Page } from 'playwright-core';

/** Where browser tests write screenshots: artifacts/screenshots at the repository root (CI keeps it). */
export const SCREENSHOTS_DIR = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));

/** Debian's chromium (the machines cannot download Playwright's): BRIER_CHROMIUM overrides the path. */
export const CHROMIUM_PATH = process.env['BRIER_CHROMIUM'] ?? '/usr/bin/chromium';

const LAUNCH_TIMEOUT_MS = 15_000;

/**
 * Headless chromium through playwright-core. Chromium's sandbox cannot start as root (CI and the
 * dev containers run as root), so it is turned off there only. Throws, saying how to install
 * it, when the binary is missing.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no chromium at ${CHROMIUM_PATH}: install Debian's (apt-get install chromium, as .ci/run does) ` +
        'or point BRIER_CHROMIUM at one',
    );
  }
  const asRoot = process.getuid?.() === 0;
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: LAUNCH_TIMEOUT_MS,
    args: asRoot ? ['--no-sandbox'] : [],
  });
}

/** A full-page PNG of `page` as artifacts/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`screenshot name must be a plain file name: ${name}`);
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const path = join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Logs `page`'s browser context in with an API token: POST /v1/session from the context's own
 * request client, so the HttpOnly session cookie lands in the context's cookie jar (what the
 * login page does; a test of the page itself fills its form).
 */
export async function logIn(page: Page, apiUrl: string, token: string): Promise<void> {
  const answer = await page.context().request.post(`${apiUrl}/v1/session`, { data: { token } });
  if (answer.status() !== 200) throw new Error(`log in: ${answer.status()} ${await answer.text()}`);
}
