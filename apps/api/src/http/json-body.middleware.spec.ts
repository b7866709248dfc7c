import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';

import { HttpException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';

import { MiB, type BodyRule } from './body-limits.js';
import { createJsonBodyMiddleware } from './json-body.middleware.js';

type FakeRequest = Readable & {
  method: string;
  path: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
};

function fakeRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | string,
): FakeRequest {
  const chunks = body === undefined ? [] : [Buffer.from(body)];
  const req = Readable.from(chunks) as FakeRequest;
  if (
    body !== undefined &&
    headers['content-length'] === undefined &&
    headers['transfer-encoding'] === undefined
  ) {
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  return Object.assign(req, { method, path, url: path, headers });
}

/** Runs the middleware; resolves with what it passed to next() (undefined: went on). */
function run(req: FakeRequest, rules?: readonly BodyRule[]): Promise<unknown> {
  const middleware = createJsonBodyMiddleware(rules);
  return new Promise((resolve) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument
    middleware(req as any, {} as never, (error?: unknown) => resolve(error));
  });
}

function status(error: unknown): number | undefined {
  return error instanceof HttpException ? error.getStatus() : undefined;
}

const JSON_TYPE = { 'content-type': 'application/json' };

describe('the JSON body middleware', () => {
  it('parses a JSON body into req.body', async () => {
    const req = fakeRequest('POST', '/v1/runs', { ...JSON_TYPE }, '{"kind":"train"}');
    expect(await run(req)).toBeUndefined();
    expect(req.body).toEqual({ kind: 'train' });
  });

  it('accepts +json types, a utf-8 charset and gzip', async () => {
    const req = fakeRequest(
      'POST',
      '/v1/runs',
      { 'content-type': 'application/merge-patch+json; charset="UTF-8"', 'content-encoding': 'gzip' },
      gzipSync('{"a":1}'),
    );
    expect(await run(req)).toBeUndefined();
    expect(req.body).toEqual({ a: 1 });
  });

  it('leaves requests without a body, and GETs, alone', async () => {
    const empty = fakeRequest('POST', '/v1/runs/x/cancel', {});
    expect(await run(empty)).toBeUndefined();
    expect(empty.body).toBeUndefined();
    const get = fakeRequest('GET', '/v1/runs', { 'content-type': 'text/plain' }, 'hello');
    expect(await run(get)).toBeUndefined();
  });

  it('answers 415 for other content types on JSON routes, and lets them through on ingestion routes', async () => {
    expect(status(await run(fakeRequest('POST', '/v1/runs', { 'content-type': 'text/plain' }, '{}')))).toBe(
      415,
    );
    expect(status(await run(fakeRequest('POST', '/v1/runs', {}, '{}')))).toBe(415);
    expect(
      status(await run(fakeRequest('POST', '/v1/runs', { ...JSON_TYPE, 'content-encoding': 'br' }, '{}'))),
    ).toBe(415);
    expect(
      status(
        await run(
          fakeRequest('POST', '/v1/runs', { 'content-type': 'application/json; charset=latin1' }, '{}'),
        ),
      ),
    ).toBe(415);
    const ndjson = fakeRequest(
      'POST',
      '/v1/runs/abc/rollouts',
      { 'content-type': 'application/x-ndjson' },
      '{}\n',
    );
    expect(await run(ndjson)).toBeUndefined();
    expect(ndjson.body).toBeUndefined();
  });

  it('leaves every body unread on a route that streams its own', async () => {
    const rules: BodyRule[] = [
      { route: /^\/raw$/, jsonLimitBytes: 0, otherContentTypes: 'pass', parseJson: false },
    ];
    const req = fakeRequest('POST', '/raw', { ...JSON_TYPE }, '{"a":1}');
    expect(await run(req, rules)).toBeUndefined();
    expect(req.body).toBeUndefined();
    expect(req.readableEnded).toBe(false);
  });

  it('answers 413 past the route limit, by Content-Length or by counting', async () => {
    const rules: BodyRule[] = [{ route: /^\/big$/, jsonLimitBytes: 2 * MiB, otherContentTypes: 'reject' }];
    const body = JSON.stringify({ x: 'y'.repeat(MiB + 10) });
    expect(status(await run(fakeRequest('POST', '/v1/runs', { ...JSON_TYPE }, body), rules))).toBe(413);
    const chunked = fakeRequest('POST', '/v1/runs', { ...JSON_TYPE, 'transfer-encoding': 'chunked' }, body);
    expect(status(await run(chunked, rules))).toBe(413);
    const gzipBomb = fakeRequest(
      'POST',
      '/v1/runs',
      { ...JSON_TYPE, 'content-encoding': 'gzip' },
      gzipSync(body),
    );
    expect(status(await run(gzipBomb, rules))).toBe(413);
    const big = fakeRequest('POST', '/big', { ...JSON_TYPE }, body);
    expect(await run(big, rules)).toBeUndefined();
  });

  it('answers 400 with the parse error for malformed JSON', async () => {
    const error = await run(fakeRequest('POST', '/v1/runs', { ...JSON_TYPE }, '{"kind": '));
    expect(status(error)).toBe(400);
    expect((error as HttpException).getResponse()).toMatchObject({
      message: [{ path: '', message: expect.stringMatching(/^request body is not valid JSON/) as unknown }],
    });
  });
});
