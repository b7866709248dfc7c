import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

import { errorText } from '../api/client.js';
import { LoginPage } from './login-page.js';
import { currentSession, logOut, type Session } from './session.js';
import { SessionContext } from './session-context.js';

type State =
  | { kind: 'loading' }
  | { kind: 'out' }
  | { kind: 'in'; session: Session }
  | { kind: 'failed'; error: string };

/** The panel behind a login: asks the API who the cookie is, shows the login page when nobody. */
export function SessionGate({ children }: { children: (logout: () => void) => ComponentChildren }) {
  const [state, setState] = useState<State>({ kind: 'loading' });

  useEffect(() => {
    currentSession().then(
      (session) => setState(session === null ? { kind: 'out' } : { kind: 'in', session }),
      (failure: unknown) => setState({ kind: 'failed', error: errorText(failure) }),
    );
  }, []);

  const logout = (): void => {
    logOut().then(
      () => setState({ kind: 'out' }),
      (failure: unknown) => setState({ kind: 'failed', error: errorText(failure) }),
    );
  };

  switch (state.kind) {
    case 'loading':
      return <p class="muted">Loading…</p>;
    case 'failed':
      return (
        <p class="error" role="alert">
          {state.error}
        </p>
      );
    case 'out':
      return <LoginPage onLoggedIn={(session) => setState({ kind: 'in', session })} />;
    case 'in':
      return <SessionContext.Provider value={state.session}>{children(logout)}</SessionContext.Provider>;
  }
}
