import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

/**
 * apps/admin-ui/dist, found from this file: the same three levels up from apps/api/src/admin
 * (vitest, tsx) and from apps/api/dist/admin (the built API, the container image).
 */
export const ADMIN_UI_DIST = fileURLToPath(new URL('../../../admin-ui/dist/', import.meta.url));

/** Where the UI is served; Vite builds it with this base. */
export const ADMIN_UI_BASE = '/admin';

export const ADMIN_UI_NOT_BUILT =
  'The admin panel is not built: run `npm run build` (it writes apps/admin-ui/dist), then reload.';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
};

/** A name with a content hash, as Vite writes them into assets/ (index-B3x_9aQk.js): cached for good. */
const HASHED_NAME = /[.-][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Serves the built single-page app: files as they are (hashed ones cached for a year, everything
 * else revalidated by ETag), index.html (never cached) for the base and for any path without a
 * file extension (the app's client-side routes), 404 for a missing file, 503 with what to do
 * when the UI is not built. The folder is looked at on each request, so building the UI while
 * the API runs needs no restart.
 */
export class AdminUiFiles {
  private readonly root: string;

  constructor(root: string = ADMIN_UI_DIST) {
    this.root = resolve(root);
  }

  async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const index = join(this.root, 'index.html');
    if (!(await fileSize(index))) {
      return text(response, 503, ADMIN_UI_NOT_BUILT);
    }
    const relative = relativePath(request.url ?? '/');
    if (relative === undefined) return text(response, 404, 'Not found.');
    if (relative.split('/').some((segment) => segment.startsWith('.'))) {
      return text(response, 404, 'Not found.');
    }
    const file = resolve(this.root, relative);
    if (file !== this.root && !file.startsWith(this.root + sep)) return text(response, 404, 'Not found.');
    if (relative !== '' && (await fileSize(file)) !== undefined) {
      const hashed = relative.startsWith('assets/') && HASHED_NAME.test(relative);
      return sendFile(request, response, file, hashed ? IMMUTABLE : 'no-cache');
    }
    const lastSegment = relative.split('/').pop() ?? '';
    if (lastSegment.includes('.')) return text(response, 404, 'Not found.');
    return sendFile(request, response, index, 'no-cache');
  }
}

/** The path under the base, decoded ('' for the base itself); undefined when it is not one. */
function relativePath(url: string): string | undefined {
  const pathname = new URL(url, 'http://admin.invalid').pathname; // resolves literal ../
  if (pathname !== ADMIN_UI_BASE && !pathname.startsWith(`${ADMIN_UI_BASE}/`)) return undefined;
  const below = pathname.slice(ADMIN_UI_BASE.length + 1);
  try {
    return decodeURIComponent(below).replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/** A regular file's size, or undefined. */
async function fileSize(path: string): Promise<number | undefined> {
  const stats = await stat(path).catch(() => undefined);
  return stats?.isFile() ? stats.size : undefined;
}

async function sendFile(
  request: IncomingMessage,
  response: ServerResponse,
  file: string,
  cacheControl: string,
): Promise<void> {
  const stats = await stat(file);
  const etag = `W/"${stats.size.toString(16)}-${Math.trunc(stats.mtimeMs).toString(16)}"`;
  const headers = {
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Cache-Control': cacheControl,
    ETag: etag,
    'Last-Modified': stats.mtime.toUTCString(),
    'X-Content-Type-Options': 'nosniff',
  };
  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  response.writeHead(200, { ...headers, 'Content-Length': stats.size });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  try {
    await pipeline(createReadStream(file), response);
  } catch (error) {
    // The client went away mid-file: nothing to answer. Anything else (a read error) is reported.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  }
}

function text(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(`${message}\n`);
}
