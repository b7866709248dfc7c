import { freeLocalPorts, type FreePortOptions, type PortPlan } from './free-port.js';

/** Ports picked for an attempt, held by the book until release() (idempotent). */
export interface PortReservation {
  ports: Readonly<Record<string, number>>;
  release(): void;
}

/**
 * The local ports this agent has handed to attempts that have not ended. prime-rl binds most of
 * an attempt's ports only once its model is loaded, minutes after they were picked; meanwhile a
 * probe finds them free, so a second attempt starting on the same host must be told they are
 * taken. (Another program on the host taking one first still fails that launch: "Address
 * already in use", a retried failure.)
 */
export class LocalPortBook {
  private readonly handedOut = new Set<number>();

  async reserve(plan: PortPlan, options: Omit<FreePortOptions, 'taken'> = {}): Promise<PortReservation> {
    // freeLocalPorts adds each pick to the set as it goes, so reservations running at the same
    // time never pick the same port.
    const ports = await freeLocalPorts(plan, { ...options, taken: this.handedOut });
    const members = Object.entries(plan).flatMap(([name, offsets]) =>
      offsets.map((offset) => ports[name]! + offset),
    );
    let released = false;
    return {
      ports,
      release: () => {
        if (released) return;
        released = true;
        for (const port of members) this.handedOut.delete(port);
      },
    };
  }

  /** Ports held for running attempts (for tests and diagnostics). */
  get held(): ReadonlySet<number> {
    return this.handedOut;
  }
}
