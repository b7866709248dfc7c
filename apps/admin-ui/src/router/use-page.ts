import { useEffect, useState } from 'preact/hooks';

import { href, parseHash, type Page } from './location.js';

/** The page of the current location hash, following every change. */
export function usePage(): Page {
  const [page, setPage] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = (): void => setPage(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return page;
}

/** Replaces the query of the current page (no new history entry: filters, the selected step). */
export function replaceQuery(page: string, query: Record<string, string | number | undefined>): void {
  const hash = href(page, query);
  if (hash !== window.location.hash) {
    window.history.replaceState(null, '', hash);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  }
}
