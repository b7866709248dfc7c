import type { IncomingMessage } from 'node:http';

import type { ApiRole } from '@brier/contracts';

/** Who is calling: the live token that came with the request. */
export interface Principal {
  tokenId: string;
  /** Who the token speaks for; runs it submits are owned by this name. */
  name: string;
  role: ApiRole;
  /** Agent tokens bound to one agent name; null otherwise. */
  agentName: string | null;
}

/** A request the guard has let through carries its principal (absent on public routes). */
export interface AuthenticatedRequest extends IncomingMessage {
  principal?: Principal;
}

export function principalOf(request: IncomingMessage): Principal | undefined {
  return (request as AuthenticatedRequest).principal;
}
