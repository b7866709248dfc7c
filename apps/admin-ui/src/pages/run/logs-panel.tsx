import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

import { API_ROUTES, routeUrl } from '../../api/routes.js';
import { LOG_STREAMS, type LogLine, type LogStream } from '../../api/types.js';
import { useLiveStream } from '../../live/use-live-stream.js';
import { LiveBadge } from '../../ui/live-badge.js';
import { appendLines, LOG_LINES_KEPT } from './log-buffer.js';

/** The log, followed live once the panel is opened (nothing is read while it is closed). */
export function LogsPanel({ runId }: { runId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details class="panel" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <h2>Logs</h2>
      </summary>
      {open && <LiveLog runId={runId} />}
    </details>
  );
}

function LiveLog({ runId }: { runId: string }) {
  const [stream, setStream] = useState<LogStream | ''>('');
  const [lines, setLines] = useState<LogLine[]>([]);
  const [follow, setFollow] = useState(true);
  const pending = useRef<LogLine[]>([]);
  const frame = useRef(0);
  const view = useRef<HTMLPreElement>(null);

  // A replay sends thousands of lines at once: render once per frame, not once per line.
  const flush = (): void => {
    frame.current = 0;
    const batch = pending.current;
    pending.current = [];
    setLines((current) => appendLines(current, batch));
  };
  useEffect(() => () => cancelAnimationFrame(frame.current), []);
  useEffect(() => {
    pending.current = [];
    setLines([]);
  }, [stream]);

  const url = routeUrl(API_ROUTES.logStream, { id: runId }, { stream: stream || undefined });
  const live = useLiveStream(url, {
    events: {
      message: (data) => {
        pending.current.push(data as LogLine);
        if (frame.current === 0) frame.current = requestAnimationFrame(flush);
      },
    },
  });

  useLayoutEffect(() => {
    if (follow && view.current) view.current.scrollTop = view.current.scrollHeight;
  }, [lines, follow]);

  return (
    <div class="logs">
      <div class="section-head">
        <label>
          Stream{' '}
          <select value={stream} onChange={(e) => setStream(e.currentTarget.value as LogStream | '')}>
            <option value="">all</option>
            {LOG_STREAMS.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} />{' '}
          Follow
        </label>
        <LiveBadge live={live} what="log" />
        <span class="muted">
          {lines.length} lines{lines.length >= LOG_LINES_KEPT ? ' (the latest)' : ''}
        </span>
      </div>
      <pre class="log" ref={view} tabIndex={0} aria-label="Run log" data-testid="log">
        {lines.map((line) => (
          <div key={line.id} class={`log-line log-${line.stream}`}>
            <span class="muted">
              {line.attempt}·{line.stream}
            </span>{' '}
            {line.line}
          </div>
        ))}
      </pre>
    </div>
  );
}
