import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';

/** The request as the rollout and import routes read it (Express's, without its typings). */
export interface RawRequest extends IncomingMessage {
  /** Set by the JSON body middleware for JSON bodies; untouched otherwise. */
  body?: unknown;
}

/** The media type of a Content-Type header, lower-cased, without parameters; null when absent. */
export function mediaTypeOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const type = header.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === '' ? null : type;
}

export type BodyEncoding = 'identity' | 'gzip' | 'deflate';

export function contentEncodingOf(header: string | undefined): BodyEncoding | null {
  const encoding = (header ?? 'identity').trim().toLowerCase();
  return encoding === '' || encoding === 'identity'
    ? 'identity'
    : encoding === 'gzip' || encoding === 'x-gzip'
      ? 'gzip'
      : encoding === 'deflate'
        ? 'deflate'
        : null;
}

/**
 * The request body, decompressed as its Content-Encoding says. `close()` stops reading it (what is
 * left is discarded by Node once the answer is sent).
 */
export function bodyStream(
  req: IncomingMessage,
  encoding: BodyEncoding,
): { stream: Readable; close(): void } {
  if (encoding === 'identity') return { stream: req, close: () => undefined };
  const inflate = encoding === 'gzip' ? createGunzip() : createInflate();
  // A reader iterating the stream gets a corrupt body's zlib error through its iterator; this
  // listener only keeps a late error (after the reader stopped, e.g. on a 400) from becoming an
  // uncaught exception that would take the API process down.
  inflate.on('error', () => undefined);
  req.on('error', (error) => inflate.destroy(error));
  req.pipe(inflate);
  return {
    stream: inflate,
    close: () => {
      req.unpipe(inflate);
      inflate.destroy();
    },
  };
}

/**
 * Write to a streamed answer and wait while its buffer is full (backpressure). False when the
 * client went away: stop producing.
 */
export function writeChunk(res: ServerResponse, text: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  if (res.write(text)) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/** A JSON answer written by a handler that owns its response (@Res()). */
export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
