import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ADMIN_UI_DIST, AdminUiFiles } from './admin-ui-files.js';

const dirs: string[] = [];
const servers: Server[] = [];

/** AdminUiFiles over `root`, on a real HTTP server; resolves with its base URL. */
async function serve(root: string): Promise<string> {
  const files = new AdminUiFiles(root);
  const server = createServer((request, response) => {
    files.serve(request, response).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A GET with the path sent as written (fetch would resolve its dot segments first). */
function rawGet(url: string): Promise<{ status: number; body: string }> {
  const { host, pathname } = /^http:\/\/(?<host>[^/]+)(?<pathname>.*)$/.exec(url)!.groups!;
  const [hostname, port] = host!.split(':');
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { hostname, port: Number(port), path: pathname, timeout: 5_000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('no answer within 5 s')));
    request.on('error', reject);
    request.end();
  });
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'brier-admin-ui-'));
  dirs.push(dir);
  return dir;
}

let built: string;
let unbuilt: string;

beforeAll(async () => {
  const dist = join(tempDir(), 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Brier</title>');
  writeFileSync(join(dist, 'assets', 'index-B3x_9aQk.js'), 'console.log(1)');
  writeFileSync(join(dist, 'favicon.svg'), '<svg/>');
  writeFileSync(join(dist, '.env'), 'SECRET=1');
  writeFileSync(join(dirs[0]!, 'outside.txt'), 'outside');
  built = await serve(dist);
  unbuilt = await serve(join(tempDir(), 'dist'));
});
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('AdminUiFiles', () => {
  it('finds apps/admin-ui/dist from its own folder', () => {
    expect(ADMIN_UI_DIST.replaceAll('\\', '/')).toMatch(/\/apps\/admin-ui\/dist\/?$/);
  });

  it('serves index.html, never cached, for the base and for client-side routes', async () => {
    for (const path of ['/admin', '/admin/', '/admin/runs', '/admin/runs/42/samples']) {
      const answer = await fetch(`${built}${path}`);
      expect(answer.status, path).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-cache');
      expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await answer.text()).toContain('<title>Brier</title>');
    }
  });

  it('caches hashed assets for good and revalidates the rest by ETag', async () => {
    const asset = await fetch(`${built}/admin/assets/index-B3x_9aQk.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await asset.text()).toBe('console.log(1)');

    const icon = await fetch(`${built}/admin/favicon.svg`);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
    const etag = icon.headers.get('etag')!;
    const again = await fetch(`${built}/admin/favicon.svg`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('answers 404 for missing files, dot files and paths out of the folder', async () => {
    for (const path of [
      '/admin/assets/missing-ABCDEFGH.js',
      '/admin/.env',
      '/admin/../outside.txt',
      '/admin/%2e%2e/outside.txt',
      '/admin/..%2foutside.txt',
      '/admin/%E0%A4%A',
    ]) {
      const answer = await rawGet(`${built}${path}`);
      expect(answer.status, path).toBe(404);
      expect(answer.body).not.toMatch(/SECRET|outside/);
    }
  });

  it('answers 503 with what to do when the UI is not built', async () => {
    const answer = await fetch(`${unbuilt}/admin/runs`);
    expect(answer.status).toBe(503);
    expect(await answer.text()).toContain('run `npm run build`');
  });
});
