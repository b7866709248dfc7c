import { waitFor } from './agent-api.js';

/** One named Server-Sent Event, its data parsed as JSON. */
export interface LiveEvent {
  event: string;
  data: unknown;
}

/** A test client of a live stream: collects named events and comments until closed. */
export interface LiveClient {
  status: number;
  contentType: string | null;
  /** The body when the answer is not a stream (an error). */
  errorBody: unknown;
  events: LiveEvent[];
  comments: string[];
  /** Events named `event`, data typed as T. */
  named<T>(event: string): T[];
  /** Resolves with the first event (from index `from` on) that `match` accepts (bounded wait). */
  next<T>(
    event: string,
    match?: (data: T) => boolean,
    options?: { from?: number; timeoutMs?: number },
  ): Promise<T>;
  close(): void;
}

export async function openLive(url: string, auth: Record<string, string>): Promise<LiveClient> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { ...auth, accept: 'text/event-stream' },
    signal: abort.signal,
  });
  const client: LiveClient = {
    status: response.status,
    contentType: response.headers.get('content-type'),
    errorBody: undefined,
    events: [],
    comments: [],
    named: <T>(event: string) => client.events.filter((e) => e.event === event).map((e) => e.data as T),
    next: <T>(
      event: string,
      match: (data: T) => boolean = () => true,
      { from = 0, timeoutMs = 5_000 }: { from?: number; timeoutMs?: number } = {},
    ) =>
      waitFor(
        () =>
          client.events.slice(from).find((e) => e.event === event && match(e.data as T))?.data as
            T | undefined,
        { timeoutMs, intervalMs: 10, what: `an SSE "${event}" event (have ${client.events.length})` },
      ),
    close: () => abort.abort(),
  };
  if (response.status !== 200 || !response.body) {
    client.errorBody = await response.json().catch(() => undefined);
    return client;
  }
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
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) client.events.push({ event, data: JSON.parse(data.join('\n')) });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return client;
}
