import type { LiveConnection } from '../live/use-live-stream.js';

const TEXT = {
  connecting: 'connecting…',
  live: 'live',
  paused: 'live updates paused, reconnecting…',
  stopped: 'live updates paused',
} as const;

/** Where a live stream stands; when the server refused it, a button to try again. */
export function LiveBadge({ live, what }: { live: LiveConnection; what: string }) {
  return (
    <span class={`live live-${live.state}`} role="status" data-testid="live-state" data-state={live.state}>
      <span class="live-dot" aria-hidden="true" />
      {TEXT[live.state]}
      <span class="visually-hidden"> ({what})</span>
      {live.state === 'stopped' && (
        <button type="button" class="link-button" onClick={live.reconnect}>
          Reconnect
        </button>
      )}
    </span>
  );
}
