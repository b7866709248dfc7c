import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

import type { Session } from './session.js';

/** The logged-in session; SessionGate provides it around the whole panel. */
export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession outside SessionGate');
  return session;
}
