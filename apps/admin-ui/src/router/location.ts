// Hash routes under /admin/ (#/runs, #/runs/<id>, …): they work with any static serving of
// index.html, and the browser's back button and links behave as for pages.

export type Page =
  | { name: 'runs'; query: URLSearchParams }
  | { name: 'run'; id: string; query: URLSearchParams }
  | { name: 'compare'; query: URLSearchParams }
  | { name: 'agents'; query: URLSearchParams }
  | { name: 'submit'; query: URLSearchParams }
  | { name: 'not-found'; path: string; query: URLSearchParams };

/** The page a location hash names (`#/runs/abc?step=3`); the empty hash is the runs list. */
export function parseHash(hash: string): Page {
  const text = hash.replace(/^#/, '');
  const [rawPath = '', rawQuery = ''] = text.split('?', 2);
  const query = new URLSearchParams(rawQuery);
  const parts = rawPath.split('/').filter((part) => part !== '');
  const [first, second] = parts;
  if (parts.length === 0 || (first === 'runs' && parts.length === 1)) return { name: 'runs', query };
  if (first === 'runs' && second !== undefined && parts.length === 2) {
    return { name: 'run', id: decodeURIComponent(second), query };
  }
  if (parts.length === 1 && (first === 'compare' || first === 'agents' || first === 'submit')) {
    return { name: first, query };
  }
  return { name: 'not-found', path: rawPath, query };
}

/** A link to a page: `href('runs', id)` → `#/runs/<id>`; query entries that are empty are left out. */
export function href(path: string, query: Record<string, string | number | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return `#/${path}${text === '' ? '' : `?${text}`}`;
}

export function runHref(id: string, query: Record<string, string | number | undefined> = {}): string {
  return href(`runs/${encodeURIComponent(id)}`, query);
}
