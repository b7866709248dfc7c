import { errorText } from '../api/client.js';

/** An error of a read or an action, said where it happened (nothing when there is none). */
export function ErrorNote({ error, what }: { error: unknown; what: string }) {
  if (error === undefined || error === null) return null;
  return (
    <p class="error" role="alert">
      Could not load {what}: {errorText(error)}
    </p>
  );
}
