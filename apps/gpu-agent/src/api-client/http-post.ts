import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * Connections are kept for the next request, and closed after 4 s idle: before the API's own
 * keep-alive timeout (Node's default, 5 s) can close one just as a request goes out on it.
 */
const KEEP_ALIVE = { keepAlive: true, timeout: 4_000 };
const httpAgent = new HttpAgent(KEEP_ALIVE);
const httpsAgent = new HttpsAgent(KEEP_ALIVE);

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * One POST through node:http(s) on kept-alive connections, the whole exchange (connect
 * to last byte) under `timeoutMs`. The agent posts several times a second while it supervises a
 * run; fetch (undici, its answers through web streams) costs about three times the CPU per
 * request. Failures look like fetch's, for errorFromFailure: a timeout is a `TimeoutError`, a
 * socket error is the cause (with its `code`) of the error thrown.
 */
export function httpPost(
  url: URL,
  headers: Record<string, string>,
  body: string | Buffer | undefined,
  timeoutMs: number,
): Promise<HttpAnswer> {
  const https = url.protocol === 'https:';
  const request = https ? httpsRequest : httpRequest;
  const length = body === undefined ? 0 : Buffer.byteLength(body);
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent: https ? httpsAgent : httpAgent,
      headers: { ...headers, 'content-length': String(length) },
    });
    let timedOut: Error | null = null;
    const timer = setTimeout(() => {
      timedOut = new Error(`no answer within ${timeoutMs} ms`);
      timedOut.name = 'TimeoutError';
      req.destroy(timedOut);
    }, timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(timedOut ?? new Error(error.message, { cause: error }));
    };
    req.once('error', fail);
    req.once('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', fail);
      response.once('end', () => {
        clearTimeout(timer);
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.end(body);
  });
}

/** An answer's headers as fetch's Headers (for errorFromResponse). */
export function headersOf(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}
