import type { Page } from 'playwright-core';

/**
 * Marks `brier:rendered:<name>` in the page's performance timeline the moment `selector` matches
 * at least `count` elements, watched by a MutationObserver from the first byte of the page (an
 * init script): the time from navigation to a drawn page, without the test's own polling in it.
 */
export async function markWhenRendered(
  page: Page,
  name: string,
  selector: string,
  count: number,
): Promise<void> {
  // A script (not a function) because it runs in the page: this file is typed for Node, not the DOM.
  const args = JSON.stringify({ mark: `brier:rendered:${name}`, selector, count });
  await page.addInitScript(`(() => {
    const { mark, selector, count } = ${args};
    const check = () => {
      if (document.querySelectorAll(selector).length < count) return false;
      performance.mark(mark);
      return true;
    };
    const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
    document.addEventListener('DOMContentLoaded', () => {
      if (!check()) observer.observe(document.body, { childList: true, subtree: true });
    });
  })();`);
}

/** Milliseconds from navigation start to the mark (waits for it, with a deadline). */
export async function renderedAt(page: Page, name: string, timeoutMs = 15_000): Promise<number> {
  // A function, not a string: the panel's Content-Security-Policy forbids evaluating strings.
  const handle = await page.waitForFunction(
    (mark) => performance.getEntriesByName(mark)[0]?.startTime,
    `brier:rendered:${name}`,
    { timeout: timeoutMs },
  );
  return (await handle.jsonValue()) as number;
}
