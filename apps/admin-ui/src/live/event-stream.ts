/**
 * Where a live stream stands: `connecting` (first connection), `live`, `paused` (the connection
 * dropped; EventSource reconnects by itself, with its own backoff and the server's `retry:`), or
 * `stopped` (the server refused the stream, e.g. a 404 or 503: EventSource gives up; the reader
 * may reconnect by hand). Nothing here polls.
 */
export type LiveState = 'connecting' | 'live' | 'paused' | 'stopped';

export interface LiveStreamOptions {
  url: string;
  /** Handlers by SSE event name (`message` for unnamed events), given each event's JSON data. */
  events: Readonly<Record<string, (data: unknown) => void>>;
  onState: (state: LiveState) => void;
  /**
   * The stream is open (the first time, or again after a drop): what was sent while it was down
   * is lost, so this is when to read the state the events apply to.
   */
  onOpen?: () => void;
  /** An event whose data is not JSON: a bug on one side, reported rather than ignored. */
  onBadEvent?: (name: string, error: unknown) => void;
}

export interface LiveStream {
  close(): void;
}

/** Opens an EventSource with JSON events, reporting its state changes. */
export function openLiveStream(options: LiveStreamOptions): LiveStream {
  const source = new EventSource(options.url);
  options.onState('connecting');
  source.addEventListener('open', () => {
    options.onState('live');
    options.onOpen?.();
  });
  source.addEventListener('error', () => {
    options.onState(source.readyState === EventSource.CLOSED ? 'stopped' : 'paused');
  });
  for (const [name, handle] of Object.entries(options.events)) {
    source.addEventListener(name, (event) => {
      let data: unknown;
      try {
        data = JSON.parse((event as MessageEvent<string>).data);
      } catch (error) {
        (options.onBadEvent ?? reportBadEvent)(name, error);
        return;
      }
      handle(data);
    });
  }
  return { close: () => source.close() };
}

function reportBadEvent(name: string, error: unknown): void {
  console.error(`live stream: the data of a '${name}' event is not JSON`, error);
}
