import { waitFor } from './agent-api.js';

export interface SseEvent {
  id: string | undefined;
  data: string;
}

/** A test client of a text/event-stream: collects events and comments until closed. */
export interface SseClient {
  status: number;
  events: SseEvent[];
  comments: string[];
  /** Resolves once at least `n` events arrived (bounded wait). */
  waitForEvents(n: number, timeoutMs?: number): Promise<SseEvent[]>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const client: SseClient = {
    status: response.status,
    events: [],
    comments: [],
    waitForEvents: (n, timeoutMs = 5_000) =>
      waitFor(() => (client.events.length >= n ? client.events : undefined), {
        timeoutMs,
        intervalMs: 10,
        what: `${n} SSE events (have ${client.events.length})`,
      }),
    close: () => abort.abort(),
  };
  if (response.status !== 200 || !response.body) return client;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let id: string | undefined;
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) client.events.push({ id, data: data.join('\n') });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return client;
}
