import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

import { openLiveStream, type LiveState } from './event-stream.js';

export interface LiveHandlers {
  events: Readonly<Record<string, (data: unknown) => void>>;
  /** The stream opened (first time or again): read what the events apply to. */
  onOpen?: () => void;
  /** The server refused the stream: read once without it, so the page still shows something. */
  onStopped?: () => void;
}

export interface LiveConnection {
  state: LiveState;
  /** Opens the stream again (after the server refused it: EventSource does not retry that). */
  reconnect: () => void;
}

/**
 * Follows a Server-Sent Events stream while the component is mounted and `url` is set (null:
 * not now). The handlers may change on every render; the stream is only reopened when the URL
 * changes or on reconnect().
 */
export function useLiveStream(url: string | null, handlers: LiveHandlers): LiveConnection {
  const [state, setState] = useState<LiveState>('connecting');
  const [generation, setGeneration] = useState(0);
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;

  useEffect(() => {
    if (url === null) return undefined;
    const names = Object.keys(handlersRef.current.events);
    const stream = openLiveStream({
      url,
      events: Object.fromEntries(
        names.map((name) => [name, (data: unknown) => handlersRef.current.events[name]?.(data)]),
      ),
      onState: (next) => {
        setState(next);
        if (next === 'stopped') handlersRef.current.onStopped?.();
      },
      onOpen: () => handlersRef.current.onOpen?.(),
    });
    return () => stream.close();
  }, [url, generation]);

  const reconnect = useCallback(() => setGeneration((g) => g + 1), []);
  return { state, reconnect };
}
