import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';

import { apiError, invalidRequest } from './api-error.js';
import { bodyRuleFor, formatBytes, type BodyRule } from './body-limits.js';

/** An Express request as far as body parsing is concerned. */
interface BodyRequest extends IncomingMessage {
  path?: string;
  body?: unknown;
  /** body-parser's "already parsed" flag: parsers that run later leave the body alone. */
  _body?: boolean;
}

type Next = (error?: unknown) => void;
export type Middleware = (req: BodyRequest, res: ServerResponse, next: Next) => void;

const METHODS_WITH_BODY: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);
const JSON_TYPE = /^application\/(?:json|[a-z0-9!#$&^_.+-]+\+json)$/;

class BodyTooLargeError extends Error {}

function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

function mediaType(header: string | undefined): { type: string; charset: string | undefined } | null {
  if (header === undefined || header.trim() === '') return null;
  const [type = '', ...params] = header.split(';');
  const charset = params
    .map((p) => p.trim().split('='))
    .find(([key]) => key?.trim().toLowerCase() === 'charset')?.[1]
    ?.trim()
    .replace(/^"|"$/g, '')
    .toLowerCase();
  return { type: type.trim().toLowerCase(), charset };
}

/** The body, decompressed, as one buffer; rejects with BodyTooLargeError past `limit` bytes. */
function readBody(req: IncomingMessage, encoding: string, limit: number): Promise<Buffer> {
  const source: Readable =
    encoding === 'gzip' ? req.pipe(createGunzip()) : encoding === 'deflate' ? req.pipe(createInflate()) : req;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (error: Error): void => {
      source.removeAllListeners('data');
      if (source !== req) {
        req.unpipe();
        source.destroy();
      }
      // What is left of the request is discarded by Node once the answer is sent.
      reject(error);
    };
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) stop(new BodyTooLargeError());
      else chunks.push(chunk);
    });
    source.once('end', () => resolve(Buffer.concat(chunks, size)));
    source.once('error', (error: Error) => stop(error));
    req.once('aborted', () => stop(new Error('aborted')));
  });
}

function tooLarge(rule: BodyRule, path: string): Error {
  return apiError(
    413,
    `request body is larger than the ${formatBytes(rule.jsonLimitBytes)} this route accepts (${path})`,
  );
}

/**
 * Reads JSON request bodies with per-route limits (body-limits.ts), in place of Nest's default
 * parsers (this function is named `jsonParser`, which makes Nest skip its own):
 * - POST/PUT/PATCH bodies on JSON routes must be `application/json` (or `+json`), UTF-8, identity,
 *   gzip or deflate encoded; anything else is a 415;
 * - a body over the route's limit is a 413, told by Content-Length before reading when possible;
 * - malformed JSON is a 400 naming the parse error.
 * Errors go to Nest's error handler, so the API's exception filter shapes them.
 */
export function createJsonBodyMiddleware(rules?: readonly BodyRule[]): Middleware {
  return function jsonParser(req, _res, next) {
    if (!METHODS_WITH_BODY.has(req.method ?? '') || req._body || !hasBody(req)) {
      next();
      return;
    }
    const path = req.path ?? new URL(req.url ?? '/', 'http://localhost').pathname;
    const rule = bodyRuleFor(path, rules);
    if (rule.parseJson === false) {
      next();
      return;
    }
    const media = mediaType(req.headers['content-type']);
    if (media === null || !JSON_TYPE.test(media.type)) {
      if (rule.otherContentTypes === 'pass') {
        next();
        return;
      }
      const got = media === null ? 'no Content-Type' : `Content-Type ${media.type.slice(0, 100)}`;
      next(
        apiError(415, `${req.method} ${path} takes a JSON body (Content-Type: application/json), got ${got}`),
      );
      return;
    }
    if (media.charset !== undefined && media.charset !== 'utf-8' && media.charset !== 'utf8') {
      next(apiError(415, `JSON bodies must be UTF-8, got charset ${media.charset.slice(0, 40)}`));
      return;
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (!['identity', 'gzip', 'deflate'].includes(encoding)) {
      next(
        apiError(415, `Content-Encoding ${encoding.slice(0, 40)} is not supported (identity, gzip, deflate)`),
      );
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (encoding === 'identity' && Number.isFinite(declared) && declared > rule.jsonLimitBytes) {
      next(tooLarge(rule, path));
      return;
    }
    readBody(req, encoding, rule.jsonLimitBytes).then(
      (buffer) => {
        let text = buffer.toString('utf8');
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        try {
          req.body = JSON.parse(text);
        } catch (error) {
          const reason = (error as Error).message.slice(0, 200);
          next(invalidRequest([{ path: '', message: `request body is not valid JSON: ${reason}` }]));
          return;
        }
        req._body = true;
        next();
      },
      (error: unknown) => {
        if (error instanceof BodyTooLargeError) next(tooLarge(rule, path));
        else next(apiError(400, `request body could not be read: ${(error as Error).message.slice(0, 200)}`));
      },
    );
  };
}

/**
 * Stands in for Nest's urlencoded parser (by name, so Nest does not add its own): the API takes
 * no form bodies; JSON routes answer them 415, ingestion routes get them unread.
 */
export function createFormBodyBlocker(): Middleware {
  return function urlencodedParser(_req, _res, next) {
    next();
  };
}
