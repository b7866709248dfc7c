/** A run's (or an attempt's, or an agent's) status as a coloured word. */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`status status-${status}`}>{status}</span>;
}
