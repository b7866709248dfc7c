import { useState } from 'preact/hooks';

import { errorText } from '../api/client.js';
import { logIn, type Session } from './session.js';

/**
 * The panel's login: an API token (from `brier tokens create`, or the one `npm start` printed on
 * a fresh installation) exchanged for an HttpOnly session cookie.
 */
export function LoginPage({ onLoggedIn }: { onLoggedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  const submit = (event: Event): void => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    logIn(token)
      .then(onLoggedIn, (failure: unknown) => setError(errorText(failure)))
      .finally(() => setBusy(false));
  };

  return (
    <main id="main" class="login">
      <h1>Brier admin: log in</h1>
      <form onSubmit={submit}>
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="current-password"
          placeholder="brier_…"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          required
        />
        <button type="submit" class="primary" disabled={busy || token.trim() === ''}>
          Log in
        </button>
        {error !== undefined && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
      <p class="muted">
        Create a token with <code>brier tokens create --role researcher --name you</code> (or ask an admin);
        the first admin token is printed by <code>npm start</code> on a fresh installation.
      </p>
    </main>
  );
}
