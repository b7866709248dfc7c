import type { ServerResponse } from 'node:http';

/** How long an EventSource waits before reconnecting (sent once, as `retry:`). */
const CLIENT_RETRY_MS = 3_000;

/**
 * Starts a Server-Sent Events answer: 200 with headers that stop proxies from buffering or
 * transforming it, then the client's reconnect delay.
 */
export function openEventStream(response: ServerResponse): void {
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  response.write(`retry: ${CLIENT_RETRY_MS}\n\n`);
}
